// What grpc.health.v1.Health says about the bridge: SERVING while its broker
// connection is up, NOT_SERVING otherwise, for the server as a whole ("")
// and each mapped service. Fed by the connection's state changes as they
// happen (RpcClient::Options::on_connection_state), so a probe never sees a
// stale answer; it also tells start-up when the first connection attempt
// has settled, so that "listening" comes with the right answer.
//
//   BrokerHealth health(routes->service_names());
//   rpc_options.on_connection_state = [&](bool up) { health.Update(up); };
//   ...
//   health.WaitFirstAttempt(absl::Seconds(5));
//   health.Attach(server->GetHealthCheckService());

#ifndef BRIDGE_GATEWAY_BROKER_HEALTH_H_
#define BRIDGE_GATEWAY_BROKER_HEALTH_H_

#include <grpcpp/health_check_service_interface.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace amqp::gateway {

class BrokerHealth {
 public:
  explicit BrokerHealth(std::vector<std::string> service_names);
  BrokerHealth(const BrokerHealth&) = delete;
  BrokerHealth& operator=(const BrokerHealth&) = delete;

  // The connection's state after an attempt or a loss. Thread-safe, does
  // not block; a change is logged and reported at once.
  void Update(bool connected);

  // Blocks until the first connection attempt has settled (either way) or
  // `timeout` passed; true if it settled.
  bool WaitFirstAttempt(absl::Duration timeout);

  // Reports to `health` from now on, starting with the current state
  // (NOT_SERVING while no attempt has settled); null stops reporting, as
  // must happen before the service goes away.
  void Attach(grpc::HealthCheckServiceInterface* health);

 private:
  void Report() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::vector<std::string> service_names_;
  absl::Mutex mu_;
  // Unset until the first attempt settled.
  std::optional<bool> connected_ ABSL_GUARDED_BY(mu_);
  grpc::HealthCheckServiceInterface* health_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_BROKER_HEALTH_H_
