#include "bridge/gateway/health_service.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <memory>
#include <optional>
#include <utility>

namespace amqp::gateway {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// `bytes` as a HealthCheckRequest; false when they are not one.
bool ParseRequest(grpc::ByteBuffer* bytes, HealthCheckRequest* request) {
  return grpc::SerializationTraits<HealthCheckRequest>::Deserialize(bytes,
                                                                    request)
      .ok();
}

grpc::ByteBuffer ResponseBytes(HealthCheckResponse::ServingStatus status) {
  HealthCheckResponse response;
  response.set_status(status);
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  grpc::SerializationTraits<HealthCheckResponse>::Serialize(response, &bytes,
                                                            &own_buffer);
  return bytes;
}

const grpc::Status kNotARequest(grpc::StatusCode::INVALID_ARGUMENT,
                                "not a grpc.health.v1.HealthCheckRequest");

}  // namespace

// Check: one request, one answer.
class HealthService::Check final : public GenericStream::Handler {
 public:
  Check(HealthService* health, GenericStream* stream)
      : health_(health), stream_(stream) {
    stream_->StartRead(&bytes_);
  }

  void OnReadDone(bool ok) override {
    HealthCheckRequest request;
    if (!ok || !ParseRequest(&bytes_, &request)) {
      stream_->Finish(kNotARequest);
      return;
    }
    const ServingStatus status = health_->Status(request.service());
    if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
      stream_->Finish(
          grpc::Status(grpc::StatusCode::NOT_FOUND, "service name unknown"));
      return;
    }
    bytes_ = ResponseBytes(status);
    stream_->StartWrite(&bytes_);
  }

  void OnWriteDone(bool) override { stream_->Finish(grpc::Status::OK); }

 private:
  HealthService* const health_;
  GenericStream* const stream_;
  grpc::ByteBuffer bytes_;
};

// Watch: the status now, then each change, until the client goes. A change
// during a write is sent when the write is done, the latest one only.
class HealthService::Watch final : public GenericStream::Handler {
 public:
  Watch(HealthService* health, GenericStream* stream)
      : health_(health), stream_(stream) {
    stream_->StartRead(&bytes_);
  }

  ~Watch() override {
    if (registered_) health_->RemoveWatch(this);
  }

  const std::string& service() const { return service_; }

  void OnReadDone(bool ok) override {
    HealthCheckRequest request;
    if (!ok || !ParseRequest(&bytes_, &request)) {
      stream_->Finish(kNotARequest);
      return;
    }
    service_ = request.service();
    registered_ = true;
    health_->AddWatch(this);  // sends the status now
  }

  // With the health service's lock held.
  void Update(HealthCheckResponse::ServingStatus status) {
    absl::MutexLock lock(&mu_);
    if (ended_) return;
    if (writing_) {
      next_ = status;
      return;
    }
    writing_ = true;
    bytes_ = ResponseBytes(status);
    stream_->StartWrite(&bytes_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok || ended_) return;  // the call is gone: OnCancel finishes
    if (next_.has_value()) {
      writing_ = true;
      bytes_ = ResponseBytes(*next_);
      next_.reset();
      stream_->StartWrite(&bytes_);
    }
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      ended_ = true;
    }
    stream_->Finish(grpc::Status::CANCELLED);
  }

 private:
  HealthService* const health_;
  GenericStream* const stream_;
  std::string service_;
  bool registered_ = false;  // only on the queue's thread
  absl::Mutex mu_;
  grpc::ByteBuffer bytes_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<HealthCheckResponse::ServingStatus> next_ ABSL_GUARDED_BY(mu_);
};

HealthService::HealthService() { statuses_[""] = HealthCheckResponse::SERVING; }

void HealthService::AddTo(GenericStreamService* generic) {
  generic->AddMethod(kCheckMethod, [this](GenericStream* stream) {
    return std::make_unique<Check>(this, stream);
  });
  generic->AddMethod(kWatchMethod, [this](GenericStream* stream) {
    return std::make_unique<Watch>(this, stream);
  });
}

void HealthService::SetServingStatus(const std::string& service_name,
                                     bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  Set(service_name, serving ? HealthCheckResponse::SERVING
                            : HealthCheckResponse::NOT_SERVING);
}

void HealthService::SetServingStatus(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  for (auto& [name, status] : statuses_) {
    Set(name, serving ? HealthCheckResponse::SERVING
                      : HealthCheckResponse::NOT_SERVING);
  }
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  for (auto& [name, status] : statuses_) {
    Set(name, HealthCheckResponse::NOT_SERVING);
  }
  shut_down_ = true;
}

HealthService::ServingStatus HealthService::Status(const std::string& service) {
  absl::MutexLock lock(&mu_);
  return StatusLocked(service);
}

HealthService::ServingStatus HealthService::StatusLocked(
    const std::string& service) const {
  auto found = statuses_.find(service);
  return found == statuses_.end() ? HealthCheckResponse::SERVICE_UNKNOWN
                                  : found->second;
}

void HealthService::Set(const std::string& service, ServingStatus status) {
  ServingStatus& now = statuses_[service];
  if (now == status) return;
  now = status;
  for (Watch* watch : watches_) {
    if (watch->service() == service) watch->Update(status);
  }
}

void HealthService::AddWatch(Watch* watch) {
  absl::MutexLock lock(&mu_);
  watches_.insert(watch);
  watch->Update(StatusLocked(watch->service()));
}

void HealthService::RemoveWatch(Watch* watch) {
  absl::MutexLock lock(&mu_);
  watches_.erase(watch);
}

}  // namespace amqp::gateway
