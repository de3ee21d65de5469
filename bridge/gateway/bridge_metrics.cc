#include "bridge/gateway/bridge_metrics.h"

#include <amqp.h>
#include <google/protobuf/stubs/common.h>
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace amqp::gateway {

void AddBridgeMetrics(const GatewayStats* stats, const rpc::RpcClient* rpc,
                      const metrics::AccessLog* access_log,
                      metrics::Registry* registry) {
  const double started = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  registry->AddGaugeFunction("process_start_time_seconds",
                             "Start time of the process since the Unix epoch.",
                             {}, [started] { return started; });
  registry->AddGaugeFunction(
      "grpc_amqp_bridge_build_info",
      "Always 1; the labels name the libraries the bridge runs with.",
      {{"grpc_version", grpc::Version()},
       {"protobuf_version",
        google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)},
       {"rabbitmq_c_version", amqp_version()}},
      [] { return 1; });

  registry->AddGaugeFunction(
      "grpc_amqp_bridge_calls_in_flight",
      "gRPC calls started and not yet finished.", {}, [stats] {
        return static_cast<double>(
            stats->in_flight.load(std::memory_order_relaxed));
      });
  registry->AddCounterFunction(
      "grpc_amqp_bridge_calls_rejected_total",
      "gRPC calls refused with RESOURCE_EXHAUSTED over --max_inflight.", {},
      [stats] {
        return static_cast<double>(
            stats->rejected_calls.load(std::memory_order_relaxed));
      });
  registry->AddCounterFunction(
      "grpc_amqp_bridge_unknown_result_keys_total",
      "Keys of oslo results that named no response field (ignored).", {},
      [stats] {
        return static_cast<double>(
            stats->unknown_result_keys.load(std::memory_order_relaxed));
      });
  registry->AddCounterFunction(
      "grpc_amqp_bridge_notifications_streamed_total",
      "oslo notifications sent on NOTIFICATIONS streams.", {}, [stats] {
        return static_cast<double>(
            stats->notifications_streamed.load(std::memory_order_relaxed));
      });
  registry->AddCounterFunction(
      "grpc_amqp_bridge_replies_dropped_total",
      "Replies no call waited for: late (after a timeout or cancel) or for "
      "an unknown msg_id.",
      {}, [rpc] { return static_cast<double>(rpc->dropped_replies()); });

  for (size_t i = 0; i < rpc->connections(); ++i) {
    AddConnectionMetrics(absl::StrCat(i), &rpc->connection(i), registry);
  }

  if (access_log != nullptr) {
    registry->AddCounterFunction(
        "grpc_amqp_bridge_access_log_dropped_total",
        "Access log lines dropped because the writer fell behind.", {},
        [access_log] { return static_cast<double>(access_log->dropped()); });
  }
}

void AddConnectionMetrics(const std::string& name,
                          const transport::IoThread* io,
                          metrics::Registry* registry) {
  const metrics::Labels connection = {{"connection", name}};
  registry->AddGaugeFunction(
      "grpc_amqp_bridge_broker_connected",
      "1 while the broker connection (one per I/O thread) is up, else 0.",
      connection, [io] { return io->connected() ? 1 : 0; });
  registry->AddCounterFunction(
      "grpc_amqp_bridge_broker_reconnects_total",
      "Connects to the broker after the first, per connection.", connection,
      [io] { return static_cast<double>(io->stats().reconnects); });
  registry->AddCounterFunction(
      "grpc_amqp_bridge_broker_returns_total",
      "Published messages the broker returned: no queue was bound to "
      "their routing key.",
      connection, [io] { return static_cast<double>(io->stats().returns); });
  registry->AddGaugeFunction(
      "grpc_amqp_bridge_broker_confirms_outstanding",
      "Publishes (casts) awaiting the broker's publisher confirm.", connection,
      [io] { return static_cast<double>(io->stats().unconfirmed); });
}

}  // namespace amqp::gateway
