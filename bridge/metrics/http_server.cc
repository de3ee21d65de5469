#include "bridge/metrics/http_server.h"

#include <httplib.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace amqp::metrics {
namespace {

// The content type of text format 0.0.4, as Prometheus asks for it.
constexpr char kTextFormat[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen, const Registry* registry) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(listen).substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address '", listen, "' is not HOST:PORT (port 0 to 65535)"));
  }
  absl::string_view host = absl::string_view(listen).substr(0, colon);
  // "[::1]:9464": getaddrinfo wants the address without brackets.
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", listen, "' has an unclosed '['"));
  }

  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->server_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *server->server_;
  const time_t idle_seconds = absl::ToInt64Seconds(kIdleTimeout);
  http.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  http.set_read_timeout(idle_seconds);
  http.set_write_timeout(idle_seconds);
  http.set_keep_alive_timeout(idle_seconds);
  http.set_payload_max_length(64 << 10);  // a scrape sends no body
  // httplib's default adds SO_REUSEPORT, which would let a second bridge
  // bind the same port and take half the scrapes: a busy port must fail.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.set_pre_routing_handler([](const httplib::Request& request,
                                  httplib::Response& response) {
    if (request.method == "GET" || request.method == "HEAD") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    response.status = 405;
    response.set_header("Allow", "GET, HEAD");
    response.set_content("method not allowed: use GET or HEAD\n", "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  });
  http.Get("/metrics",
           [registry](const httplib::Request&, httplib::Response& response) {
             response.set_content(registry->Text(), kTextFormat);
           });
  http.set_error_handler(
      [](const httplib::Request&, httplib::Response& response) {
        if (response.status == 404) {
          response.set_content("not found: metrics are at /metrics\n",
                               "text/plain");
        }
      });

  const std::string host_text(host);
  if (port == 0) {
    port = http.bind_to_any_port(host_text);
  } else if (!http.bind_to_port(host_text, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for metrics on ", listen));
  }
  server->port_ = port;
  server->thread_ = std::thread([&http] { http.listen_after_bind(); });
  // stop() only stops a server that runs: wait for it, so that destroying
  // the server right away cannot leave listen_after_bind() running.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!http.is_running() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return server;
}

MetricsServer::~MetricsServer() {
  if (!thread_.joinable()) return;  // Start() failed before listening
  server_->stop();
  thread_.join();
}

}  // namespace amqp::metrics
