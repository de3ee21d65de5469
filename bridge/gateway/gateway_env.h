// What every call through the bridge shares, built once at start-up: the
// route table, the oslo.messaging client, the error mapping, the timeouts, and
// the counters the bridge reports.

#ifndef BRIDGE_GATEWAY_GATEWAY_ENV_H_
#define BRIDGE_GATEWAY_GATEWAY_ENV_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "bridge/gateway/error_mapping.h"
#include "bridge/gateway/oslo_client.h"
#include "bridge/gateway/route_table.h"

namespace amqp::gateway {

class CallObserver;

// Counters updated with relaxed atomics on the call path.
struct GatewayStats {
  std::atomic<int64_t> calls{0};           // gRPC calls started
  std::atomic<int64_t> failed_calls{0};    // ended with a non-OK status
  std::atomic<int64_t> in_flight{0};       // started and not yet done
  std::atomic<int64_t> rejected_calls{0};  // over max_inflight
  // Result keys that named no response field (design: ignored, counted).
  std::atomic<int64_t> unknown_result_keys{0};
  // Messages NOTIFICATIONS streams queued for their clients.
  std::atomic<int64_t> notifications_streamed{0};
};

struct GatewayEnv {
  const RouteTable* routes = nullptr;
  OsloClient* rpc = nullptr;  // an RpcClientAdapter, or a test's fake
  const ErrorMapper* errors = nullptr;
  // The reply wait of calls whose client set no deadline (oslo's key).
  absl::Duration rpc_response_timeout = absl::Seconds(60);
  // How long GATHER streams collect replies unless the call says otherwise.
  absl::Duration gather_window = absl::Seconds(1);
  // oslo's call_monitor_timeout for calls without x-amqp-call-monitor-ms;
  // zero: none.
  absl::Duration call_monitor_timeout = absl::ZeroDuration();
  GatewayStats* stats = nullptr;
  // Per-method metrics and the access log; null: none.
  const CallObserver* observer = nullptr;
  // Calls in progress at most; beyond it RESOURCE_EXHAUSTED at once. 0: none.
  int64_t max_inflight = 0;
  // Notifications (sent and received through `rpc`): `notify` methods send
  // with the publisher id x-amqp-publisher-id, else `publisher_id`;
  // NOTIFICATIONS streams hold at most `notification_buffer` messages each
  // for a slow reader.
  std::string publisher_id;
  size_t notification_buffer = 1000;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_GATEWAY_ENV_H_
