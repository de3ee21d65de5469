#include "bridge/reverse/reverse_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bridge/schema/service_map.h"

namespace amqp::reverse {

absl::StatusOr<std::unique_ptr<ReverseServer>> ReverseServer::Start(
    const Options& options, const gateway::RouteTable& routes) {
  if (options.backend_queue == nullptr) {
    return absl::InvalidArgumentError("the reverse direction needs a queue");
  }
  std::unique_ptr<ReverseServer> server(new ReverseServer());
  // (exchange, topic) -> the dispatcher of its services.
  std::map<std::pair<std::string, std::string>, rpc::Dispatcher*> topics;
  std::vector<rpc::Target> targets;
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      options.backend_tls_ca_pem.empty()
          ? grpc::InsecureChannelCredentials()
          : grpc::SslCredentials(
                {.pem_root_certs = options.backend_tls_ca_pem});
  for (const BackendSpec& backend : options.backends) {
    const google::protobuf::ServiceDescriptor* service =
        routes.pool().FindServiceByName(backend.service);
    if (service == nullptr || !schema::HasAmqpOptions(*service)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "backend ", backend.service, "=", backend.address, ": ",
          service == nullptr ? "no descriptor set has this service"
                             : "the service has no (amqp.service) options"));
    }
    absl::StatusOr<schema::ServiceMap> map =
        schema::MapService(*service, {.skip_streaming_requests = true});
    if (!map.ok()) return map.status();
    // Any of its routes knows the exchange (the service's or the default).
    const gateway::Route* first = nullptr;
    for (const schema::MethodMap& method : map->methods) {
      first = routes.Find(
          absl::StrCat("/", service->full_name(), "/", method.method->name()));
      if (first != nullptr) break;
    }
    if (first == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "backend ", backend.service, ": the service has no methods"));
    }
    auto endpoint = std::make_unique<BackendEndpoint>(
        *map, routes, grpc::CreateChannel(backend.address, credentials),
        options.backend_queue,
        BackendEndpoint::Options{options.server_name,
                                 options.rpc_response_timeout,
                                 options.registry});
    rpc::Dispatcher*& dispatcher = topics[{first->target.exchange, map->topic}];
    if (dispatcher == nullptr) {
      server->dispatchers_.push_back(std::make_unique<rpc::Dispatcher>());
      dispatcher = server->dispatchers_.back().get();
      rpc::Target target;
      target.exchange = first->target.exchange;
      target.topic = map->topic;
      target.server = options.server_name;
      targets.push_back(target);
    }
    dispatcher->AddEndpoint(endpoint.get());

    std::string& line = server->description_.emplace_back(
        absl::StrCat("backend ", backend.service, " at ", backend.address,
                     options.backend_tls_ca_pem.empty() ? "" : " (TLS)",
                     " <- oslo exchange '", first->target.exchange, "' topic '",
                     map->topic, "' server '", options.server_name,
                     "' version ", endpoint->target_version()));
    if (map->namespace_.has_value()) {
      absl::StrAppend(&line, " namespace '", *map->namespace_, "'");
    }
    for (const BackendEndpoint::Served& served : endpoint->served()) {
      server->description_.push_back(absl::StrCat("reverse ", served.oslo_name,
                                                  " -> ", served.route->path));
    }
    for (const BackendEndpoint::NotServed& not_served :
         endpoint->not_served()) {
      server->description_.push_back(absl::StrCat(
          "reverse: not served ", not_served.path, ": ", not_served.reason));
    }
    for (const schema::UnsupportedMethod& unsupported : map->unsupported) {
      server->description_.push_back(
          absl::StrCat("reverse: not served /", service->full_name(), "/",
                       unsupported.method->name(), ": ", unsupported.reason));
    }
    server->endpoints_.push_back(std::move(endpoint));
  }
  for (const rpc::Target& target : targets) {
    rpc::RpcServer::Options server_options;
    server_options.url = options.url;
    server_options.rabbit = options.rabbit;
    server_options.target = target;
    server_options.name = absl::StrCat("reverse ", target.topic);
    server_options.max_message_bytes = options.max_message_bytes;
    // Backend calls are asynchronous (BackendEndpoint): no worker threads;
    // max_queued_requests bounds the calls in flight to the backends.
    server_options.executor_threads = 0;
    server->servers_.push_back(std::make_unique<rpc::RpcServer>(
        server_options, topics[{target.exchange, target.topic}]));
  }
  return server;
}

std::vector<ReverseServer::Connection> ReverseServer::connections() const {
  std::vector<Connection> connections;
  for (const auto& server : servers_) {
    connections.push_back({server->name(), &server->connection()});
  }
  return connections;
}

ReverseServer::~ReverseServer() {
  // Stop() returns once its running backend calls replied: none is left
  // on the backend queue then.
  for (auto& server : servers_) server->Stop();
}

bool ReverseServer::WaitReady(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  for (const auto& server : servers_) {
    if (!server->WaitReady(deadline - absl::Now())) return false;
  }
  return true;
}

}  // namespace amqp::reverse
