// grpc_amqp_bridge: serves gRPC and forwards each call onto oslo.messaging
// over RabbitMQ, driven by descriptor sets at run time (docs/bridge.md).
//
//   grpc_amqp_bridge --descriptor_set=api.pb --listen=127.0.0.1:50051
//       --transport_url=rabbit://user:pass@127.0.0.1:5672/
//
// Prints one line per route at start-up, then "listening on HOST:PORT", and
// stops cleanly on SIGINT or SIGTERM.

#include <glog/logging.h>
#include <grpcpp/ext/health_check_service_server_builder_option.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "bridge/amqp/transport_url.h"
#include "bridge/config/bridge_config.h"
#include "bridge/gateway/bridge_metrics.h"
#include "bridge/gateway/bridge_service.h"
#include "bridge/gateway/broker_health.h"
#include "bridge/gateway/call_observer.h"
#include "bridge/gateway/error_mapping.h"
#include "bridge/gateway/oslo_client.h"
#include "bridge/gateway/reflection_service.h"
#include "bridge/gateway/route_table.h"
#include "bridge/gateway/unary_call.h"
#include "bridge/metrics/access_log.h"
#include "bridge/metrics/http_server.h"
#include "bridge/metrics/registry.h"
#include "bridge/reverse/reverse_server.h"
#include "bridge/rpc/notification_listener.h"
#include "bridge/rpc/notifier.h"
#include "bridge/rpc/rpc_client.h"

ABSL_FLAG(std::string, config, "",
          "oslo.config-style INI file: [DEFAULT] transport_url, "
          "control_exchange, rpc_response_timeout; [oslo_messaging_rabbit] "
          "options; [grpc_amqp_bridge] the flags below by name. Flags win "
          "over the file.");
ABSL_FLAG(std::vector<std::string>, descriptor_set, {},
          "FileDescriptorSet made with protoc --include_imports "
          "--descriptor_set_out; repeat the flag (or separate with commas) "
          "for several. Every service with (amqp.service) options is served.");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC address to listen on (HOST:PORT; port 0 picks a free one).");
// Its own type: --help shows the current value with passwords as "***".
ABSL_FLAG(amqp::transport::TransportUrlFlag, transport_url, {"rabbit://"},
          "oslo transport_url: rabbit://USER:PASS@HOST:PORT[,HOST2...]/VHOST"
          "[?oslo_messaging_rabbit options]. The password is never logged.");
ABSL_FLAG(std::string, control_exchange, "openstack",
          "AMQP exchange of services whose (amqp.service) names none.");
ABSL_FLAG(std::string, rpc_response_timeout, "60",
          "Seconds a call waits for its reply when the gRPC client sets no "
          "deadline.");
ABSL_FLAG(std::string, gather_window, "1s",
          "How long a GATHER stream collects replies (x-amqp-gather-window-ms "
          "overrides it per call); always closed before the deadline.");
ABSL_FLAG(bool, fail_fast_no_consumer, true,
          "Answer UNAVAILABLE at once when a call's target queue has no "
          "consumer (its server is gone) instead of waiting for the timeout.");
ABSL_FLAG(std::string, error_map, "",
          "Extra oslo exception -> gRPC code rules, checked before the "
          "defaults: 'QuotaExceeded=RESOURCE_EXHAUSTED,*Gone=NOT_FOUND'.");
ABSL_FLAG(bool, include_tracebacks, false,
          "Send remote Python tracebacks to gRPC clients in error messages.");
ABSL_FLAG(int, io_threads, 2, "AMQP connections, one I/O thread each.");
ABSL_FLAG(uint64_t, max_message_bytes, uint64_t{16} << 20,
          "AMQP replies and subscription casts with a larger body are "
          "rejected unread (one log line each); 0 = no limit.");
ABSL_FLAG(int, max_receive_message_bytes, 4 << 20,
          "gRPC requests larger than this fail with RESOURCE_EXHAUSTED.");
ABSL_FLAG(int64_t, max_inflight, 10000,
          "gRPC calls in progress at once; beyond it a call fails at once "
          "with RESOURCE_EXHAUSTED. 0 = no limit.");
ABSL_FLAG(std::string, grpc_tls_cert, "",
          "PEM certificate chain of the gRPC server. With --grpc_tls_key, the "
          "gRPC port serves TLS only (no plaintext); without, plaintext.");
ABSL_FLAG(std::string, grpc_tls_key, "", "PEM private key of --grpc_tls_cert.");
ABSL_FLAG(std::string, grpc_tls_client_ca, "",
          "PEM file of the CAs that sign client certificates. Set (needs "
          "--grpc_tls_cert): every client must present a certificate that "
          "verifies against it, or its connection is refused (mutual TLS).");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT serving /metrics in the Prometheus text format "
          "([metrics] listen in the file); empty: off.");
ABSL_FLAG(std::string, access_log, "",
          "File that gets one line per gRPC call (appended), '-' for "
          "standard output; empty: off.");

ABSL_FLAG(std::string, publisher_id, "grpc_amqp_bridge",
          "Publisher id of notifications that `notify` methods send when the "
          "call sets no x-amqp-publisher-id.");
ABSL_FLAG(int64_t, notification_buffer, 1000,
          "Notifications a NOTIFICATIONS stream holds for a slow reader; one "
          "more ends it with RESOURCE_EXHAUSTED.");
ABSL_FLAG(std::vector<std::string>, version_cap, {},
          "<topic>=<X.Y>, repeatable: the highest version calls to <topic> "
          "send (nova.conf's [upgrade_levels]); a method above it sends its "
          "fallback_version, or fails with FAILED_PRECONDITION.");
ABSL_FLAG(std::string, call_monitor_timeout, "0",
          "oslo's call_monitor_timeout for calls (seconds or with a unit; 0 = "
          "off): the server heartbeats while it works and a call fails with "
          "DEADLINE_EXCEEDED when none came for that long. Per call: "
          "x-amqp-call-monitor-ms.");

ABSL_FLAG(std::vector<std::string>, backend, {},
          "<package.Service>=<host:port>, repeatable: serve that service's "
          "oslo topic to oslo callers by calling the gRPC backend "
          "(docs/reverse.md); replaces the INI file's [backends].");
ABSL_FLAG(std::string, server_name, "",
          "The server name of the <topic>.<server> queues the backends "
          "consume (oslo's host); default: this machine's host name.");
ABSL_FLAG(std::string, backend_tls_ca, "",
          "PEM file of the CAs of the backends' certificates: TLS to every "
          "backend. Empty: plaintext.");

namespace amqp {
namespace {

// How long start-up waits for the first connection attempt before it listens:
// a refused connection settles at once, a broker that does not answer takes
// the TCP connect timeout (5 s).
constexpr absl::Duration kFirstConnectWait = absl::Seconds(5);

// The flags that LoadBridgeConfig takes (not --config, not glog's).
constexpr absl::string_view kConfigFlags[] = {"transport_url",
                                              "control_exchange",
                                              "rpc_response_timeout",
                                              "listen",
                                              "gather_window",
                                              "fail_fast_no_consumer",
                                              "error_map",
                                              "include_tracebacks",
                                              "io_threads",
                                              "max_message_bytes",
                                              "max_receive_message_bytes",
                                              "max_inflight",
                                              "grpc_tls_cert",
                                              "grpc_tls_key",
                                              "grpc_tls_client_ca",
                                              "metrics_listen",
                                              "access_log",
                                              "publisher_id",
                                              "notification_buffer",
                                              "call_monitor_timeout",
                                              "server_name",
                                              "backend_tls_ca"};

// The command line's flags in order, as (name, value) pairs: "--a=b",
// "-a=b", "--a b" (when b is not a flag) and "--a"/"--noa" (bools, value
// "true"/"false"). absl keeps only the last value of a repeated flag and, in
// this version, no public record of which flags were given.
std::vector<std::pair<std::string, std::string>> GivenFlags(int argc,
                                                            char** argv) {
  static const auto* const kBools = new std::vector<std::string>{
      "fail_fast_no_consumer", "include_tracebacks"};
  std::vector<std::pair<std::string, std::string>> flags;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "-")) continue;  // a positional argument
    absl::ConsumePrefix(&arg, "-");
    const size_t eq = arg.find('=');
    std::string name(arg.substr(0, eq));
    if (eq != absl::string_view::npos) {
      flags.emplace_back(name, std::string(arg.substr(eq + 1)));
    } else if (absl::c_linear_search(*kBools, name)) {
      flags.emplace_back(name, "true");
    } else if (absl::StartsWith(name, "no") &&
               absl::c_linear_search(*kBools, name.substr(2))) {
      flags.emplace_back(name.substr(2), "false");
    } else if (i + 1 < argc) {
      flags.emplace_back(name, argv[++i]);
    }
  }
  return flags;
}

// The flags the user set, as text, for LoadBridgeConfig: repeated
// --descriptor_set flags add up, other flags keep their last value.
config::ConfigOverrides FlagOverrides(int argc, char** argv) {
  config::ConfigOverrides overrides;
  std::vector<std::string> descriptor_sets;
  std::vector<std::string> version_caps;
  std::vector<std::string> backends;
  for (auto& [name, value] : GivenFlags(argc, argv)) {
    if (name == "descriptor_set") {
      descriptor_sets.push_back(std::move(value));
    } else if (name == "backend") {
      backends.push_back(std::move(value));
    } else if (name == "version_cap") {
      version_caps.push_back(std::move(value));
    } else if (absl::c_linear_search(kConfigFlags, name)) {
      overrides[name] = std::move(value);
    }
  }
  if (!descriptor_sets.empty()) {
    overrides["descriptor_set"] = absl::StrJoin(descriptor_sets, ",");
  }
  if (!version_caps.empty()) {
    overrides["version_cap"] = absl::StrJoin(version_caps, ",");
  }
  if (!backends.empty()) overrides["backend"] = absl::StrJoin(backends, ",");
  return overrides;
}

// A whole PEM file; the error names the setting and the path.
absl::StatusOr<std::string> ReadPem(absl::string_view setting,
                                    const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read ", setting, " ", path, ": ", strerror(errno)));
  }
  std::string text((std::istreambuf_iterator<char>(file)),
                   std::istreambuf_iterator<char>());
  if (file.bad()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", setting, " ", path));
  }
  if (text.find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(setting, " ", path, " is not a PEM file"));
  }
  return text;
}

// Plaintext, TLS, or TLS that requires and verifies client certificates.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const config::BridgeConfig& config) {
  if (config.grpc_tls_cert.empty()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert =
      ReadPem("grpc_tls_cert", config.grpc_tls_cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key =
      ReadPem("grpc_tls_key", config.grpc_tls_key);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!config.grpc_tls_client_ca.empty()) {
    absl::StatusOr<std::string> ca =
        ReadPem("grpc_tls_client_ca", config.grpc_tls_client_ca);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// The oslo servers of --backend (none without backends): one line per
// backend and method at start-up.
absl::StatusOr<std::unique_ptr<reverse::ReverseServer>> StartBackends(
    const config::BridgeConfig& config, const gateway::RouteTable& routes,
    metrics::Registry* registry) {
  if (config.backends.empty()) return nullptr;
  absl::StatusOr<std::vector<reverse::BackendSpec>> specs =
      reverse::ParseBackendSpecs(config.backends);
  if (!specs.ok()) return specs.status();
  reverse::ReverseServer::Options options;
  options.backends = *std::move(specs);
  options.url = config.transport_url;
  options.rabbit = config.rabbit;
  options.server_name = config.server_name;
  if (options.server_name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    options.server_name = host;
  }
  options.rpc_response_timeout = config.rpc_response_timeout;
  options.max_message_bytes = config.max_message_bytes;
  options.registry = registry;
  if (!config.backend_tls_ca.empty()) {
    absl::StatusOr<std::string> ca =
        ReadPem("backend_tls_ca", config.backend_tls_ca);
    if (!ca.ok()) return ca.status();
    options.backend_tls_ca_pem = *std::move(ca);
  }
  absl::StatusOr<std::unique_ptr<reverse::ReverseServer>> server =
      reverse::ReverseServer::Start(options, routes);
  if (!server.ok()) return server.status();
  for (const std::string& line : (*server)->Describe()) {
    std::cout << line << "\n";
  }
  if (!(*server)->WaitReady(kFirstConnectWait)) {
    LOG(WARNING) << "backends: not consuming yet; they start once the broker "
                    "connects";
  }
  return server;
}

int Run(int argc, char** argv) {
  absl::StatusOr<config::BridgeConfig> config = config::LoadBridgeConfig(
      absl::GetFlag(FLAGS_config), FlagOverrides(argc, argv));
  if (!config.ok()) {
    std::cerr << "grpc_amqp_bridge: " << config.status().message() << "\n";
    return 2;
  }
  LOG(INFO) << "starting: " << config::DescribeConfig(*config);
  // Bad TLS files stop the bridge before it touches the broker.
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentials(*config);
  if (!credentials.ok()) {
    std::cerr << "grpc_amqp_bridge: " << credentials.status().message() << "\n";
    return 2;
  }

  absl::StatusOr<std::unique_ptr<gateway::RouteTable>> routes =
      gateway::RouteTable::Load(config->descriptor_sets,
                                config->control_exchange);
  if (!routes.ok()) {
    std::cerr << "grpc_amqp_bridge: " << routes.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<gateway::ErrorMapper> errors = gateway::ErrorMapper::Create(
      config->error_map, config->include_tracebacks);
  if (!errors.ok()) {
    std::cerr << "grpc_amqp_bridge: --error_map: " << errors.status().message()
              << "\n";
    return 2;
  }
  for (const auto& route : (*routes)->routes()) {
    std::cout << "route "
              << gateway::DescribeRoute(*route, config->version_caps) << "\n";
  }
  for (const gateway::UnsupportedRoute& route : (*routes)->unsupported()) {
    std::cout << "unsupported " << route.path << ": " << route.reason
              << " (answers UNIMPLEMENTED)\n";
  }

  // Health follows the broker connection as its state changes.
  gateway::BrokerHealth health((*routes)->service_names());
  rpc::RpcClient::Options rpc_options;
  rpc_options.url = config->transport_url;
  rpc_options.rabbit = config->rabbit;
  rpc_options.io_threads = config->io_threads;
  rpc_options.name = "grpc_amqp_bridge";
  rpc_options.fail_fast_no_consumer = config->fail_fast_no_consumer;
  rpc_options.max_message_bytes = config->max_message_bytes;
  rpc_options.version_caps = config->version_caps;
  rpc_options.on_connection_state = [&health](bool connected) {
    health.Update(connected);
  };
  rpc::RpcClient rpc(rpc_options);
  LOG(INFO) << "reply queue " << rpc.reply_queue();

  std::unique_ptr<metrics::AccessLog> access_log;
  if (!config->access_log.empty()) {
    absl::StatusOr<std::unique_ptr<metrics::AccessLog>> opened =
        metrics::AccessLog::Open(config->access_log);
    if (!opened.ok()) {
      std::cerr << "grpc_amqp_bridge: " << opened.status().message() << "\n";
      return 2;
    }
    access_log = *std::move(opened);
  }
  // Notifications have connections of their own: a stream's queue and a
  // notify call's publish never wait behind the calls' traffic.
  rpc::Notifier notifier(
      {config->transport_url, config->rabbit, "grpc_amqp_bridge-notify"});
  rpc::NotificationListener notifications(
      {config->transport_url, config->rabbit, "grpc_amqp_bridge-notifications",
       config->max_message_bytes});

  gateway::GatewayStats stats;
  metrics::Registry registry;
  gateway::CallObserver observer(**routes, &registry, access_log.get());
  gateway::AddBridgeMetrics(&stats, &rpc, access_log.get(), &registry);
  registry.AddCounterFunction(
      "grpc_amqp_bridge_notifications_malformed_total",
      "Messages on NOTIFICATIONS streams' queues that were no notification "
      "(skipped).",
      {}, [&notifications] {
        return static_cast<double>(notifications.malformed());
      });
  gateway::GatewayEnv env;
  env.routes = routes->get();
  gateway::RpcClientAdapter oslo_client(&rpc, &notifier, &notifications);
  env.rpc = &oslo_client;
  env.errors = &*errors;
  env.rpc_response_timeout = config->rpc_response_timeout;
  env.gather_window = config->gather_window;
  env.call_monitor_timeout = config->call_monitor_timeout;
  env.stats = &stats;
  env.observer = &observer;
  env.max_inflight = config->max_inflight;
  env.publisher_id = config->publisher_id;
  env.notification_buffer = static_cast<size_t>(config->notification_buffer);
  // Unary methods on gRPC's unary callback path; streams, and the methods
  // the bridge refuses, on the generic one.
  gateway::UnaryRouteService unary_routes(env);
  gateway::BridgeService service(env);
  gateway::ReflectionService reflection(&(*routes)->pool(),
                                        (*routes)->service_names());

  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!config->metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> started =
        metrics::MetricsServer::Start(config->metrics_listen, &registry);
    if (!started.ok()) {
      std::cerr << "grpc_amqp_bridge: --metrics_listen: "
                << started.status().message() << "\n";
      return 2;
    }
    metrics_server = *std::move(started);
    std::cout << "metrics on "
              << config->metrics_listen.substr(
                     0, config->metrics_listen.rfind(':'))
              << ":" << metrics_server->port() << std::endl;
  }

  // The reverse direction, on connections of its own.
  absl::StatusOr<std::unique_ptr<reverse::ReverseServer>> backends =
      StartBackends(*config, **routes, &registry);
  if (!backends.ok()) {
    std::cerr << "grpc_amqp_bridge: " << backends.status().message() << "\n";
    return 2;
  }

  // "listening" comes with a health answer that holds: once the first
  // connection attempt settled, or, for a broker that does not answer,
  // after kFirstConnectWait with NOT_SERVING.
  if (!health.WaitFirstAttempt(kFirstConnectWait)) {
    LOG(WARNING) << "no answer from the broker within "
                 << absl::FormatDuration(kFirstConnectWait)
                 << ": NOT_SERVING until it connects";
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config->listen, *credentials, &port);
  builder.SetMaxReceiveMessageSize(config->max_receive_message_bytes);
  builder.RegisterService(&reflection);
  if (unary_routes.size() > 0) builder.RegisterService(&unary_routes);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "grpc_amqp_bridge: cannot listen on " << config->listen
              << "\n";
    return 2;
  }
  health.Attach(server->GetHealthCheckService());
  std::string host(config->listen.substr(0, config->listen.rfind(':')));
  std::cout << "listening on " << host << ":" << port << std::endl;

  // SIGINT/SIGTERM were blocked in every thread (see main): wait here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LOG(INFO) << "signal " << signal_number << ": stopping";
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  health.Attach(nullptr);  // the connection outlives the server
  LOG(INFO) << "stopped after " << stats.calls.load() << " calls ("
            << stats.failed_calls.load() << " failed, "
            << stats.rejected_calls.load() << " over max_inflight, "
            << notifications.malformed() << " malformed notifications skipped, "
            << stats.unknown_result_keys.load()
            << " unknown result keys ignored)";
  return 0;
}

}  // namespace
}  // namespace amqp

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "serves gRPC and forwards each call onto oslo.messaging over RabbitMQ.\n"
      "  grpc_amqp_bridge --descriptor_set=api.pb --listen=127.0.0.1:50051 "
      "--transport_url=rabbit://USER:PASS@HOST:5672/");
  absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  // Debian builds absl with its deadlock detector on: every Mutex, gRPC's
  // included, would pay for a global lock-order graph on the call path.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // glibc gives each thread that allocates its own heap, up to 8 per core;
  // gRPC's threads, the I/O threads and their frees across threads then
  // fragment memory: with 1,000 calls in flight the peak RSS varied from 55
  // to 94 MB with the default, 50-56 MB with one heap per core (no more
  // threads run at once). MALLOC_ARENA_MAX still overrides it.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) {
    mallopt(M_ARENA_MAX,
            std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  }
  // Block the stop signals before any thread starts, so that only Run's
  // sigwait() receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return amqp::Run(argc, argv);
}
