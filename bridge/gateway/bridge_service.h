// The bridge's gRPC service: a callback generic service that answers every
// method no registered service (health, reflection) claims, with one
// BridgeCall per call. Register it with
// ServerBuilder::RegisterCallbackGenericService.

#ifndef BRIDGE_GATEWAY_BRIDGE_SERVICE_H_
#define BRIDGE_GATEWAY_BRIDGE_SERVICE_H_

#include <grpcpp/generic/async_generic_service.h>

#include "bridge/gateway/gateway_env.h"

namespace amqp::gateway {

class BridgeService : public grpc::CallbackGenericService {
 public:
  // `env` and what it points to must outlive the service.
  explicit BridgeService(const GatewayEnv& env) : env_(env) {}

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

 private:
  const GatewayEnv env_;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_BRIDGE_SERVICE_H_
