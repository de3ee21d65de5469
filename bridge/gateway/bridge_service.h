// The bridge's gRPC side: its completion queues and threads
// (ServerQueues), the unary routes on gRPC's unary path (UnaryCall), and
// every other method on the generic one (BridgeCall), where reflection and
// health can join them.
//
//   grpc::ServerBuilder builder;
//   BridgeService service(env, /*threads=*/1, &builder);
//   reflection.AddTo(service.generic());
//   server = builder.BuildAndStart();
//   service.Start();
//   ...
//   server->Shutdown(deadline);
//   service.Stop();

#ifndef BRIDGE_GATEWAY_BRIDGE_SERVICE_H_
#define BRIDGE_GATEWAY_BRIDGE_SERVICE_H_

#include <grpcpp/server_builder.h>

#include "bridge/gateway/gateway_env.h"
#include "bridge/gateway/generic_stream.h"
#include "bridge/gateway/server_queues.h"
#include "bridge/gateway/unary_call.h"

namespace amqp::gateway {

class BridgeService {
 public:
  // Adds `threads` queues and the services to `builder`. `env` and what it
  // points to must outlive the service.
  BridgeService(const GatewayEnv& env, int threads,
                grpc::ServerBuilder* builder);
  BridgeService(const BridgeService&) = delete;
  BridgeService& operator=(const BridgeService&) = delete;

  // Where more generic methods go, before Start().
  GenericStreamService* generic() { return &generic_; }
  // Completion queue `index` (< threads): where other asynchronous gRPC
  // work of the process can complete, on the thread that polls anyway.
  grpc::CompletionQueue* queue(int index) { return queues_.queue(index); }

  // After BuildAndStart(): waits for calls and starts the threads.
  void Start();
  // When BuildAndStart() failed: starts the threads only, so that what
  // other work completes on the queues (backend calls) still ends.
  void StartWithoutServer() { queues_.Start(); }
  // After the server's Shutdown() returned: ends the threads once every
  // call is gone.
  void Stop();

 private:
  const GatewayEnv env_;
  ServerQueues queues_;
  UnaryRouteService unary_;
  GenericStreamService generic_;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_BRIDGE_SERVICE_H_
