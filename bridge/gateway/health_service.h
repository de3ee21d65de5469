// grpc.health.v1.Health (Check and Watch) on the bridge's completion
// queues. gRPC's default health service runs on the callback API, whose
// threads the bridge no longer has (server_queues.h); this one answers as
// it does: Check says SERVING or NOT_SERVING, NOT_FOUND for a service it
// was never told about; Watch sends the status at once and every change
// after it (SERVICE_UNKNOWN for an unknown service, until it is known);
// after Shutdown() everything is NOT_SERVING and stays so.
//
//   HealthService health;
//   health.AddTo(&generic);   // before the generic service is armed
//   broker_health.Attach(&health);

#ifndef BRIDGE_GATEWAY_HEALTH_SERVICE_H_
#define BRIDGE_GATEWAY_HEALTH_SERVICE_H_

#include <grpcpp/health_check_service_interface.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "bridge/gateway/generic_stream.h"
#include "grpc/health/v1/health.pb.h"

namespace amqp::gateway {

class HealthService final : public grpc::HealthCheckServiceInterface {
 public:
  static constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";
  static constexpr char kWatchMethod[] = "/grpc.health.v1.Health/Watch";

  // The server as a whole ("") starts SERVING, as in gRPC's own.
  HealthService();
  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  // Serves Check and Watch on `generic`; the service outlives its calls.
  void AddTo(GenericStreamService* generic);

  // grpc::HealthCheckServiceInterface; thread-safe, never block on a client.
  void SetServingStatus(const std::string& service_name, bool serving) override;
  void SetServingStatus(bool serving) override;
  void Shutdown() override;

  class Check;  // one Check call (health_service.cc)
  class Watch;  // one Watch stream

 private:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // The status of `service`; SERVICE_UNKNOWN when never set.
  ServingStatus Status(const std::string& service) ABSL_LOCKS_EXCLUDED(mu_);
  ServingStatus StatusLocked(const std::string& service) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Set(const std::string& service, ServingStatus status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Watch streams (un)register while they live.
  void AddWatch(Watch* watch);
  void RemoveWatch(Watch* watch);

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, ServingStatus> statuses_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Watch*> watches_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_HEALTH_SERVICE_H_
