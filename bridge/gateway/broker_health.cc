#include "bridge/gateway/broker_health.h"

#include <glog/logging.h>

#include <utility>

namespace amqp::gateway {

BrokerHealth::BrokerHealth(std::vector<std::string> service_names)
    : service_names_(std::move(service_names)) {}

void BrokerHealth::Update(bool connected) {
  absl::MutexLock lock(&mu_);
  if (connected_ == connected) return;  // another failed attempt, say
  connected_ = connected;
  LOG(INFO) << (connected ? "broker connected: SERVING"
                          : "broker not connected: NOT_SERVING");
  Report();
}

bool BrokerHealth::WaitFirstAttempt(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(
                                  +[](std::optional<bool>* connected) {
                                    return connected->has_value();
                                  },
                                  &connected_),
                              timeout);
}

void BrokerHealth::Attach(grpc::HealthCheckServiceInterface* health) {
  absl::MutexLock lock(&mu_);
  health_ = health;
  Report();
}

void BrokerHealth::Report() {
  if (health_ == nullptr) return;
  const bool serving = connected_.value_or(false);
  health_->SetServingStatus(serving);  // the server as a whole ("")
  for (const std::string& name : service_names_) {
    health_->SetServingStatus(name, serving);
  }
}

}  // namespace amqp::gateway
