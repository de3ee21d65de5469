#include "bridge/gateway/bridge_service.h"

#include "bridge/gateway/bridge_call.h"

namespace amqp::gateway {

grpc::ServerGenericBidiReactor* BridgeService::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new BridgeCall(env_, context);  // deletes itself in OnDone
}

}  // namespace amqp::gateway
