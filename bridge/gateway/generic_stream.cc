#include "bridge/gateway/generic_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace amqp::gateway {
namespace {

// A method without a handler: UNIMPLEMENTED, as gRPC answers.
class UnimplementedMethod final : public GenericStream::Handler {
 public:
  explicit UnimplementedMethod(GenericStream* stream) {
    stream->Finish(grpc::Status(
        grpc::StatusCode::UNIMPLEMENTED,
        absl::StrCat("unknown method ", stream->context()->method())));
  }
};

}  // namespace

GenericStream::GenericStream(GenericStreamService* service, int queue)
    : service_(service), queue_(queue) {
  service_->queues_->AddCall();
  // Before the request: gRPC tells the call's end (or its cancellation)
  // only to a context that asked before the call began.
  context_.AsyncNotifyWhenDone(&done_tag_);
  grpc::ServerCompletionQueue* cq = service_->queues_->queue(queue_);
  service_->service_.RequestCall(&context_, &stream_, cq, cq, &arrived_tag_);
}

GenericStream::~GenericStream() {
  handler_.reset();  // it may still use the stream while it goes
  service_->queues_->RemoveCall();
}

void GenericStream::Arrived(bool ok) {
  if (!ok) {  // the server is shutting down: no call, no end to wait for
    delete this;
    return;
  }
  service_->Request(queue_);  // the next call of this queue
  {
    absl::MutexLock lock(&mu_);
    operations_ = 1;  // the call's end
  }
  // Its reactions run on this thread, so none before it is in place.
  handler_ = service_->NewHandler(this);
}

void GenericStream::StartRead(grpc::ByteBuffer* message) {
  {
    absl::MutexLock lock(&mu_);
    ++operations_;
  }
  stream_.Read(message, &read_tag_);
}

void GenericStream::StartWrite(const grpc::ByteBuffer* message) {
  {
    absl::MutexLock lock(&mu_);
    ++operations_;
  }
  stream_.Write(*message, &write_tag_);
}

void GenericStream::StartSendInitialMetadata() {
  {
    absl::MutexLock lock(&mu_);
    ++operations_;
  }
  stream_.SendInitialMetadata(&metadata_tag_);
}

void GenericStream::Finish(const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    if (finishing_) return;
    finishing_ = true;
    ++operations_;
  }
  stream_.Finish(status, &finish_tag_);
}

void GenericStream::ReadDone(bool ok) {
  handler_->OnReadDone(ok);
  OperationEnded();
}

void GenericStream::WriteDone(bool ok) {
  handler_->OnWriteDone(ok);
  OperationEnded();
}

void GenericStream::MetadataDone(bool) { OperationEnded(); }

void GenericStream::FinishDone(bool) { OperationEnded(); }

void GenericStream::CallDone(bool) {
  if (context_.IsCancelled()) handler_->OnCancel();
  OperationEnded();
}

void GenericStream::OperationEnded() {
  {
    absl::MutexLock lock(&mu_);
    // Handlers always finish, so the last operation is the finish or the
    // call's end, whichever comes later.
    if (--operations_ > 0 || !finishing_) return;
  }
  delete this;
}

GenericStreamService::GenericStreamService(ServerQueues* queues)
    : queues_(queues) {}

void GenericStreamService::AddMethod(std::string path,
                                     GenericStream::HandlerFactory factory) {
  methods_[std::move(path)] = std::move(factory);
}

void GenericStreamService::SetFallback(GenericStream::HandlerFactory factory) {
  fallback_ = std::move(factory);
}

void GenericStreamService::Arm() {
  for (int i = 0; i < queues_->size(); ++i) Request(i);
}

void GenericStreamService::Request(int queue) {
  new GenericStream(this, queue);  // deletes itself
}

std::unique_ptr<GenericStream::Handler> GenericStreamService::NewHandler(
    GenericStream* stream) {
  auto method = methods_.find(stream->context()->method());
  if (method != methods_.end()) return method->second(stream);
  if (fallback_) return fallback_(stream);
  return std::make_unique<UnimplementedMethod>(stream);
}

}  // namespace amqp::gateway
