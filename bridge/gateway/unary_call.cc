#include "bridge/gateway/unary_call.h"

#include <grpcpp/impl/codegen/rpc_method.h>
#include <grpcpp/impl/codegen/rpc_service_method.h>

#include <utility>

#include "bridge/gateway/call_steps.h"
#include "bridge/gateway/notification_steps.h"

namespace amqp::gateway {

using schema::MethodKind;

UnaryCall::UnaryCall(UnaryRouteService* service, int method, const Route& route,
                     int queue)
    : service_(service),
      env_(service->env_),
      method_(method),
      route_(route),
      queue_(queue) {
  service_->queues_->AddCall();
  // Before the request: gRPC tells the call's end (or its cancellation)
  // only to a context that asked before the call began.
  context_.AsyncNotifyWhenDone(&done_tag_);
  service_->Request(method_, queue_, this);
}

UnaryCall::~UnaryCall() { service_->queues_->RemoveCall(); }

void UnaryCall::Arrived(bool ok) {
  if (!ok) {  // the server is shutting down: no call, no end to wait for
    delete this;
    return;
  }
  new UnaryCall(service_, method_, route_, queue_);  // the next one
  started_ = absl::Now();
  // Complete gives the slot back, exactly once, whatever ends the call.
  if (absl::Status admitted = BeginCall(env_); !admitted.ok()) {
    Complete(admitted);
    return;
  }
  Start();
}

void UnaryCall::Start() {
  if (absl::Status prepared =
          request_.Prepare(route_, &request_bytes_, &context_);
      !prepared.ok()) {
    Complete(prepared);
    return;
  }
  request_bytes_.Clear();  // request_ holds what it needs
  switch (route_.method.kind) {
    case MethodKind::kCall:
      StartCall();
      return;
    case MethodKind::kCast:
    case MethodKind::kFanoutCast:
      StartCast();
      return;
    case MethodKind::kNotify:
      Hold();
      SendNotification(env_, route_, *request_.metadata(), request_.args(),
                       [this](absl::Status sent) {
                         Published(sent);
                         Release();
                       });
      return;
    case MethodKind::kGather:
    case MethodKind::kSubscribe:
    case MethodKind::kNotifications:
      break;  // UnaryRouteService never routes streams here
  }
  Complete(absl::InternalError("not a unary method"));
}

void UnaryCall::StartCall() {
  const absl::Time deadline = CallDeadline(context_, started_, env_);
  if (deadline <= absl::Now()) {
    Complete(absl::DeadlineExceededError(
        "the deadline passed before the request was sent"));
    return;
  }
  Hold();
  // Runs on the queue's thread before the call's end can: OnCancel's
  // counterpart (CallDone) sees the id.
  call_id_ = env_.rpc->CallAsync(
      request_.Spec(env_, deadline), route_.method.oslo_name, request_.args(),
      request_.context(), [this, deadline](absl::StatusOr<oslo::Reply> reply) {
        if (!reply.ok()) {
          Complete(reply.status());
        } else if (absl::Now() > deadline) {
          // A busy machine can run timers late: a reply after the deadline
          // must not turn it into OK.
          Complete(
              absl::DeadlineExceededError("the reply came after the deadline"));
        } else {
          absl::StatusOr<grpc::ByteBuffer> response =
              ResponseBytes(env_, route_, *reply);
          if (response.ok()) {
            Complete(absl::OkStatus(), *std::move(response));
          } else {
            Complete(response.status());
          }
        }
        Release();
      });
}

void UnaryCall::StartCast() {
  Hold();
  env_.rpc->CastAsync(
      request_.Spec(env_, CallDeadline(context_, started_, env_)),
      route_.method.oslo_name, request_.args(), request_.context(),
      [this](absl::Status published) {
        Published(published);
        Release();
      });
}

void UnaryCall::Published(const absl::Status& published) {
  if (!published.ok()) {
    Complete(published);
    return;
  }
  // An empty response message: no bytes.
  Complete(absl::OkStatus(), ToByteBuffer(""));
}

void UnaryCall::Complete(const absl::Status& status,
                         std::optional<grpc::ByteBuffer> response) {
  if (completed_.exchange(true)) return;
  status_ = status.ok() ? grpc::Status::OK : env_.errors->ToGrpc(status);
  // Counted and its slot given back before the client can see its status,
  // so a client's next call finds the slot free and the call counted.
  EndCall(env_, {.route = &route_,
                 .method = route_.path,
                 .started = started_,
                 .code = status_.error_code(),
                 .context = &context_,
                 .metadata = request_.metadata(),
                 .request = request_.parsed()});
  if (status_.ok()) {
    writer_.Finish(*response, status_, &finished_tag_);
  } else {
    writer_.FinishWithError(status_, &finished_tag_);
  }
}

void UnaryCall::Finished(bool) { Release(); }

void UnaryCall::CallDone(bool) {
  if (context_.IsCancelled()) {
    // frees the reply slot at once
    if (!call_id_.empty()) env_.rpc->Cancel(call_id_);
    Complete(absl::CancelledError("the client cancelled the call"));
  }
  Release();
}

void UnaryCall::Release() {
  if (holds_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

UnaryRouteService::UnaryRouteService(const GatewayEnv& env,
                                     ServerQueues* queues)
    : env_(env), queues_(queues) {
  for (const std::unique_ptr<Route>& route : env_.routes->routes()) {
    switch (route->method.kind) {
      case MethodKind::kCall:
      case MethodKind::kCast:
      case MethodKind::kFanoutCast:
      case MethodKind::kNotify:
        break;
      case MethodKind::kGather:
      case MethodKind::kSubscribe:
      case MethodKind::kNotifications:
        continue;
    }
    // The route table outlives the service: its path can be the name.
    AddMethod(new grpc::internal::RpcServiceMethod(
        route->path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        /*handler=*/nullptr));
    MarkMethodRaw(size());
    routes_.push_back(route.get());
  }
}

void UnaryRouteService::Arm() {
  for (int queue = 0; queue < queues_->size(); ++queue) {
    for (int method = 0; method < size(); ++method) {
      new UnaryCall(this, method, *routes_[method], queue);  // deletes itself
    }
  }
}

void UnaryRouteService::Request(int method, int queue, UnaryCall* call) {
  grpc::ServerCompletionQueue* cq = queues_->queue(queue);
  RequestAsyncUnary(method, &call->context_, &call->request_bytes_,
                    &call->writer_, cq, cq, &call->arrived_tag_);
}

}  // namespace amqp::gateway
