#include "bridge/gateway/bridge_service.h"

#include <memory>

#include "bridge/gateway/bridge_call.h"

namespace amqp::gateway {

BridgeService::BridgeService(const GatewayEnv& env, int threads,
                             grpc::ServerBuilder* builder)
    : env_(env),
      queues_(builder, threads),
      unary_(env_, &queues_),
      generic_(&queues_) {
  if (unary_.size() > 0) builder->RegisterService(&unary_);
  generic_.SetFallback([this](GenericStream* stream) {
    return std::make_unique<BridgeCall>(env_, stream);
  });
  builder->RegisterAsyncGenericService(generic_.service());
}

void BridgeService::Start() {
  unary_.Arm();
  generic_.Arm();
  queues_.Start();
}

void BridgeService::Stop() { queues_.Stop(); }

}  // namespace amqp::gateway
