// The steps every call through the bridge takes, whichever reactor carries
// it: UnaryCall (unary methods on gRPC's unary callback path) or BridgeCall
// (server streams, and the methods the bridge refuses). Each turns one
// gRPC-side thing into its oslo-side counterpart, or back.

#ifndef BRIDGE_GATEWAY_CALL_STEPS_H_
#define BRIDGE_GATEWAY_CALL_STEPS_H_

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bridge/gateway/call_metadata.h"
#include "bridge/gateway/gateway_env.h"
#include "bridge/gateway/route_table.h"
#include "bridge/oslo/reply.h"
#include "bridge/rpc/rpc_client.h"

namespace amqp::gateway {

// Counts a new call; RESOURCE_EXHAUSTED when it is over env.max_inflight
// (the caller answers with it). Every call counted here must be given back
// with EndCall(), whatever ends it.
absl::Status BeginCall(const GatewayEnv& env);
void EndCall(const GatewayEnv& env, const grpc::Status& status);

// The request message of `route`, parsed from the gRPC request bytes;
// INVALID_ARGUMENT when they are not one.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParseRequest(
    const Route& route, grpc::ByteBuffer& bytes);

// When the reply wait ends: the client's deadline, else started +
// rpc_response_timeout.
absl::Time CallDeadline(const grpc::ServerContextBase& context,
                        absl::Time started, const GatewayEnv& env);

// The request's oslo arguments (JSON text); INVALID_ARGUMENT when it cannot
// be sent.
absl::StatusOr<std::string> RequestArguments(
    const Route& route, const google::protobuf::Message& request);

// Where the request goes: the route's target with the server picked by
// x-amqp-server or the server_field, waiting until `deadline`.
rpc::CallSpec RequestSpec(const Route& route, const CallMetadata& metadata,
                          const google::protobuf::Message& request,
                          absl::Time deadline);

// The response bytes for an oslo result; INTERNAL when it does not fit.
absl::StatusOr<grpc::ByteBuffer> ResponseBytes(const GatewayEnv& env,
                                               const Route& route,
                                               const oslo::Reply& reply);

grpc::ByteBuffer Serialize(const google::protobuf::Message& message);

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_CALL_STEPS_H_
