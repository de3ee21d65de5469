// load_driver: steady oslo load from the C++ RpcClient for the broker-restart
// test. Each of --threads threads loops: one call of `ping` (deadline
// --deadline_ms) and one cast of `reboot_instance` with a request id of its
// own, to topic.server; then sleeps --pause_ms. It runs until SIGINT or
// SIGTERM, then writes one line per operation to --record:
//
//   call <end unix seconds> <status code name> <elapsed ms>
//   cast <end unix seconds> <status code name> <elapsed ms> <request id>
//
// A cast is OK once the broker confirmed it. An operation still unfinished
// 2 s past its deadline is recorded as HUNG (and the thread moves on).

#include <glog/logging.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bridge/oslo/json.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

ABSL_FLAG(std::string, transport_url, "rabbit://", "oslo transport_url");
ABSL_FLAG(std::string, exchange, "openstack", "control exchange");
ABSL_FLAG(std::string, topic, "", "topic (required)");
ABSL_FLAG(std::string, server, "host1", "server: casts go to topic.server");
ABSL_FLAG(int, threads, 4, "load threads");
ABSL_FLAG(int, deadline_ms, 3000, "deadline of each call and cast");
ABSL_FLAG(int, pause_ms, 20, "pause after each call + cast, per thread");
ABSL_FLAG(std::string, id_prefix, "load", "prefix of the casts' request ids");
ABSL_FLAG(std::string, record, "", "file to write the operations to");

namespace amqp {
namespace {

constexpr absl::Duration kHungAfter = absl::Seconds(2);

struct Record {
  std::string kind;
  absl::Time end;
  absl::StatusCode code;
  absl::Duration elapsed;
  std::string id;
  bool hung = false;
};

// What one operation's callback fills in; shared, so a late callback after
// the thread gave up on it (HUNG) writes into memory that still exists.
struct Outcome {
  absl::Notification done;
  absl::Status status;
};

class Driver {
 public:
  explicit Driver(rpc::RpcClient* client) : client_(client) {}

  void Run(int thread, std::atomic<bool>* stop) {
    const absl::Duration deadline =
        absl::Milliseconds(absl::GetFlag(FLAGS_deadline_ms));
    rpc::CallSpec spec;
    spec.target.exchange = absl::GetFlag(FLAGS_exchange);
    spec.target.topic = absl::GetFlag(FLAGS_topic);
    spec.target.version = "5.0";
    spec.timeout = deadline;
    rpc::CallSpec cast_spec = spec.Prepare(absl::GetFlag(FLAGS_server));
    const std::string prefix = absl::GetFlag(FLAGS_id_prefix);
    for (int n = 0; !stop->load(); ++n) {
      Measure("call", "", deadline, [&](std::shared_ptr<Outcome> outcome) {
        client_->CallAsync(spec, "ping", R"({"payload": "load"})", nullptr,
                           [outcome](absl::StatusOr<oslo::Reply> reply) {
                             outcome->status = reply.status();
                             outcome->done.Notify();
                           });
      });
      const std::string id = absl::StrCat(prefix, "-", thread, "-", n);
      oslo::JsonDocument context = oslo::NewJsonDocument();
      context.SetObject();
      context.AddMember("request_id",
                        rapidjson::Value(id.c_str(), context.GetAllocator()),
                        context.GetAllocator());
      Measure("cast", id, deadline, [&](std::shared_ptr<Outcome> outcome) {
        client_->CastAsync(
            cast_spec, "reboot_instance",
            R"({"instance_uuid": "vm-1", "reboot_type": "HARD"})", &context,
            [outcome](absl::Status status) {
              outcome->status = std::move(status);
              outcome->done.Notify();
            });
      });
      absl::SleepFor(absl::Milliseconds(absl::GetFlag(FLAGS_pause_ms)));
    }
  }

  void Write(const std::string& path) {
    FILE* f = fopen(path.c_str(), "w");
    PCHECK(f != nullptr) << path;
    absl::MutexLock lock(&mu_);
    for (const Record& r : records_) {
      absl::FPrintF(f, "%s %.6f %s %.1f%s\n", r.kind,
                    absl::ToUnixMicros(r.end) / 1e6,
                    r.hung ? "HUNG" : absl::StatusCodeToString(r.code),
                    absl::ToDoubleMilliseconds(r.elapsed),
                    r.kind == "cast" ? absl::StrCat(" ", r.id) : "");
    }
    fclose(f);
  }

 private:
  template <typename Start>
  void Measure(const char* kind, const std::string& id, absl::Duration deadline,
               Start start) {
    auto outcome = std::make_shared<Outcome>();
    const absl::Time started = absl::Now();
    start(outcome);
    Record record{kind, absl::Time(), absl::StatusCode::kOk,
                  absl::ZeroDuration(), id};
    if (outcome->done.WaitForNotificationWithTimeout(deadline + kHungAfter)) {
      record.code = outcome->status.code();
    } else {
      record.hung = true;
    }
    record.end = absl::Now();
    record.elapsed = record.end - started;
    absl::MutexLock lock(&mu_);
    records_.push_back(std::move(record));
  }

  rpc::RpcClient* const client_;
  absl::Mutex mu_;
  std::vector<Record> records_ ABSL_GUARDED_BY(mu_);
};

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<transport::TransportUrl> url =
      transport::ParseTransportUrl(absl::GetFlag(FLAGS_transport_url));
  transport::RabbitOptions rabbit;
  absl::Status status =
      url.ok() ? transport::ApplyUrlQuery(*url, &rabbit) : url.status();
  if (!status.ok() || absl::GetFlag(FLAGS_topic).empty() ||
      absl::GetFlag(FLAGS_record).empty()) {
    LOG(ERROR) << "load_driver: needs --topic, --record and a valid "
                  "--transport_url: "
               << status.message();
    return 64;
  }
  rpc::RpcClient::Options options;
  options.url = *url;
  options.rabbit = rabbit;
  options.name = "load_driver";
  rpc::RpcClient client(options);
  if (!client.WaitReady(absl::Seconds(30))) {
    LOG(ERROR) << "load_driver: broker unreachable";
    return 3;
  }
  Driver driver(&client);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < absl::GetFlag(FLAGS_threads); ++i) {
    threads.emplace_back([&, i] { driver.Run(i, &stop); });
  }
  LOG(INFO) << "load_driver: running";
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  driver.Write(absl::GetFlag(FLAGS_record));
  LOG(INFO) << "load_driver: stopped, wrote " << absl::GetFlag(FLAGS_record);
  return 0;
}

}  // namespace
}  // namespace amqp

int main(int argc, char** argv) { return amqp::Main(argc, argv); }
