// Microbenchmarks of the lookups on the call path:
//  - the bridge's route lookup by gRPC method path (RouteTable::Find);
//  - a server's lookup of the oslo method in the generated dispatch table
//    (ComputeEndpoint::HasMethod), first and last of eleven methods;
//  - a whole server-side dispatch of a decoded "ping" request: version and
//    namespace match, lookup, args -> request, the method, response ->
//    result JSON (Dispatcher::Dispatch on the example compute service).
//
//   bazel run -c opt //bench:micro_dispatch

#include <benchmark/benchmark.h>

#include <string>

#include "bench/micro_routes.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/dispatcher.h"
#include "examples/cpp/compute_service.h"

namespace amqp::bench {
namespace {

void BM_RouteLookup(benchmark::State& state) {
  const std::unique_ptr<gateway::RouteTable> routes = LoadComputeRoutes();
  const std::string path = "/examples.compute.Compute/Ping";
  for (auto _ : state) {
    benchmark::DoNotOptimize(routes->Find(path));
  }
}
BENCHMARK(BM_RouteLookup);

void BM_EndpointMethodLookup(benchmark::State& state) {
  examples::compute::InMemoryCompute compute("host1");
  const std::string method = state.range(0) == 0 ? "get_instance" : "ping";
  for (auto _ : state) {
    benchmark::DoNotOptimize(compute.HasMethod(method));
  }
}
BENCHMARK(BM_EndpointMethodLookup)->Arg(0)->Arg(1);

void BM_DispatchPing(benchmark::State& state) {
  examples::compute::InMemoryCompute compute("host1");
  rpc::Dispatcher dispatcher;
  dispatcher.AddEndpoint(&compute);
  const std::string args = absl::StrCat(
      R"({"payload": ")", std::string(state.range(0), 'x'), R"("})");
  oslo::OutgoingRequest outgoing;
  outgoing.method = "ping";
  outgoing.args_json = args;
  outgoing.version = "5.0";
  outgoing.msg_id = "1b4f0e9868c54c4a9e0f1f0c4e1a2b3c";
  outgoing.reply_q = "reply_0123456789abcdef0123456789abcdef";
  absl::StatusOr<oslo::Request> request =
      oslo::Request::Decode(oslo::EncodeRequest(outgoing));
  if (!request.ok()) std::abort();
  for (auto _ : state) {
    absl::StatusOr<std::string> result = dispatcher.Dispatch(*request);
    if (!result.ok()) state.SkipWithError("dispatch failed");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_DispatchPing)->Arg(64)->Arg(4096);

}  // namespace
}  // namespace amqp::bench
