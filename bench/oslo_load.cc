// oslo_load: the runtime row of the benchmarks. The generated C++ oslo
// client (ComputeClient::Ping on the runtime's RpcClient) calls the example
// compute server, sequentially or with a fixed number of calls in flight.
//
//   oslo_load --topic=bench_compute --mode=latency --calls=2000
//   oslo_load --topic=bench_compute --mode=throughput --in_flight=64
//
// Prints one JSON line (see load_stats.h); replies whose payload differs
// from the request's count as errors.

#include <glog/logging.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/load_stats.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"
#include "examples/compute.amqp.h"

ABSL_FLAG(std::string, transport_url, "rabbit://guest:guest@127.0.0.1:5672/",
          "broker");
ABSL_FLAG(std::string, topic, "compute", "the compute servers' topic");
ABSL_FLAG(std::string, mode, "latency",
          "latency (sequential calls) or throughput (closed loop)");
ABSL_FLAG(int, calls, 2000, "latency mode: calls measured");
ABSL_FLAG(int, in_flight, 1, "throughput mode: calls kept in flight");
ABSL_FLAG(double, seconds, 5, "throughput mode: measured time");
ABSL_FLAG(double, warmup_seconds, 0.5, "time run before measuring");
ABSL_FLAG(int, payload_bytes, 64, "PingRequest.payload size");
ABSL_FLAG(int, io_threads, 2, "the RpcClient's broker connections");

namespace amqp::bench {
namespace {

using examples::compute::ComputeClient;
using examples::compute::PingReply;
using examples::compute::PingRequest;

// Keeps `in_flight` calls going until `until`; counts those that finish
// inside [from, until).
class ClosedLoop {
 public:
  ClosedLoop(const ComputeClient& client, const PingRequest& request,
             absl::Time from, absl::Time until)
      : client_(client), request_(request), from_(from), until_(until) {}

  void Run(int in_flight) {
    outstanding_ = in_flight;
    for (int i = 0; i < in_flight; ++i) Start();
    done_.WaitForNotification();
  }
  LoadStats& stats() { return stats_; }

 private:
  void Start() {
    client_.PingAsync(
        request_, nullptr, [this](absl::StatusOr<PingReply> reply) {
          const absl::Time now = absl::Now();
          const bool ok = reply.ok() && reply->payload() == request_.payload();
          {
            absl::MutexLock lock(&mu_);
            if (now >= from_ && now < until_) {
              if (ok) {
                stats_.Count();
              } else {
                stats_.Error();
              }
            }
          }
          if (now < until_) {
            Start();
          } else if (outstanding_.fetch_sub(1) == 1) {
            done_.Notify();
          }
        });
  }

  const ComputeClient& client_;
  const PingRequest& request_;
  const absl::Time from_;
  const absl::Time until_;
  absl::Mutex mu_;
  LoadStats stats_;
  std::atomic<int> outstanding_{0};
  absl::Notification done_;
};

int Run() {
  absl::StatusOr<transport::TransportUrl> url =
      transport::ParseTransportUrl(absl::GetFlag(FLAGS_transport_url));
  if (!url.ok()) {
    std::fprintf(stderr, "oslo_load: %s\n",
                 std::string(url.status().message()).c_str());
    return 64;
  }
  rpc::RpcClient::Options options;
  options.url = *url;
  options.io_threads = absl::GetFlag(FLAGS_io_threads);
  options.name = "oslo_load";
  rpc::RpcClient rpc(options);
  if (!rpc.WaitReady(absl::Seconds(10))) {
    std::fprintf(stderr, "oslo_load: broker not reachable\n");
    return 1;
  }
  rpc::CallSpec spec = ComputeClient::DefaultSpec();
  spec.target.topic = absl::GetFlag(FLAGS_topic);
  spec.timeout = absl::Seconds(30);
  const ComputeClient client(&rpc, spec);
  PingRequest request;
  request.set_payload(std::string(absl::GetFlag(FLAGS_payload_bytes), 'x'));

  const absl::Time start = absl::Now();
  const absl::Time from =
      start + absl::Seconds(absl::GetFlag(FLAGS_warmup_seconds));
  if (absl::GetFlag(FLAGS_mode) == "latency") {
    LoadStats stats;
    const int calls = absl::GetFlag(FLAGS_calls);
    absl::Time measured_from = start;
    bool warming = true;
    while (warming || stats.calls() + stats.errors() < calls) {
      const absl::Time sent = absl::Now();
      if (warming && sent >= from) {
        warming = false;
        measured_from = sent;
      }
      absl::StatusOr<PingReply> reply = client.Ping(request);
      if (warming) continue;
      if (reply.ok() && reply->payload() == request.payload()) {
        stats.Record(absl::Now() - sent);
      } else {
        stats.Error();
      }
    }
    stats.Print("latency", absl::Now() - measured_from);
    return 0;
  }
  const absl::Time until = from + absl::Seconds(absl::GetFlag(FLAGS_seconds));
  ClosedLoop loop(client, request, from, until);
  loop.Run(absl::GetFlag(FLAGS_in_flight));
  loop.stats().Print("throughput", until - from);
  return 0;
}

}  // namespace
}  // namespace amqp::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "load generator: the generated C++ oslo client calling Compute.Ping");
  absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  // As in the bridge and the example server: no absl deadlock detector.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return amqp::bench::Run();
}
