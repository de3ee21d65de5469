// The example compute service (proto/examples/compute.proto) implemented in
// memory on the generated ComputeEndpoint: the C++ twin of
// examples/python/compute_server.py, used by the demo, tests and benchmarks.

#ifndef EXAMPLES_CPP_COMPUTE_SERVICE_H_
#define EXAMPLES_CPP_COMPUTE_SERVICE_H_

#include <atomic>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "examples/compute.amqp.h"

namespace examples::compute {

class InMemoryCompute : public ComputeEndpoint {
 public:
  explicit InMemoryCompute(std::string host);

  grpc::Status GetInstance(amqp::rpc::CallContext& context,
                           const GetInstanceRequest& request,
                           Instance* response) override;
  grpc::Status ListInstances(amqp::rpc::CallContext& context,
                             const ListInstancesRequest& request,
                             ListInstancesResponse* response) override;
  grpc::Status RebootInstance(amqp::rpc::CallContext& context,
                              const RebootInstanceRequest& request,
                              google::protobuf::Empty* response) override;
  grpc::Status GetConsoleOutput(amqp::rpc::CallContext& context,
                                const GetConsoleOutputRequest& request,
                                ConsoleOutput* response) override;
  grpc::Status GetDiagnostics(amqp::rpc::CallContext& context,
                              const GetDiagnosticsRequest& request,
                              Diagnostics* response) override;
  grpc::Status SnapshotInstance(amqp::rpc::CallContext& context,
                                const SnapshotInstanceRequest& request,
                                Snapshot* response) override;
  grpc::Status GetCallerContext(amqp::rpc::CallContext& context,
                                const google::protobuf::Empty& request,
                                google::protobuf::Struct* response) override;
  grpc::Status RefreshCache(amqp::rpc::CallContext& context,
                            const RefreshCacheRequest& request,
                            google::protobuf::Empty* response) override;
  grpc::Status Ping(amqp::rpc::CallContext& context, const PingRequest& request,
                    PingReply* response) override;
  grpc::Status PingAll(amqp::rpc::CallContext& context,
                       const PingRequest& request,
                       PingReply* response) override;
  // Every way to reach oslo "set_host_enabled" ends here: call, GATHER,
  // cast, fanout cast.
  grpc::Status SetHostEnabled(amqp::rpc::CallContext& context,
                              const SetHostEnabledRequest& request,
                              HostEnabled* response) override;

  // Casts received (reboots and cache refreshes), for tests.
  int casts_received() const { return casts_.load(); }

 private:
  // Read-only after construction: no lock needed.
  const grpc::Status Find(const std::string& uuid,
                          const Instance** instance) const;

  const std::string host_;
  absl::flat_hash_map<std::string, Instance> instances_;
  std::atomic<int> casts_{0};
};

}  // namespace examples::compute

#endif  // EXAMPLES_CPP_COMPUTE_SERVICE_H_
