// What the bridge records of its gRPC calls (docs/observability.md): per
// method, calls by gRPC code, a latency histogram, GATHER replies and
// SUBSCRIBE messages, in a metrics registry; and, when --access_log is on,
// one line per call.
//
// Every series is created here, at start-up, from the route table, so
// recording a call is a lookup in an immutable map and a few relaxed atomic
// adds: no lock on the call path (the access log takes one for an append).

#ifndef BRIDGE_GATEWAY_CALL_OBSERVER_H_
#define BRIDGE_GATEWAY_CALL_OBSERVER_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <array>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bridge/gateway/call_metadata.h"
#include "bridge/gateway/gateway_env.h"
#include "bridge/gateway/route_table.h"
#include "bridge/metrics/access_log.h"
#include "bridge/metrics/registry.h"
#include "bridge/transcode/wire_request.h"

namespace amqp::gateway {

// What is known of a call when it ends; the pointers may be null when the
// call failed before that part was read.
struct EndedCall {
  const Route* route = nullptr;  // null: the bridge serves no such method
  absl::string_view method;      // the gRPC path the client called
  absl::Time started;
  grpc::StatusCode code = grpc::StatusCode::OK;
  const grpc::ServerContextBase* context = nullptr;  // for the peer
  const CallMetadata* metadata = nullptr;
  const transcode::WireRequest* request = nullptr;  // for the server_field
};

class CallObserver {
 public:
  // Creates the series of every route and unsupported method of `routes`.
  // `routes`, `registry` and `access_log` (null: off) outlive the observer.
  CallObserver(const RouteTable& routes, metrics::Registry* registry,
               metrics::AccessLog* access_log);
  CallObserver(const CallObserver&) = delete;
  CallObserver& operator=(const CallObserver&) = delete;

  // `env` is the call's (for where its request went).
  void CallEnded(const GatewayEnv& env, const EndedCall& call) const;
  // A GATHER stream's replies, failures included, and failed ones.
  void GatherEnded(const Route& route, int replies, int failures) const;
  // A cast a SUBSCRIBE stream sent on, or skipped (it did not fit).
  void SubscribeMessage(const Route& route, bool sent) const;

 private:
  static constexpr int kCodes = 17;  // gRPC's status codes, 0 to 16
  struct MethodSeries {
    std::string kind;
    std::array<metrics::Counter*, kCodes> calls{};
    metrics::Histogram* duration = nullptr;
    // Only for the kinds that have them.
    metrics::Counter* gather_replies = nullptr;
    metrics::Counter* gather_failures = nullptr;
    metrics::Counter* subscribe_sent = nullptr;
    metrics::Counter* subscribe_dropped = nullptr;
  };

  MethodSeries AddMethod(const std::string& method, const std::string& kind);
  const MethodSeries& SeriesOf(const EndedCall& call) const;
  void Log(const GatewayEnv& env, const EndedCall& call,
           const MethodSeries& series, absl::Time ended) const;

  metrics::Registry* const registry_;
  metrics::AccessLog* const access_log_;
  absl::flat_hash_map<const Route*, MethodSeries> routes_;
  // Methods of mapped services the bridge refuses (UNIMPLEMENTED).
  absl::flat_hash_map<std::string, MethodSeries> unsupported_;
  // Every other path, under one series: a client's typo must not create one.
  MethodSeries unknown_;
  std::array<std::string, kCodes> code_names_;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_CALL_OBSERVER_H_
