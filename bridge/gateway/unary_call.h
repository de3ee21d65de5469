// Unary methods through the bridge on gRPC's asynchronous unary path: the
// request arrives with the call, and the response, initial metadata and
// status leave in one batch. The generic path (GenericStream) would cost a
// separate read per call, which is about a third of gRPC's work for a small
// call; streams and the methods the bridge refuses stay there.
//
//   UnaryRouteService unary(env, &queues);  // every unary route of env.routes
//   builder.RegisterService(&unary);        // gRPC tries it first...
//   builder.RegisterAsyncGenericService(generic.service());  // ...then this.
//   ... BuildAndStart ...
//   unary.Arm();
//
// A call becomes an oslo call, cast or fanout cast on the gateway's OsloClient,
// with BridgeCall's rules (call_steps.h) and errors.

#ifndef BRIDGE_GATEWAY_UNARY_CALL_H_
#define BRIDGE_GATEWAY_UNARY_CALL_H_

#include <grpcpp/impl/codegen/service_type.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/byte_buffer.h>

#include <atomic>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bridge/gateway/call_steps.h"
#include "bridge/gateway/gateway_env.h"
#include "bridge/gateway/route_table.h"
#include "bridge/gateway/server_queues.h"

namespace amqp::gateway {

class UnaryRouteService;

// One unary call, from the request gRPC matched to it to its status. It
// deletes itself when gRPC is done with it and the oslo side's callback has
// run, whichever is later: a reply racing the client's cancellation never
// meets a deleted call.
class UnaryCall {
 public:
  UnaryCall(const UnaryCall&) = delete;
  UnaryCall& operator=(const UnaryCall&) = delete;

 private:
  friend class UnaryRouteService;
  // Waits for the next call of `route` (method `method` of `service`) on
  // queue `queue`.
  UnaryCall(UnaryRouteService* service, int method, const Route& route,
            int queue);
  ~UnaryCall();

  // Queue events, on the queue's thread.
  void Arrived(bool ok);
  void Finished(bool ok);
  void CallDone(bool ok);

  void Start();
  void StartCall();
  void StartCast();
  // A cast or notification was published: OK (empty response) or why not.
  void Published(const absl::Status& published);
  // Finishes the call, once: with `response` when OK.
  void Complete(const absl::Status& status,
                std::optional<grpc::ByteBuffer> response = std::nullopt);
  // The oslo side holds the call until its callback ran.
  void Hold() { holds_.fetch_add(1, std::memory_order_relaxed); }
  // Gives up one hold; the last one deletes the call.
  void Release();

  UnaryRouteService* const service_;
  const GatewayEnv& env_;
  const int method_;
  const Route& route_;
  const int queue_;
  grpc::ServerContext context_;
  grpc::ByteBuffer request_bytes_;
  grpc::ServerAsyncResponseWriter<grpc::ByteBuffer> writer_{&context_};
  absl::Time started_;
  CallRequest request_;

  MemberTag<UnaryCall, &UnaryCall::Arrived> arrived_tag_{this};
  MemberTag<UnaryCall, &UnaryCall::Finished> finished_tag_{this};
  MemberTag<UnaryCall, &UnaryCall::CallDone> done_tag_{this};

  // Holds: the finish and the call's end (each released by its queue
  // event) and the oslo callback in flight.
  std::atomic<int> holds_{2};
  // The RPC client's id of the call in flight, for cancellation. Set
  // before the call's end can be seen on the queue's thread.
  std::string call_id_;
  std::atomic<bool> completed_{false};
  grpc::Status status_;  // written once, by whoever completes
};

// The unary routes of a route table, as raw asynchronous methods of one
// service (the generated code's WithRawMethod_ mechanism).
class UnaryRouteService : public grpc::Service {
 public:
  // `env`, what it points to, and `queues` must outlive the service.
  UnaryRouteService(const GatewayEnv& env, ServerQueues* queues);

  // The number of methods it serves.
  int size() const { return static_cast<int>(routes_.size()); }

  // After BuildAndStart(): waits for calls of every method on every queue.
  void Arm();

 private:
  friend class UnaryCall;
  // Asks gRPC for the next call of `method` on queue `queue`, for `call`.
  void Request(int method, int queue, UnaryCall* call);

  const GatewayEnv env_;
  ServerQueues* const queues_;
  std::vector<const Route*> routes_;  // by method index
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_UNARY_CALL_H_
