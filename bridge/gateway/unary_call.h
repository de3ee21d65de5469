// Unary methods through the bridge on gRPC's unary callback path: the
// request arrives with the call and the response, initial metadata and
// status leave in one batch. The generic bidi path (BridgeCall) would cost
// a separate read per call, which is about a third of gRPC's work for a
// small call; streams and the methods the bridge refuses stay there.
//
//   UnaryRouteService unary(env);          // every unary route of env.routes
//   builder.RegisterService(&unary);       // gRPC tries it first...
//   builder.RegisterCallbackGenericService(&generic);  // ...then this.
//
// A call becomes an oslo call, cast or fanout cast on the gateway's OsloClient,
// with BridgeCall's rules (call_steps.h) and errors.

#ifndef BRIDGE_GATEWAY_UNARY_CALL_H_
#define BRIDGE_GATEWAY_UNARY_CALL_H_

#include <grpcpp/impl/codegen/service_type.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bridge/gateway/call_steps.h"
#include "bridge/gateway/gateway_env.h"
#include "bridge/gateway/route_table.h"

namespace amqp::gateway {

// One unary call: a reactor that deletes itself when gRPC is done with it.
class UnaryCall : public grpc::ServerUnaryReactor {
 public:
  // Starts the call for `request`; the reply goes into `*response`. `env`,
  // `route` and what gRPC passes outlive the call.
  UnaryCall(const GatewayEnv& env, const Route& route,
            grpc::CallbackServerContext* context,
            const grpc::ByteBuffer& request, grpc::ByteBuffer* response);

  void OnCancel() override;
  void OnDone() override;
  // OnCancel and OnDone never block (a lock, a counter, a delete), so gRPC
  // may run them on the thread that completes the call instead of waking an
  // executor thread for each: one context switch less per call. gRPC marks
  // this hook internal; its own trivial reactors use it the same way.
  bool InternalInlineable() override { return true; }

 private:
  void Start(const grpc::ByteBuffer& request);
  void StartCall();
  void StartCast();
  // A cast or notification was published: OK (empty response) or why not.
  void Published(const absl::Status& published);
  // Finishes the call, once: with `response` when OK.
  void Complete(const absl::Status& status,
                std::optional<grpc::ByteBuffer> response = std::nullopt);

  const GatewayEnv& env_;
  const Route& route_;
  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_;
  const absl::Time started_ = absl::Now();
  CallRequest request_;

  // The RPC client's id of the call in flight, for cancellation. Set
  // before gRPC has the reactor, so before OnCancel can run.
  std::string call_id_;
  std::atomic<bool> completed_{false};
  grpc::Status status_;  // written once, by whoever completes
};

// The unary routes of a route table, as raw callback methods of one
// service (the generated code's WithRawCallbackMethod_ mechanism).
class UnaryRouteService : public grpc::Service {
 public:
  // `env` and what it points to must outlive the service.
  explicit UnaryRouteService(const GatewayEnv& env);

  // The number of methods it serves.
  int size() const { return size_; }

 private:
  const GatewayEnv env_;
  int size_ = 0;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_UNARY_CALL_H_
