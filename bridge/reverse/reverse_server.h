// The bridge's reverse direction (docs/reverse.md): for each --backend, an
// oslo RPC server (rpc::RpcServer: the topic, topic.server and fanout
// queues, acked before dispatch) whose endpoint calls the gRPC backend.
// Services that share an exchange and topic share one RpcServer, their
// endpoints dispatched in --backend order.
//
//   absl::StatusOr<std::unique_ptr<ReverseServer>> reverse =
//       ReverseServer::Start(options, *routes);
//   for (const std::string& line : (*reverse)->Describe()) std::cout << line;

#ifndef BRIDGE_REVERSE_REVERSE_SERVER_H_
#define BRIDGE_REVERSE_REVERSE_SERVER_H_

#include <grpcpp/completion_queue.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bridge/gateway/route_table.h"
#include "bridge/reverse/backend_endpoint.h"
#include "bridge/reverse/backend_spec.h"
#include "bridge/rpc/dispatcher.h"
#include "bridge/rpc/rpc_server.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

namespace amqp::reverse {

class ReverseServer {
 public:
  struct Options {
    std::vector<BackendSpec> backends;
    transport::TransportUrl url;
    transport::RabbitOptions rabbit;
    std::string server_name;  // the <topic>.<server> queue's server
    absl::Duration rpc_response_timeout = absl::Seconds(60);
    // PEM of the CAs for TLS to every backend; "" = plaintext.
    std::string backend_tls_ca_pem;
    uint64_t max_message_bytes = transport::kDefaultMaxMessageBytes;
    // Counts calls by method and outcome (BackendEndpoint); null: none.
    metrics::Registry* registry = nullptr;
    // Where the backend calls complete (required): a queue a thread runs
    // (gateway::RunQueue) until the ReverseServer is destroyed. The
    // bridge's gRPC server queue, whose thread polls the backends'
    // connections anyway: one thread wakes per response, not two.
    grpc::CompletionQueue* backend_queue = nullptr;
  };

  // Starts consuming for every backend. INVALID_ARGUMENT naming the backend
  // when its service is not in `routes` (no descriptor set has it, or it
  // has no (amqp.service) options). `routes` must outlive the server.
  static absl::StatusOr<std::unique_ptr<ReverseServer>> Start(
      const Options& options, const gateway::RouteTable& routes);

  ~ReverseServer();

  // True once every server consumes its queues; false after `timeout`.
  bool WaitReady(absl::Duration timeout) const;
  // Start-up lines: each backend's target, what each oslo method calls, and
  // the methods not served this way.
  const std::vector<std::string>& Describe() const { return description_; }

  // Each server's name ("reverse <topic>") and broker connection, which live
  // as long as the ReverseServer.
  struct Connection {
    std::string name;
    const transport::IoThread* io;
  };
  std::vector<Connection> connections() const;

 private:
  ReverseServer() = default;

  std::vector<std::unique_ptr<BackendEndpoint>> endpoints_;
  std::vector<std::unique_ptr<rpc::Dispatcher>> dispatchers_;
  std::vector<std::unique_ptr<rpc::RpcServer>> servers_;  // stop first
  std::vector<std::string> description_;
};

}  // namespace amqp::reverse

#endif  // BRIDGE_REVERSE_REVERSE_SERVER_H_
