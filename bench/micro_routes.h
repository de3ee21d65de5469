// For the microbenchmarks: the bridge's route table for the example compute
// API, loaded the way grpc_amqp_bridge loads it (from a descriptor set file
// of compute.proto and its imports), so messages are the bridge's dynamic
// ones, not generated classes.

#ifndef BENCH_MICRO_ROUTES_H_
#define BENCH_MICRO_ROUTES_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "bridge/gateway/route_table.h"
#include "examples/compute.pb.h"

namespace amqp::bench {

// Adds `file` after its imports, like protoc --include_imports.
inline void AddWithImports(const google::protobuf::FileDescriptor* file,
                           absl::flat_hash_set<std::string>* seen,
                           google::protobuf::FileDescriptorSet* set) {
  if (!seen->insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddWithImports(file->dependency(i), seen, set);
  }
  file->CopyTo(set->add_file());
}

// The example API's route table; exits when it cannot be built.
inline std::unique_ptr<gateway::RouteTable> LoadComputeRoutes() {
  google::protobuf::FileDescriptorSet set;
  absl::flat_hash_set<std::string> seen;
  AddWithImports(examples::compute::PingRequest::descriptor()->file(), &seen,
                 &set);
  char path[] = "/tmp/micro_routes_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) std::abort();
  close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    set.SerializeToOstream(&out);
  }
  absl::StatusOr<std::unique_ptr<gateway::RouteTable>> routes =
      gateway::RouteTable::Load({path}, "openstack");
  std::remove(path);
  if (!routes.ok()) {
    std::fprintf(stderr, "cannot load the compute routes: %s\n",
                 std::string(routes.status().message()).c_str());
    std::exit(1);
  }
  return *std::move(routes);
}

}  // namespace amqp::bench

#endif  // BENCH_MICRO_ROUTES_H_
