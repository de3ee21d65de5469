// One gRPC service served to oslo callers (the reverse direction,
// docs/reverse.md): an oslo endpoint with the service's namespace and
// version whose methods call the backend. Arguments become the request's
// bytes (bridge/transcode's ReadArgsToWire), the response's bytes the oslo
// result (WriteResultFromWire), with no Message in between; a failed status
// becomes an oslo failure (status_failure.h). The
// call is asynchronous: RpcServer starts it on its I/O thread, and the
// thread of the client's completion queue publishes the reply when the
// response is in, so no thread waits for the backend. (gRPC's callback API
// would bring its own two poller threads, which cost more wake-ups per
// call: bench/README.md.)
//
//   BackendEndpoint endpoint(service_map, routes, channel, &queue, options);
//   std::thread poller([&queue] { gateway::RunQueue(&queue); });
//   dispatcher.AddEndpoint(&endpoint);

#ifndef BRIDGE_REVERSE_BACKEND_ENDPOINT_H_
#define BRIDGE_REVERSE_BACKEND_ENDPOINT_H_

#include <grpcpp/channel.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/generic/generic_stub.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "bridge/gateway/route_table.h"
#include "bridge/gateway/server_queues.h"
#include "bridge/metrics/registry.h"
#include "bridge/rpc/endpoint.h"
#include "bridge/schema/service_map.h"

namespace amqp::reverse {

class BackendEndpoint : public rpc::AsyncEndpoint {
 public:
  struct Options {
    // Fills `server_field` of calls that came to <topic>.<server_name>.
    std::string server_name;
    // The backend's deadline when the request has no AMQP expiration.
    absl::Duration rpc_response_timeout = absl::Seconds(60);
    // Where grpc_amqp_bridge_reverse_calls_total{service, oslo_method,
    // outcome} is counted; null: nowhere.
    metrics::Registry* registry = nullptr;
  };

  // The gRPC method one oslo method calls, and the ones left out.
  struct Served {
    std::string oslo_name;
    const gateway::Route* route = nullptr;
  };
  struct NotServed {
    std::string path;
    std::string reason;
  };

  // `service` as mapped by schema::MapService; `routes` holds its methods'
  // message prototypes and must outlive the endpoint. Backend calls
  // complete on `queue`, whose events a thread runs (gateway::RunQueue)
  // until every call has ended.
  BackendEndpoint(const schema::ServiceMap& service,
                  const gateway::RouteTable& routes,
                  std::shared_ptr<grpc::Channel> channel,
                  grpc::CompletionQueue* queue, Options options);

  std::optional<std::string> target_namespace() const override {
    return namespace_;
  }
  std::string target_version() const override { return version_; }
  bool HasMethod(absl::string_view method) const override {
    return methods_.contains(method);
  }
  void InvokeAsync(absl::string_view method, rpc::CallContext& context,
                   const rapidjson::Value& args,
                   rpc::ResultCallback done) override;

  const std::vector<Served>& served() const { return served_; }
  const std::vector<NotServed>& not_served() const { return not_served_; }

 private:
  const std::optional<std::string> namespace_;
  const std::string version_;
  const Options options_;
  grpc::GenericStub stub_;
  grpc::CompletionQueue* const queue_;
  // What an oslo method calls, and its outcomes' counters: ok, a failure
  // from the backend, arguments that fit no request.
  struct Method {
    const gateway::Route* route = nullptr;
    metrics::Counter* ok = nullptr;
    metrics::Counter* backend_error = nullptr;
    metrics::Counter* bad_arguments = nullptr;
  };
  static void Count(metrics::Counter* counter) {
    if (counter != nullptr) counter->Add();
  }
  // One backend call in flight, and its completion's tag.
  struct Call;
  // The backend's request bytes for `args`, or the oslo failure for
  // arguments that fit none.
  absl::StatusOr<std::string> Request(absl::string_view method,
                                      const Method& served,
                                      const rpc::CallContext& context,
                                      const rapidjson::Value& args) const;
  // The oslo result for what the backend answered.
  static absl::StatusOr<std::string> Result(const Call& call);

  absl::flat_hash_map<std::string, Method> methods_;
  std::vector<Served> served_;
  std::vector<NotServed> not_served_;
};

}  // namespace amqp::reverse

#endif  // BRIDGE_REVERSE_BACKEND_ENDPOINT_H_
