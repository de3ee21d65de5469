// A C++ nova-compute for the slice of nova's compute RPC API in
// proto/examples/nova_compute.proto, on the generated ComputeAPIEndpoint:
// nova's own Python client (nova.compute.rpcapi.ComputeAPI) calls it and gets
// its answers, Diagnostics objects and nova.exception.InstanceNotFound.
// docs/nova.md walks through it; tests/nova uses it.

#ifndef EXAMPLES_NOVA_NOVA_COMPUTE_SERVICE_H_
#define EXAMPLES_NOVA_NOVA_COMPUTE_SERVICE_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "examples/nova_compute.amqp.h"

namespace examples::nova_compute {

class NovaCompute : public ComputeAPIEndpoint {
 public:
  // `host` is this compute host's name; `instances` the uuids it runs
  // (any other instance is not found here, as on a real host).
  NovaCompute(std::string host, const std::vector<std::string>& instances);

  grpc::Status GetConsoleOutput(amqp::rpc::CallContext& context,
                                const GetConsoleOutputRequest& request,
                                ConsoleOutput* response) override;
  grpc::Status RebootInstance(amqp::rpc::CallContext& context,
                              const RebootInstanceRequest& request,
                              google::protobuf::Empty* response) override;
  grpc::Status GetInstanceDiagnostics(
      amqp::rpc::CallContext& context,
      const GetInstanceDiagnosticsRequest& request,
      nova::objects::Diagnostics* response) override;
  grpc::Status GetHostUptime(amqp::rpc::CallContext& context,
                             const GetHostUptimeRequest& request,
                             HostUptime* response) override;

  int reboots() const { return reboots_.load(); }

 private:
  // OK when this host runs `instance`, else nova's InstanceNotFound.
  grpc::Status Find(const nova::objects::Instance& instance) const;

  const std::string host_;
  const absl::flat_hash_set<std::string> instances_;
  std::atomic<int> reboots_{0};
};

}  // namespace examples::nova_compute

#endif  // EXAMPLES_NOVA_NOVA_COMPUTE_SERVICE_H_
