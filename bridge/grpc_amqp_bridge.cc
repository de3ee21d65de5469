// grpc_amqp_bridge: serves gRPC and forwards each call onto oslo.messaging
// over RabbitMQ, driven by descriptor sets at run time (docs/bridge.md).
//
//   grpc_amqp_bridge --descriptor_set=api.pb --listen=127.0.0.1:50051
//       --transport_url=rabbit://user:pass@127.0.0.1:5672/
//
// Prints one line per route at start-up, then "listening on HOST:PORT", and
// stops cleanly on SIGINT or SIGTERM.

#include <glog/logging.h>
#include <grpcpp/grpcpp.h>
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

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bridge/config/bridge_config.h"
#include "bridge/config/setting_flags.h"
#include "bridge/config/settings.h"
#include "bridge/gateway/bridge_metrics.h"
#include "bridge/gateway/bridge_service.h"
#include "bridge/gateway/broker_health.h"
#include "bridge/gateway/call_observer.h"
#include "bridge/gateway/error_mapping.h"
#include "bridge/gateway/health_service.h"
#include "bridge/gateway/oslo_client.h"
#include "bridge/gateway/reflection_service.h"
#include "bridge/gateway/route_table.h"
#include "bridge/metrics/access_log.h"
#include "bridge/metrics/http_server.h"
#include "bridge/metrics/registry.h"
#include "bridge/reverse/reverse_server.h"
#include "bridge/rpc/notification_listener.h"
#include "bridge/rpc/notifier.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/transport/transport_url.h"

ABSL_FLAG(std::string, config, "",
          "oslo.config-style INI file: [DEFAULT] transport_url, "
          "control_exchange, rpc_response_timeout; [oslo_messaging_rabbit] "
          "options; [grpc_amqp_bridge] the flags below by name. Flags win "
          "over the file.");
// Every setting's flag, from the table in bridge/config/settings.h. They are
// defined here because absl's --help lists the flags of the main file.
AMQP_BRIDGE_SETTINGS(AMQP_BRIDGE_SETTING_FLAG)

namespace amqp {
namespace {

// How long start-up waits for the first connection attempt before it listens:
// a refused connection settles at once, a broker that does not answer takes
// the TCP connect timeout (5 s).
constexpr absl::Duration kFirstConnectWait = absl::Seconds(5);

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
    grpc::CompletionQueue* backend_queue, metrics::Registry* registry) {
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
  options.backend_queue = backend_queue;
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

// The bridge process's parts, built by its steps in order and destroyed in
// reverse. A step's error is the message the process exits with.
class Bridge {
 public:
  // The steps up to serving, in order; the first error stops them.
  absl::Status Start() {
    if (absl::Status s = LoadConfig(); !s.ok()) return s;
    if (absl::Status s = LoadRoutes(); !s.ok()) return s;
    ConnectBroker();
    if (absl::Status s = StartMetrics(); !s.ok()) return s;
    BuildGrpcServer();
    if (absl::Status s = StartReverse(); !s.ok()) return s;
    return StartGrpcServer();
  }

  // Until one of `stop_signals`, blocked in every thread (see main).
  void Serve(const sigset_t& stop_signals) {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    LOG(INFO) << "signal " << signal_number << ": stopping";
  }

  void ShutDown() {
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(2));
    backends_.reset();  // its backend calls complete on the gRPC queues
    service_->Stop();
    health_->Attach(nullptr);  // the connection outlives the server
    LOG(INFO) << "stopped after " << stats_.calls.load() << " calls ("
              << stats_.failed_calls.load() << " failed, "
              << stats_.rejected_calls.load() << " over max_inflight, "
              << notifications_->malformed()
              << " malformed notifications skipped, "
              << stats_.unknown_result_keys.load()
              << " unknown result keys ignored)";
  }

 private:
  // The settings (flags, --config) and the gRPC TLS files: bad ones stop the
  // bridge before it touches the broker.
  absl::Status LoadConfig() {
    absl::StatusOr<config::BridgeConfig> loaded = config::LoadBridgeConfig(
        absl::GetFlag(FLAGS_config), config::GivenFlags());
    if (!loaded.ok()) return loaded.status();
    config_ = *std::move(loaded);
    LOG(INFO) << "starting: " << config::DescribeConfig(config_);
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        ServerCredentials(config_);
    if (!credentials.ok()) return credentials.status();
    credentials_ = *std::move(credentials);
    return absl::OkStatus();
  }

  // The descriptor sets' routes and the error map; one line per route.
  absl::Status LoadRoutes() {
    absl::StatusOr<std::unique_ptr<gateway::RouteTable>> routes =
        gateway::RouteTable::Load(config_.descriptor_sets,
                                  config_.control_exchange);
    if (!routes.ok()) return routes.status();
    routes_ = *std::move(routes);
    absl::StatusOr<gateway::ErrorMapper> errors = gateway::ErrorMapper::Create(
        config_.error_map, config_.include_tracebacks);
    if (!errors.ok()) {
      return absl::Status(
          errors.status().code(),
          absl::StrCat("--error_map: ", errors.status().message()));
    }
    errors_ = std::make_unique<gateway::ErrorMapper>(*std::move(errors));
    for (const auto& route : routes_->routes()) {
      std::cout << "route "
                << gateway::DescribeRoute(*route, config_.version_caps) << "\n";
    }
    for (const gateway::UnsupportedRoute& route : routes_->unsupported()) {
      std::cout << "unsupported " << route.path << ": " << route.reason
                << " (answers UNIMPLEMENTED)\n";
    }
    return absl::OkStatus();
  }

  // The calls' RPC client, whose connection state health follows, and the
  // notifications' connections of their own: a stream's queue and a notify
  // call's publish never wait behind the calls' traffic.
  void ConnectBroker() {
    health_ = std::make_unique<gateway::BrokerHealth>(routes_->service_names());
    rpc::RpcClient::Options rpc_options;
    rpc_options.url = config_.transport_url;
    rpc_options.rabbit = config_.rabbit;
    rpc_options.io_threads = config_.io_threads;
    rpc_options.name = "grpc_amqp_bridge";
    rpc_options.fail_fast_no_consumer = config_.fail_fast_no_consumer;
    rpc_options.max_message_bytes = config_.max_message_bytes;
    rpc_options.version_caps = config_.version_caps;
    rpc_options.on_connection_state = [health = health_.get()](bool connected) {
      health->Update(connected);
    };
    rpc_ = std::make_unique<rpc::RpcClient>(rpc_options);
    LOG(INFO) << "reply queue " << rpc_->reply_queue();
    notifier_ = std::make_unique<rpc::Notifier>(rpc::Notifier::Options{
        config_.transport_url, config_.rabbit, "grpc_amqp_bridge-notify"});
    notifications_ = std::make_unique<rpc::NotificationListener>(
        rpc::NotificationListener::Options{
            config_.transport_url, config_.rabbit,
            "grpc_amqp_bridge-notifications", config_.max_message_bytes});
  }

  // The access log, the metrics and their /metrics server.
  absl::Status StartMetrics() {
    if (!config_.access_log.empty()) {
      absl::StatusOr<std::unique_ptr<metrics::AccessLog>> opened =
          metrics::AccessLog::Open(config_.access_log);
      if (!opened.ok()) return opened.status();
      access_log_ = *std::move(opened);
    }
    observer_ = std::make_unique<gateway::CallObserver>(*routes_, &registry_,
                                                        access_log_.get());
    gateway::AddBridgeMetrics(&stats_, rpc_.get(), access_log_.get(),
                              &registry_);
    registry_.AddCounterFunction(
        "grpc_amqp_bridge_notifications_malformed_total",
        "Messages on NOTIFICATIONS streams' queues that were no notification "
        "(skipped).",
        {}, [notifications = notifications_.get()] {
          return static_cast<double>(notifications->malformed());
        });
    if (config_.metrics_listen.empty()) return absl::OkStatus();
    absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> started =
        metrics::MetricsServer::Start(config_.metrics_listen, &registry_);
    if (!started.ok()) {
      return absl::Status(
          started.status().code(),
          absl::StrCat("--metrics_listen: ", started.status().message()));
    }
    metrics_server_ = *std::move(started);
    std::cout << "metrics on "
              << config_.metrics_listen.substr(
                     0, config_.metrics_listen.rfind(':'))
              << ":" << metrics_server_->port() << std::endl;
    return absl::OkStatus();
  }

  // The reverse direction, on broker connections of its own; its backend
  // calls complete on the gRPC server's first completion queue, whose
  // thread polls their connections anyway.
  absl::Status StartReverse() {
    absl::StatusOr<std::unique_ptr<reverse::ReverseServer>> backends =
        StartBackends(config_, *routes_, service_->queue(0), &registry_);
    if (!backends.ok()) return backends.status();
    backends_ = *std::move(backends);
    if (backends_ != nullptr) {
      for (const reverse::ReverseServer::Connection& connection :
           backends_->connections()) {
        gateway::AddConnectionMetrics(connection.name, connection.io,
                                      &registry_);
      }
    }
    return absl::OkStatus();
  }

  // The gRPC server's services and completion queues, not listening yet.
  void BuildGrpcServer() {
    env_.routes = routes_.get();
    oslo_client_ = std::make_unique<gateway::RpcClientAdapter>(
        rpc_.get(), notifier_.get(), notifications_.get());
    env_.rpc = oslo_client_.get();
    env_.errors = errors_.get();
    env_.rpc_response_timeout = config_.rpc_response_timeout;
    env_.gather_window = config_.gather_window;
    env_.call_monitor_timeout = config_.call_monitor_timeout;
    env_.stats = &stats_;
    env_.observer = observer_.get();
    env_.max_inflight = config_.max_inflight;
    env_.publisher_id = config_.publisher_id;
    env_.notification_buffer = static_cast<size_t>(config_.notification_buffer);
    reflection_ = std::make_unique<gateway::ReflectionService>(
        &routes_->pool(), routes_->service_names());
    // gRPC's own health service would bring the callback API's threads.
    grpc::EnableDefaultHealthCheckService(false);
    builder_ = std::make_unique<grpc::ServerBuilder>();
    builder_->AddListeningPort(config_.listen, credentials_, &port_);
    builder_->SetMaxReceiveMessageSize(config_.max_receive_message_bytes);
    service_ = std::make_unique<gateway::BridgeService>(
        env_, config_.grpc_threads, builder_.get());
    reflection_->AddTo(service_->generic());
    grpc_health_.AddTo(service_->generic());
  }

  // The gRPC services on the listening port, once health has an answer that
  // holds: the first connection attempt settled or, for a broker that does
  // not answer, kFirstConnectWait passed (NOT_SERVING).
  absl::Status StartGrpcServer() {
    if (!health_->WaitFirstAttempt(kFirstConnectWait)) {
      LOG(WARNING) << "no answer from the broker within "
                   << absl::FormatDuration(kFirstConnectWait)
                   << ": NOT_SERVING until it connects";
    }
    server_ = builder_->BuildAndStart();
    builder_.reset();
    if (server_ == nullptr || port_ == 0) {
      // The reverse direction's calls in flight still end as it stops.
      service_->StartWithoutServer();
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", config_.listen));
    }
    service_->Start();
    health_->Attach(&grpc_health_);
    std::string host(config_.listen.substr(0, config_.listen.rfind(':')));
    std::cout << "listening on " << host << ":" << port_ << std::endl;
    return absl::OkStatus();
  }

  config::BridgeConfig config_;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  std::unique_ptr<gateway::RouteTable> routes_;
  std::unique_ptr<gateway::ErrorMapper> errors_;
  std::unique_ptr<gateway::BrokerHealth> health_;
  std::unique_ptr<rpc::RpcClient> rpc_;
  std::unique_ptr<rpc::Notifier> notifier_;
  std::unique_ptr<rpc::NotificationListener> notifications_;
  std::unique_ptr<gateway::RpcClientAdapter> oslo_client_;
  std::unique_ptr<metrics::AccessLog> access_log_;
  gateway::GatewayStats stats_;
  metrics::Registry registry_;
  std::unique_ptr<gateway::CallObserver> observer_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  gateway::GatewayEnv env_;
  std::unique_ptr<gateway::ReflectionService> reflection_;
  gateway::HealthService grpc_health_;
  std::unique_ptr<grpc::ServerBuilder> builder_;  // until the server starts
  int port_ = 0;
  std::unique_ptr<gateway::BridgeService> service_;
  std::unique_ptr<grpc::Server> server_;
  // After service_: destroyed before its queues, where its calls complete.
  std::unique_ptr<reverse::ReverseServer> backends_;
};

// Exit status 2 with the first step's error; 0 after a stop signal.
int Run(const sigset_t& stop_signals) {
  Bridge bridge;
  if (absl::Status started = bridge.Start(); !started.ok()) {
    std::cerr << "grpc_amqp_bridge: " << started.message() << "\n";
    return 2;
  }
  bridge.Serve(stop_signals);
  bridge.ShutDown();
  return 0;
}

}  // namespace
}  // namespace amqp

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "serves gRPC and forwards each call onto oslo.messaging over RabbitMQ.\n"
      "  grpc_amqp_bridge --descriptor_set=api.pb --listen=127.0.0.1:50051 "
      "--transport_url=rabbit://USER:PASS@HOST:5672/");
  amqp::config::ParseCommandLine(argc, argv);
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
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return amqp::Run(stop_signals);
}
