// gRPC server reflection (grpc.reflection.v1alpha.ServerReflection, what
// grpcurl and grpc_cli ask for) over any DescriptorPool. gRPC's own reflection
// plugin only describes DescriptorPool::generated_pool(), but the bridge's
// services come from descriptor sets loaded at run time into a pool of its
// own, so the bridge serves this instead.
//
//   ReflectionService reflection(&pool, {"compute.Compute"});
//   reflection.AddTo(&generic);  // a stream on the bridge's
//   GenericStreamService
//
// Answers list_services, file_by_filename, file_containing_symbol (packages,
// services, methods, messages, fields, enums, enum values),
// file_containing_extension and all_extension_numbers_of_type. Unknown
// names get an error_response with NOT_FOUND; the stream itself stays open.
// A file answer holds the file and its transitive imports as serialized
// FileDescriptorProtos: the asked-for file always, each import at most once
// per stream (the client keeps what it was sent).
//
// Do not also link @system//:grpc++_reflection (see bazel/grpc_proto.BUILD).

#ifndef BRIDGE_GATEWAY_REFLECTION_SERVICE_H_
#define BRIDGE_GATEWAY_REFLECTION_SERVICE_H_

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "bridge/gateway/generic_stream.h"
#include "grpc/reflection/v1alpha/reflection.pb.h"

namespace amqp::gateway {

class ReflectionService final {
 public:
  // The method of the bidi stream.
  static constexpr char kMethod[] =
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

  // Describes what `pool` holds; `pool` must outlive the service. A pool
  // built over DescriptorPool::generated_pool() (as its underlay) also
  // describes compiled-in services such as this one. `service_names` (full
  // names, e.g. "compute.Compute") are what list_services answers, in order;
  // list the server's services here, reflection included if wanted.
  ReflectionService(const google::protobuf::DescriptorPool* pool,
                    std::vector<std::string> service_names);

  ReflectionService(const ReflectionService&) = delete;
  ReflectionService& operator=(const ReflectionService&) = delete;

  // Serves the bidi stream on `generic` (before it is armed): one response
  // per request, in order, until the client half-closes. The service must
  // outlive `generic`'s calls.
  void AddTo(GenericStreamService* generic) const;

  // The answer to one request. `sent_files` holds the names of the files
  // already sent on this stream and gains those this answer sends.
  // Thread-safe; the stream uses it, and tests can call it directly.
  grpc::reflection::v1alpha::ServerReflectionResponse Answer(
      const grpc::reflection::v1alpha::ServerReflectionRequest& request,
      absl::flat_hash_set<std::string>* sent_files) const;

 private:
  const google::protobuf::DescriptorPool* const pool_;
  const std::vector<std::string> service_names_;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_REFLECTION_SERVICE_H_
