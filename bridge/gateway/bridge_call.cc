#include "bridge/gateway/bridge_call.h"

#include <glog/logging.h>
#include <grpcpp/impl/codegen/proto_buffer_reader.h>
#include <grpcpp/impl/codegen/proto_buffer_writer.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"

namespace amqp::gateway {
namespace {

using schema::MethodKind;

grpc::ByteBuffer Serialize(const google::protobuf::Message& message) {
  grpc::ByteBuffer buffer;
  bool own_buffer;
  // Only fails for messages over 2 GiB, which protobuf cannot hold anyway.
  (void)grpc::GenericSerialize<grpc::ProtoBufferWriter,
                               google::protobuf::Message>(message, &buffer,
                                                          &own_buffer);
  return buffer;
}

absl::string_view FieldName(const google::protobuf::FieldDescriptor* field) {
  return field == nullptr ? absl::string_view() : field->name();
}

// A GATHER window closes this long before the client's deadline, so the
// stream ends OK with what came instead of DEADLINE_EXCEEDED.
absl::Duration GatherMargin(absl::Duration remaining) {
  return std::clamp(remaining / 10, absl::Milliseconds(20),
                    absl::Milliseconds(200));
}

}  // namespace

BridgeCall::BridgeCall(const GatewayEnv& env,
                       grpc::GenericCallbackServerContext* context)
    : env_(env), context_(context) {
  env_.stats->calls.fetch_add(1, std::memory_order_relaxed);
  // OnDone gives the slot back, exactly once, whatever ends the call.
  const int64_t in_flight =
      env_.stats->in_flight.fetch_add(1, std::memory_order_relaxed) + 1;
  if (env_.max_inflight > 0 && in_flight > env_.max_inflight) {
    env_.stats->rejected_calls.fetch_add(1, std::memory_order_relaxed);
    FinishWhenFlushed(absl::ResourceExhaustedError(
        absl::StrCat("the bridge has ", env_.max_inflight,
                     " calls in progress (--max_inflight); retry later")));
    return;
  }
  route_ = env_.routes->Find(context_->method());
  if (route_ != nullptr) {
    StartRead(&request_bytes_);
    return;
  }
  if (const UnsupportedRoute* unsupported =
          env_.routes->FindUnsupported(context_->method())) {
    FinishWhenFlushed(absl::UnimplementedError(
        absl::StrCat(context_->method(), ": ", unsupported->reason,
                     "; the bridge serves unary and server-streaming "
                     "methods")));
    return;
  }
  FinishWhenFlushed(absl::UnimplementedError(absl::StrCat(
      "unknown method ", context_->method(),
      ": no service with (amqp.service) options in the bridge's descriptor "
      "sets defines it")));
}

void BridgeCall::OnReadDone(bool ok) {
  if (!ok) {
    FinishWhenFlushed(
        absl::InvalidArgumentError("the client sent no request message"));
    return;
  }
  request_.reset(route_->request_prototype->New());
  grpc::ProtoBufferReader reader(&request_bytes_);
  if (!request_->ParseFromZeroCopyStream(&reader)) {
    FinishWhenFlushed(absl::InvalidArgumentError(
        absl::StrCat("the request bytes are not a valid ",
                     request_->GetDescriptor()->full_name())));
    return;
  }
  request_bytes_.Clear();
  absl::StatusOr<CallMetadata> metadata =
      ParseCallMetadata(context_->client_metadata());
  if (!metadata.ok()) {
    FinishWhenFlushed(metadata.status());
    return;
  }
  metadata_ = *std::move(metadata);
  context_->AddInitialMetadata("x-openstack-request-id", metadata_->request_id);
  if (route_->method.kind == MethodKind::kSubscribe) {
    StartSubscribe();
    return;
  }
  absl::StatusOr<std::string> args = Arguments();
  if (!args.ok()) {
    FinishWhenFlushed(args.status());
    return;
  }
  switch (route_->method.kind) {
    case MethodKind::kCall:
      StartCall(*args);
      break;
    case MethodKind::kCast:
    case MethodKind::kFanoutCast:
      StartCast(*args);
      break;
    case MethodKind::kGather:
      StartGather(*args);
      break;
    case MethodKind::kSubscribe:
      break;  // started above
  }
}

absl::Time BridgeCall::Deadline() const {
  const auto deadline = context_->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return started_ + env_.rpc_response_timeout;
  }
  return absl::FromChrono(deadline);
}

absl::StatusOr<std::string> BridgeCall::Arguments() {
  std::string args;
  oslo::PyJsonWriter writer(&args);
  absl::Status status = transcode::WriteArgs(
      *request_, {.skip_field = FieldName(route_->method.server_field)},
      &writer);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot send the request as oslo arguments: ", status.message()));
  }
  return args;
}

rpc::CallSpec BridgeCall::Spec(absl::Time deadline) const {
  rpc::CallSpec spec;
  spec.target = route_->target;
  spec.target.fanout = route_->method.kind == MethodKind::kFanoutCast;
  // x-amqp-server wins over the server_field.
  if (!metadata_->server.empty()) {
    spec.target.server = metadata_->server;
  } else if (route_->method.server_field != nullptr) {
    spec.target.server = request_->GetReflection()->GetString(
        *request_, route_->method.server_field);
  }
  spec.timeout = deadline - absl::Now();
  return spec;
}

void BridgeCall::StartCall(const std::string& args) {
  const absl::Time deadline = Deadline();
  if (deadline <= absl::Now()) {
    FinishWhenFlushed(absl::DeadlineExceededError(
        "the deadline passed before the request was sent"));
    return;
  }
  std::string id = env_.rpc->CallAsync(
      Spec(deadline), route_->method.oslo_name, args, &metadata_->context,
      [this](absl::StatusOr<oslo::Reply> reply) {
        if (!reply.ok()) {
          FinishWhenFlushed(reply.status());
          return;
        }
        absl::StatusOr<grpc::ByteBuffer> response = Response(*reply);
        if (!response.ok()) {
          FinishWhenFlushed(response.status());
          return;
        }
        Reply(*std::move(response));
      });
  // OnReadDone is still running, so the call cannot be done (and `this`
  // deleted) yet, even if the callback above already ran.
  bool cancelled;
  {
    absl::MutexLock lock(&mu_);
    call_id_ = id;
    cancelled = cancelled_;
  }
  if (cancelled) env_.rpc->Cancel(id);
}

void BridgeCall::StartCast(const std::string& args) {
  env_.rpc->CastAsync(Spec(Deadline()), route_->method.oslo_name, args,
                      &metadata_->context, [this](absl::Status published) {
                        if (!published.ok()) {
                          FinishWhenFlushed(published);
                          return;
                        }
                        Reply(Serialize(*route_->response_prototype));
                      });
}

void BridgeCall::StartGather(const std::string& args) {
  const absl::Time deadline = Deadline();
  const absl::Duration remaining = deadline - absl::Now();
  rpc::RpcClient::GatherOptions options;
  options.window = metadata_->gather_window.value_or(env_.gather_window);
  options.window =
      std::min(options.window, remaining - GatherMargin(remaining));
  options.expect = metadata_->expect.value_or(0);
  if (options.window <= absl::ZeroDuration()) {
    FinishWhenFlushed(absl::DeadlineExceededError(
        "the deadline leaves no time to gather replies"));
    return;
  }
  // Replies whose result does not fit the response type; only touched by
  // the gather's callbacks, which never run concurrently.
  auto unfit = std::make_shared<int>(0);
  std::string id = env_.rpc->GatherAsync(
      Spec(deadline), route_->method.oslo_name, args, &metadata_->context,
      options,
      [this, unfit](absl::StatusOr<oslo::Reply> reply) {
        if (!reply.ok()) return;  // counted in the trailers
        absl::StatusOr<grpc::ByteBuffer> response = Response(*reply);
        if (!response.ok()) {
          ++*unfit;
          LOG_EVERY_N(WARNING, 100)
              << context_->method() << ": " << response.status().message();
          return;
        }
        Send(*std::move(response));
      },
      [this, unfit](absl::Status status,
                    rpc::RpcClient::GatherSummary summary) {
        context_->AddTrailingMetadata("x-amqp-replies",
                                      absl::StrCat(summary.replies));
        context_->AddTrailingMetadata("x-amqp-failures",
                                      absl::StrCat(summary.failures + *unfit));
        FinishWhenFlushed(status);
      });
  bool cancelled;
  {
    absl::MutexLock lock(&mu_);
    call_id_ = id;
    cancelled = cancelled_;
  }
  if (cancelled) env_.rpc->Cancel(id);
}

void BridgeCall::StartSubscribe() {
  std::unique_ptr<rpc::RpcClient::Subscription> subscription =
      env_.rpc->Subscribe(
          route_->target,
          [this](const oslo::Request& cast) {
            if (cast.method() != route_->method.oslo_name) return;
            std::unique_ptr<google::protobuf::Message> event(
                route_->response_prototype->New());
            transcode::ResultStats stats;
            absl::Status status =
                transcode::ReadMessage(cast.args(), event.get(), &stats);
            if (!status.ok()) {
              LOG_EVERY_N(WARNING, 100)
                  << context_->method() << ": skipping a '" << cast.method()
                  << "' cast whose arguments do not fit "
                  << event->GetDescriptor()->full_name() << ": "
                  << status.message();
              return;
            }
            Send(Serialize(*event));
          },
          [this](absl::Status ready) {
            // Runs under the subscription's lock: OnCancel destroys the
            // subscription before finishing, so `this` is alive here.
            if (!ready.ok()) {
              FinishWhenFlushed(ready);
              return;
            }
            // Tells the client that casts from now on reach it.
            StartSendInitialMetadata();
          });
  std::unique_ptr<rpc::RpcClient::Subscription> too_late;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_ || finished_) {
      too_late = std::move(subscription);
    } else {
      subscription_ = std::move(subscription);
    }
  }
}

absl::StatusOr<grpc::ByteBuffer> BridgeCall::Response(
    const oslo::Reply& reply) {
  std::unique_ptr<google::protobuf::Message> response(
      route_->response_prototype->New());
  transcode::ResultStats stats;
  absl::Status status = transcode::ReadResult(
      reply.result(), FieldName(route_->method.result_field), response.get(),
      &stats);
  if (stats.unknown_keys > 0) {
    env_.stats->unknown_result_keys.fetch_add(stats.unknown_keys,
                                              std::memory_order_relaxed);
  }
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "the result of '", route_->method.oslo_name, "' does not fit ",
        response->GetDescriptor()->full_name(), ": ", status.message()));
  }
  return Serialize(*response);
}

void BridgeCall::Send(grpc::ByteBuffer message) {
  grpc::ByteBuffer* start = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (finish_.has_value() || finished_) return;
    writes_.push_back(std::move(message));
    if (!writing_) {
      writing_ = true;
      start = &writes_.front();  // deque: stable while others are added
    }
  }
  if (start != nullptr) StartWrite(start);
}

void BridgeCall::OnWriteDone(bool ok) {
  grpc::ByteBuffer* next = nullptr;
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    writes_.pop_front();
    if (!ok) writes_.clear();  // the stream is broken: OnCancel follows
    if (!writes_.empty()) {
      next = &writes_.front();
    } else {
      writing_ = false;
      if (finish_.has_value() && !finished_) {
        finished_ = true;
        finish = finish_;
      }
    }
  }
  if (next != nullptr) {
    StartWrite(next);
  } else if (finish.has_value()) {
    Finish(*finish);  // last: `this` may be deleted from here on
  }
}

void BridgeCall::Reply(grpc::ByteBuffer message) {
  grpc::ByteBuffer* response;
  {
    absl::MutexLock lock(&mu_);
    if (finish_.has_value() || finished_) return;
    finished_ = true;
    finish_ = grpc::Status::OK;
    writes_.push_back(std::move(message));
    response = &writes_.back();
  }
  StartWriteAndFinish(response, grpc::WriteOptions(), grpc::Status::OK);
}

void BridgeCall::FinishWhenFlushed(const absl::Status& status) {
  grpc::Status grpc_status = env_.errors->ToGrpc(status);
  {
    absl::MutexLock lock(&mu_);
    if (finish_.has_value() || finished_) return;
    finish_ = grpc_status;
    if (writing_) return;  // OnWriteDone finishes
    finished_ = true;
  }
  Finish(grpc_status);  // last: `this` may be deleted from here on
}

void BridgeCall::OnCancel() {
  std::string id;
  std::unique_ptr<rpc::RpcClient::Subscription> subscription;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    id = call_id_;
    subscription = std::move(subscription_);
  }
  subscription.reset();  // no cast and no `ready` reach us after this
  if (!id.empty()) env_.rpc->Cancel(id);  // frees the reply slot at once
  FinishWhenFlushed(absl::CancelledError("the client cancelled the call"));
}

void BridgeCall::OnDone() {
  env_.stats->in_flight.fetch_sub(1, std::memory_order_relaxed);
  {
    absl::MutexLock lock(&mu_);
    if (finish_.has_value() && !finish_->ok()) {
      env_.stats->failed_calls.fetch_add(1, std::memory_order_relaxed);
    }
  }
  delete this;
}

}  // namespace amqp::gateway
