#include "examples/cpp/example_server.h"

#include <glog/logging.h>
#include <signal.h>

#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "bridge/rpc/dispatcher.h"
#include "bridge/rpc/rpc_server.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

// Its own type: --help shows the current value with passwords as "***".
ABSL_FLAG(amqp::transport::TransportUrlFlag, transport_url,
          {"rabbit://guest:guest@127.0.0.1:5672/"}, "oslo transport_url");
ABSL_FLAG(std::string, exchange, "openstack", "control exchange");
ABSL_FLAG(std::string, topic, "compute", "topic to serve");
ABSL_FLAG(std::string, server, "host1", "this server's name (topic.server)");
ABSL_FLAG(int, executor_threads, 16,
          "worker threads for the methods; 0 runs them on the I/O thread "
          "(no hand-off; fine while no method blocks)");
ABSL_FLAG(int, max_queued_requests, 64,
          "requests waiting for a worker, at most; beyond it deliveries stay "
          "in the broker (prefetch). 0 = no bound");
ABSL_FLAG(uint64_t, max_message_bytes, uint64_t{16} << 20,
          "larger requests are rejected unread; 0 = no limit");

namespace examples {

int RunExampleServer(int argc, char** argv, const char* usage,
                     const std::function<std::unique_ptr<amqp::rpc::Endpoint>(
                         const std::string& server)>& make_endpoint) {
  absl::SetProgramUsageMessage(usage);
  // --help lists the flags of the program's own file by default; the
  // example servers' flags are defined here, in a file of another name.
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "examples/");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  // Debian builds absl with its deadlock detector on: every Mutex would pay
  // for a global lock-order graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  absl::StatusOr<amqp::transport::TransportUrl> url =
      amqp::transport::ParseTransportUrl(
          absl::GetFlag(FLAGS_transport_url).text);
  amqp::transport::RabbitOptions rabbit;
  absl::Status status =
      url.ok() ? amqp::transport::ApplyUrlQuery(*url, &rabbit) : url.status();
  if (!status.ok()) {
    std::cerr << argv[0] << ": " << status.message() << "\n";
    return 64;
  }

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<amqp::rpc::Endpoint> endpoint =
      make_endpoint(absl::GetFlag(FLAGS_server));
  amqp::rpc::Dispatcher dispatcher;
  dispatcher.AddEndpoint(endpoint.get());
  amqp::rpc::RpcServer::Options options;
  options.url = *url;
  options.rabbit = rabbit;
  options.target.exchange = absl::GetFlag(FLAGS_exchange);
  options.target.topic = absl::GetFlag(FLAGS_topic);
  options.target.server = absl::GetFlag(FLAGS_server);
  options.executor_threads = absl::GetFlag(FLAGS_executor_threads);
  options.max_queued_requests = absl::GetFlag(FLAGS_max_queued_requests);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  const absl::string_view program(argv[0]);
  options.name = std::string(program.substr(program.rfind('/') + 1));
  amqp::rpc::RpcServer server(options, &dispatcher);
  if (server.WaitReady(absl::Seconds(30))) {
    LOG(INFO) << "ready: topic '" << options.target.topic << "' server '"
              << options.target.server << "' at " << url->Redacted();
  } else {
    LOG(WARNING) << "broker not reachable yet at " << url->Redacted()
                 << "; serving once it is";
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.Stop();
  return 0;
}

}  // namespace examples
