#include "bridge/gateway/bridge_call.h"

#include <glog/logging.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/gateway/call_steps.h"

namespace amqp::gateway {
namespace {

using schema::MethodKind;

// A GATHER window closes this long before the client's deadline, so the
// stream ends OK with what came instead of DEADLINE_EXCEEDED.
absl::Duration GatherMargin(absl::Duration remaining) {
  return std::clamp(remaining / 10, absl::Milliseconds(20),
                    absl::Milliseconds(200));
}

}  // namespace

BridgeCall::BridgeCall(const GatewayEnv& env, GenericStream* stream)
    : env_(env), stream_(stream), context_(stream->context()) {
  // EndAndFinish gives the slot back, exactly once, whatever ends the call.
  if (absl::Status admitted = BeginCall(env_); !admitted.ok()) {
    FinishWhenFlushed(admitted);
    return;
  }
  route_ = env_.routes->Find(context_->method());
  if (route_ != nullptr) {
    stream_->StartRead(&request_bytes_);
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
  absl::Status prepared =
      request_.Prepare(*route_, ok ? &request_bytes_ : nullptr, context_);
  request_bytes_.Clear();  // request_ holds what it needs
  if (!prepared.ok()) {
    FinishWhenFlushed(prepared);
    return;
  }
  if (route_->method.kind == MethodKind::kSubscribe) {
    StartSubscribe();
    return;
  }
  if (route_->method.kind == MethodKind::kNotifications) {
    StartNotifications();
    return;
  }
  if (route_->method.kind != MethodKind::kGather) {
    // Unary routes are UnaryRouteService's; gRPC never routes them here.
    FinishWhenFlushed(absl::InternalError("not a streaming method"));
    return;
  }
  StartGather();
}

absl::Time BridgeCall::Deadline() const {
  return CallDeadline(*context_, started_, env_);
}

void BridgeCall::StartGather() {
  const absl::Time deadline = Deadline();
  const absl::Duration remaining = deadline - absl::Now();
  OsloClient::GatherOptions options;
  options.window =
      request_.metadata()->gather_window.value_or(env_.gather_window);
  options.window =
      std::min(options.window, remaining - GatherMargin(remaining));
  options.expect = request_.metadata()->expect.value_or(0);
  if (options.window <= absl::ZeroDuration()) {
    FinishWhenFlushed(absl::DeadlineExceededError(
        "the deadline leaves no time to gather replies"));
    return;
  }
  // Replies whose result does not fit the response type; only touched by
  // the gather's callbacks, which never run concurrently.
  auto unfit = std::make_shared<int>(0);
  std::string id = env_.rpc->GatherAsync(
      request_.Spec(env_, deadline), route_->method.oslo_name, request_.args(),
      request_.context(), options,
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
      [this, unfit](absl::Status status, OsloClient::GatherSummary summary) {
        context_->AddTrailingMetadata("x-amqp-replies",
                                      absl::StrCat(summary.replies));
        context_->AddTrailingMetadata("x-amqp-failures",
                                      absl::StrCat(summary.failures + *unfit));
        if (env_.observer != nullptr) {
          env_.observer->GatherEnded(*route_, summary.replies,
                                     summary.failures + *unfit);
        }
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
  std::unique_ptr<OsloClient::Subscription> subscription = env_.rpc->Subscribe(
      route_->target,
      [this](const oslo::Request& cast) {
        if (cast.method() != route_->method.oslo_name) return;
        absl::StatusOr<grpc::ByteBuffer> event = CastBytes(env_, *route_, cast);
        if (!event.ok()) {
          LOG_EVERY_N(WARNING, 100) << context_->method() << ": skipping "
                                    << event.status().message();
        } else {
          Send(*std::move(event));
        }
        if (env_.observer != nullptr) {
          env_.observer->SubscribeMessage(*route_, /*sent=*/event.ok());
        }
      },
      [this](absl::Status ready) { Subscribed(ready); });
  Keep(std::move(subscription), &subscription_);
}

void BridgeCall::Subscribed(const absl::Status& ready) {
  // Runs under the subscription's lock: OnCancel destroys the subscription
  // before finishing, so `this` is alive here.
  if (!ready.ok()) {
    FinishWhenFlushed(ready);
    return;
  }
  // Tells the client that what is sent from now on reaches it.
  stream_->StartSendInitialMetadata();
}

absl::StatusOr<grpc::ByteBuffer> BridgeCall::Response(
    const oslo::Reply& reply) {
  return ResponseBytes(env_, *route_, reply);
}

bool BridgeCall::Send(grpc::ByteBuffer message, size_t limit) {
  grpc::ByteBuffer* start = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (finish_.has_value() || finished_) return true;
    if (limit > 0 && writes_.size() >= limit) {
      writes_.erase(writes_.begin() + (writing_ ? 1 : 0), writes_.end());
      return false;
    }
    writes_.push_back(std::move(message));
    if (!writing_) {
      writing_ = true;
      start = &writes_.front();  // deque: stable while others are added
    }
  }
  if (start != nullptr) stream_->StartWrite(start);
  return true;
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
    stream_->StartWrite(next);
  } else if (finish.has_value()) {
    EndAndFinish(*finish);
  }
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
  EndAndFinish(grpc_status);
}

void BridgeCall::OnCancel() {
  std::string id;
  std::unique_ptr<OsloClient::Subscription> subscription;
  std::unique_ptr<OsloClient::NotificationSubscription> notifications;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    id = call_id_;
    subscription = std::move(subscription_);
    notifications = std::move(notifications_);
  }
  subscription.reset();  // no cast and no `ready` reach us after this
  notifications.reset();
  if (!id.empty()) env_.rpc->Cancel(id);  // frees the reply slot at once
  FinishWhenFlushed(absl::CancelledError("the client cancelled the call"));
}

void BridgeCall::EndAndFinish(const grpc::Status& status) {
  // Counted and its slot given back before the client can see its status,
  // so a client's next call finds the slot free and the call counted.
  EndCall(env_, {.route = route_,
                 .method = context_->method(),
                 .started = started_,
                 .code = status.error_code(),
                 .context = context_,
                 .metadata = request_.metadata(),
                 .request = request_.parsed()});
  stream_->Finish(status);  // last: `this` may be deleted from here on
}

}  // namespace amqp::gateway
