// Microbenchmarks of what recording a call costs the call path
// (docs/observability.md): a counter add and a histogram observation alone,
// and CallObserver::CallEnded, the whole per-call hook (series lookup by
// route, calls_total by code, the latency histogram, the clock read), with
// the access log off and on. Threads(2) shows what two cores recording the
// same method's series at once pay for sharing their cache lines.

#include <benchmark/benchmark.h>

#include <memory>

#include "absl/time/clock.h"
#include "bench/micro_routes.h"
#include "bridge/gateway/call_observer.h"
#include "bridge/metrics/access_log.h"
#include "bridge/metrics/registry.h"

namespace amqp::bench {
namespace {

metrics::Registry& SharedRegistry() {
  static auto* registry = new metrics::Registry();
  return *registry;
}

void BM_CounterAdd(benchmark::State& state) {
  metrics::Counter* counter =
      SharedRegistry().AddCounter("bench_calls_total", "Calls.");
  for (auto _ : state) counter->Add();
}
BENCHMARK(BM_CounterAdd)->Threads(1)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
  metrics::Histogram* histogram = SharedRegistry().AddHistogram(
      "bench_duration_seconds", "Latency.", metrics::DefaultLatencyBounds());
  for (auto _ : state) histogram->Observe(absl::Microseconds(180));
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

const gateway::RouteTable& Routes() {
  static auto* routes = LoadComputeRoutes().release();
  return *routes;
}

void RecordCalls(const gateway::CallObserver& observer,
                 benchmark::State& state) {
  const gateway::Route* route = Routes().Find("/examples.compute.Compute/Ping");
  const gateway::EndedCall call{.route = route,
                                .method = route->path,
                                .started = absl::Now(),
                                .code = grpc::StatusCode::OK};
  const gateway::GatewayEnv env;
  for (auto _ : state) observer.CallEnded(env, call);
}

void BM_CallEnded(benchmark::State& state) {
  static auto* observer =
      new gateway::CallObserver(Routes(), &SharedRegistry(), nullptr);
  RecordCalls(*observer, state);
}
BENCHMARK(BM_CallEnded)->Threads(1)->Threads(2);

// Lines go to /dev/null: the cost on the calling thread, not the disk's.
void BM_CallEndedWithAccessLog(benchmark::State& state) {
  static auto* log = metrics::AccessLog::Open("/dev/null")->release();
  static auto* registry = new metrics::Registry();
  static auto* observer = new gateway::CallObserver(Routes(), registry, log);
  RecordCalls(*observer, state);
}
BENCHMARK(BM_CallEndedWithAccessLog)->Threads(1)->Threads(2);

}  // namespace
}  // namespace amqp::bench
