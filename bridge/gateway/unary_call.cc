#include "bridge/gateway/unary_call.h"

#include <grpcpp/impl/codegen/rpc_method.h>
#include <grpcpp/impl/codegen/rpc_service_method.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>

#include <utility>

#include "bridge/gateway/call_steps.h"
#include "bridge/gateway/notification_steps.h"

namespace amqp::gateway {

using schema::MethodKind;

UnaryCall::UnaryCall(const GatewayEnv& env, const Route& route,
                     grpc::CallbackServerContext* context,
                     const grpc::ByteBuffer& request,
                     grpc::ByteBuffer* response)
    : env_(env), route_(route), context_(context), response_(response) {
  // Complete gives the slot back, exactly once, whatever ends the call.
  if (absl::Status admitted = BeginCall(env_); !admitted.ok()) {
    Complete(admitted);
    return;
  }
  Start(request);
}

void UnaryCall::Start(const grpc::ByteBuffer& request) {
  if (absl::Status prepared = request_.Prepare(route_, &request, context_);
      !prepared.ok()) {
    Complete(prepared);
    return;
  }
  switch (route_.method.kind) {
    case MethodKind::kCall:
      StartCall();
      return;
    case MethodKind::kCast:
    case MethodKind::kFanoutCast:
      StartCast();
      return;
    case MethodKind::kNotify:
      SendNotification(env_, route_, *request_.metadata(), request_.args(),
                       [this](absl::Status sent) { Published(sent); });
      return;
    case MethodKind::kGather:
    case MethodKind::kSubscribe:
    case MethodKind::kNotifications:
      break;  // UnaryRouteService never routes streams here
  }
  Complete(absl::InternalError("not a unary method"));
}

void UnaryCall::StartCall() {
  const absl::Time deadline = CallDeadline(*context_, started_, env_);
  if (deadline <= absl::Now()) {
    Complete(absl::DeadlineExceededError(
        "the deadline passed before the request was sent"));
    return;
  }
  std::string id = env_.rpc->CallAsync(
      request_.Spec(env_, deadline), route_.method.oslo_name, request_.args(),
      request_.context(), [this, deadline](absl::StatusOr<oslo::Reply> reply) {
        if (!reply.ok()) {
          Complete(reply.status());
          return;
        }
        // A busy machine can run timers late: a reply
        // after the deadline must not turn it into OK.
        if (absl::Now() > deadline) {
          Complete(
              absl::DeadlineExceededError("the reply came after the deadline"));
          return;
        }
        absl::StatusOr<grpc::ByteBuffer> response =
            ResponseBytes(env_, route_, *reply);
        if (!response.ok()) {
          Complete(response.status());
          return;
        }
        Complete(absl::OkStatus(), *std::move(response));
      });
  // The method handler has not returned this reactor to gRPC yet: the call
  // can be neither done (`this` deleted), even if the reply came, nor
  // cancelled before OnCancel can see the id.
  call_id_ = std::move(id);
}

void UnaryCall::StartCast() {
  env_.rpc->CastAsync(
      request_.Spec(env_, CallDeadline(*context_, started_, env_)),
      route_.method.oslo_name, request_.args(), request_.context(),
      [this](absl::Status published) { Published(published); });
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
  if (status.ok()) {
    *response_ = *std::move(response);
    status_ = grpc::Status::OK;
  } else {
    status_ = env_.errors->ToGrpc(status);
  }
  // Counted and its slot given back before the client can see its status,
  // so a client's next call finds the slot free and the call counted.
  EndCall(env_, {.route = &route_,
                 .method = route_.path,
                 .started = started_,
                 .code = status_.error_code(),
                 .context = context_,
                 .metadata = request_.metadata(),
                 .request = request_.parsed()});
  Finish(status_);  // last: `this` may be deleted from here on
}

void UnaryCall::OnCancel() {
  // frees the reply slot at once
  if (!call_id_.empty()) env_.rpc->Cancel(call_id_);
  Complete(absl::CancelledError("the client cancelled the call"));
}

void UnaryCall::OnDone() { delete this; }

UnaryRouteService::UnaryRouteService(const GatewayEnv& env) : env_(env) {
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
    MarkMethodRawCallback(
        size_,
        new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer,
                                                 grpc::ByteBuffer>(
            [this, route = route.get()](
                grpc::CallbackServerContext* context,
                const grpc::ByteBuffer* request,
                grpc::ByteBuffer* response) -> grpc::ServerUnaryReactor* {
              return new UnaryCall(env_, *route, context, *request, response);
            }));
    ++size_;
  }
}

}  // namespace amqp::gateway
