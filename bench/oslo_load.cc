// oslo_load: the runtime row of the benchmarks. The generated C++ oslo
// client (ComputeClient::Ping on the runtime's RpcClient) calls the example
// compute server, sequentially or with a fixed number of calls in flight.
// In publish mode it is the SUBSCRIBE row's caster instead: `in_flight`
// threads publish InstanceEvents (fanout casts of "instance_event") whose
// instance_uuid is the time of the cast in Unix nanoseconds, for
// bench/subscribe_load.py to time their receipt.
//
//   oslo_load --topic=bench_compute --mode=latency --calls=2000
//   oslo_load --topic=bench_compute --mode=throughput --in_flight=64
//   oslo_load --topic=bench_compute --mode=publish --in_flight=4 --seconds=2
//   oslo_load --topic=bench_compute --mode=publish --publish_interval=2ms
//
// Prints one JSON line (see load_stats.h); replies whose payload differs
// from the request's count as errors.

#include <glog/logging.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
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
          "latency (sequential calls), throughput (closed loop) or publish "
          "(WatchEvents events for `seconds` from `in_flight` threads)");
ABSL_FLAG(int, calls, 2000, "latency mode: calls measured");
ABSL_FLAG(int, in_flight, 1,
          "throughput mode: calls kept in flight; publish mode: threads");
ABSL_FLAG(double, seconds, 5, "throughput mode: measured time");
ABSL_FLAG(absl::Duration, publish_interval, absl::ZeroDuration(),
          "publish mode: each thread's pause after each event (0: none)");
ABSL_FLAG(double, warmup_seconds, 0.5, "time run before measuring");
ABSL_FLAG(int, payload_bytes, 64, "PingRequest.payload size");
ABSL_FLAG(int, io_threads, 2, "the RpcClient's broker connections");

namespace amqp::bench {
namespace {

using examples::compute::ComputeClient;
using examples::compute::InstanceEvent;
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
            stats_.Ended();
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

// Publishes events from `threads` threads until `until`, each one once the
// broker confirmed the last (and `interval` passed).
void Publish(const ComputeClient& client, int threads, absl::Duration interval,
             absl::Time until) {
  absl::Mutex mu;
  LoadStats stats;
  const absl::Time start = absl::Now();
  std::vector<std::thread> publishers;
  for (int i = 0; i < threads; ++i) {
    publishers.emplace_back([&] {
      InstanceEvent event;
      event.set_event("bench");
      while (absl::Now() < until) {
        event.set_instance_uuid(absl::StrCat(absl::ToUnixNanos(absl::Now())));
        const absl::Status published = client.PublishWatchEvents(event);
        absl::MutexLock lock(&mu);
        stats.Ended();
        if (published.ok()) {
          stats.Count();
        } else {
          stats.Error();
        }
        if (interval > absl::ZeroDuration()) absl::SleepFor(interval);
      }
    });
  }
  for (std::thread& publisher : publishers) publisher.join();
  stats.Print("publish", absl::Now() - start);
}

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
  if (absl::GetFlag(FLAGS_mode) == "publish") {
    Publish(client, absl::GetFlag(FLAGS_in_flight),
            absl::GetFlag(FLAGS_publish_interval),
            start + absl::Seconds(absl::GetFlag(FLAGS_seconds)));
    return 0;
  }
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
