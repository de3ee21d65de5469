#include "bridge/gateway/call_observer.h"

#include <utility>

#include "absl/status/status.h"
#include "bridge/gateway/call_steps.h"
#include "bridge/gateway/error_mapping.h"
#include "bridge/schema/service_map.h"

namespace amqp::gateway {
namespace {

using schema::MethodKind;

// The label values of calls to a path that no route serves.
constexpr char kUnknownMethod[] = "unknown";
constexpr char kUnsupportedKind[] = "unsupported";

// The index of `code` in the per-code series: UNKNOWN for values outside
// gRPC's 17 codes.
int CodeIndex(grpc::StatusCode code) {
  const int value = static_cast<int>(code);
  return value >= 0 && value < 17 ? value : grpc::StatusCode::UNKNOWN;
}

// Where a call's request went: the target RequestSpec computes (with the
// server the call picked), as RpcClient addresses it per kind.
std::pair<std::string, std::string> Destination(const GatewayEnv& env,
                                                const EndedCall& call) {
  if (call.route == nullptr) return {};
  const Route& route = *call.route;
  rpc::Target target = route.target;
  if (call.metadata != nullptr && call.request != nullptr) {
    target = RequestSpec(env, route, *call.metadata, *call.request,
                         absl::InfiniteFuture())
                 .target;
  }
  switch (route.method.kind) {
    case MethodKind::kCall:
    case MethodKind::kCast:
      return {target.exchange, target.RoutingKey()};
    case MethodKind::kFanoutCast:
    case MethodKind::kGather:
      return {target.FanoutExchange(), ""};
    case MethodKind::kSubscribe:  // the binding of the stream's queue
      return {target.FanoutExchange(), target.topic};
  }
  return {};
}

}  // namespace

CallObserver::CallObserver(const RouteTable& routes,
                           metrics::Registry* registry,
                           metrics::AccessLog* access_log)
    : registry_(registry), access_log_(access_log) {
  for (int code = 0; code < kCodes; ++code) {
    code_names_[code] = GrpcCodeName(static_cast<absl::StatusCode>(code));
  }
  for (const std::unique_ptr<Route>& route : routes.routes()) {
    MethodSeries series = AddMethod(
        route->path, std::string(schema::MethodKindName(route->method.kind)));
    const metrics::Labels method = {{"method", route->path}};
    if (route->method.kind == MethodKind::kGather) {
      series.gather_replies = registry_->AddCounter(
          "grpc_amqp_bridge_gather_replies_total",
          "Replies GATHER streams received, failures included.", method);
      series.gather_failures = registry_->AddCounter(
          "grpc_amqp_bridge_gather_failed_replies_total",
          "GATHER replies that carried an exception or did not fit the "
          "response type.",
          method);
    }
    if (route->method.kind == MethodKind::kSubscribe) {
      series.subscribe_sent = registry_->AddCounter(
          "grpc_amqp_bridge_subscribe_messages_total",
          "Casts SUBSCRIBE streams sent to their clients.", method);
      series.subscribe_dropped = registry_->AddCounter(
          "grpc_amqp_bridge_subscribe_dropped_total",
          "Casts SUBSCRIBE streams skipped: their arguments did not fit the "
          "response type.",
          method);
    }
    routes_.emplace(route.get(), std::move(series));
  }
  for (const UnsupportedRoute& route : routes.unsupported()) {
    unsupported_.emplace(route.path, AddMethod(route.path, kUnsupportedKind));
  }
  unknown_ = AddMethod(kUnknownMethod, kUnknownMethod);
}

CallObserver::MethodSeries CallObserver::AddMethod(const std::string& method,
                                                   const std::string& kind) {
  MethodSeries series;
  series.kind = kind;
  for (int code = 0; code < kCodes; ++code) {
    series.calls[code] = registry_->AddCounter(
        "grpc_amqp_bridge_calls_total",
        "gRPC calls the bridge finished, by method, kind and gRPC code.",
        {{"method", method}, {"kind", kind}, {"code", code_names_[code]}});
  }
  series.duration = registry_->AddHistogram(
      "grpc_amqp_bridge_call_duration_seconds",
      "Time from a call's arrival to its status, by method.",
      metrics::DefaultLatencyBounds(), {{"method", method}});
  return series;
}

const CallObserver::MethodSeries& CallObserver::SeriesOf(
    const EndedCall& call) const {
  if (call.route != nullptr) {
    auto it = routes_.find(call.route);
    if (it != routes_.end()) return it->second;
  } else if (!unsupported_.empty()) {
    auto it = unsupported_.find(call.method);
    if (it != unsupported_.end()) return it->second;
  }
  return unknown_;
}

void CallObserver::CallEnded(const GatewayEnv& env,
                             const EndedCall& call) const {
  const absl::Time ended = absl::Now();
  const MethodSeries& series = SeriesOf(call);
  series.calls[CodeIndex(call.code)]->Add();
  series.duration->Observe(ended - call.started);
  if (access_log_ != nullptr) Log(env, call, series, ended);
}

void CallObserver::GatherEnded(const Route& route, int replies,
                               int failures) const {
  const MethodSeries& series = routes_.at(&route);
  if (series.gather_replies == nullptr) return;
  series.gather_replies->Add(replies);
  series.gather_failures->Add(failures);
}

void CallObserver::SubscribeMessage(const Route& route, bool sent) const {
  const MethodSeries& series = routes_.at(&route);
  if (series.subscribe_sent == nullptr) return;
  (sent ? series.subscribe_sent : series.subscribe_dropped)->Add();
}

void CallObserver::Log(const GatewayEnv& env, const EndedCall& call,
                       const MethodSeries& series, absl::Time ended) const {
  const auto [exchange, routing_key] = Destination(env, call);
  const std::string peer =
      call.context != nullptr ? call.context->peer() : std::string();
  metrics::AccessLogEntry entry;
  entry.time = ended;
  // A path no route serves comes from the client: bounded, like a log line.
  entry.method = call.method.substr(0, 256);
  entry.kind = series.kind;
  entry.exchange = exchange;
  entry.routing_key = routing_key;
  entry.code = code_names_[CodeIndex(call.code)];
  entry.duration = ended - call.started;
  entry.request_id = call.metadata != nullptr ? call.metadata->request_id
                                              : absl::string_view();
  entry.peer = peer;
  access_log_->Write(metrics::FormatAccessLogLine(entry));
}

}  // namespace amqp::gateway
