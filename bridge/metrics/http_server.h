// The HTTP endpoint that Prometheus scrapes (--metrics_listen): GET or HEAD
// /metrics answers the registry's text; any other path 404, any other
// method 405. Served by cpp-httplib (Debian's libcpp-httplib) on a small
// pool of its own threads, apart from gRPC's.
//
//   absl::StatusOr<std::unique_ptr<MetricsServer>> server =
//       MetricsServer::Start("127.0.0.1:9464", &registry);
//   (*server)->port();  // the bound port, useful with port 0
//
// A client that connects and sends nothing, or stops half-way, holds a
// worker for at most kIdleTimeout before its connection is closed.

#ifndef BRIDGE_METRICS_HTTP_SERVER_H_
#define BRIDGE_METRICS_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bridge/metrics/registry.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace amqp::metrics {

class MetricsServer {
 public:
  // Workers: scrapes are rare (one per scrape interval per Prometheus).
  static constexpr int kWorkers = 2;
  // How long a connection may be silent (before or inside a request, or
  // between keep-alive requests) before it is closed. Short: a worker also
  // waits this long for a kept-alive connection (Prometheus keeps its own)
  // when the server stops, and scrapes are seconds apart anyway.
  static constexpr absl::Duration kIdleTimeout = absl::Seconds(2);

  // Listens on `listen` ("host:port", "[v6]:port"; port 0 picks one) and
  // serves `registry`, which must outlive the server. INVALID_ARGUMENT for a
  // malformed address, UNAVAILABLE when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen, const Registry* registry);

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  // Stops listening and waits for the workers.
  ~MetricsServer();

  int port() const { return port_; }

 private:
  MetricsServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace amqp::metrics

#endif  // BRIDGE_METRICS_HTTP_SERVER_H_
