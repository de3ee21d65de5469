// The bridge process's metrics that are read when Prometheus scrapes rather
// than recorded per call: gateway totals (calls in flight, rejections by
// max_inflight, unknown result keys), the broker connections (state,
// reconnects, returns, confirms outstanding), replies no call waited for,
// dropped access log lines, and the process's start time and build.
// Per-method call metrics are CallObserver's.

#ifndef BRIDGE_GATEWAY_BRIDGE_METRICS_H_
#define BRIDGE_GATEWAY_BRIDGE_METRICS_H_

#include <string>

#include "bridge/gateway/gateway_env.h"
#include "bridge/metrics/access_log.h"
#include "bridge/metrics/registry.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/transport/io_thread.h"

namespace amqp::gateway {

// Adds the series to `registry`; `stats`, `rpc` and `access_log` (null when
// off) must outlive every scrape of it.
void AddBridgeMetrics(const GatewayStats* stats, const rpc::RpcClient* rpc,
                      const metrics::AccessLog* access_log,
                      metrics::Registry* registry);

// The grpc_amqp_bridge_broker_* series of one broker connection, labelled
// connection=`name`: AddBridgeMetrics's for the calls' connections ("0",
// "1"...), and the reverse direction's servers' ("reverse <topic>"). `io`
// must outlive every scrape.
void AddConnectionMetrics(const std::string& name,
                          const transport::IoThread* io,
                          metrics::Registry* registry);

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_BRIDGE_METRICS_H_
