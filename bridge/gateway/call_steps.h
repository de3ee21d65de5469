// The steps every call through the bridge takes, whichever reactor carries
// it: UnaryCall (unary methods on gRPC's unary callback path) or BridgeCall
// (server streams, and the methods the bridge refuses). Each turns one
// gRPC-side thing into its oslo-side counterpart, or back.

#ifndef BRIDGE_GATEWAY_CALL_STEPS_H_
#define BRIDGE_GATEWAY_CALL_STEPS_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bridge/gateway/call_metadata.h"
#include "bridge/gateway/call_observer.h"
#include "bridge/gateway/gateway_env.h"
#include "bridge/gateway/route_table.h"
#include "bridge/oslo/reply.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/transcode/wire_request.h"

namespace amqp::gateway {

// Counts a new call; RESOURCE_EXHAUSTED when it is over env.max_inflight
// (the caller answers with it). Every call counted here must be given back
// with EndCall(), whatever ends it, which also records it (env.observer).
absl::Status BeginCall(const GatewayEnv& env);
void EndCall(const GatewayEnv& env, const EndedCall& call);

// A call's request as the client sent it: its bytes in one piece (the
// slice gRPC delivered, shared, or one copy when it came in several),
// checked once against the route's request type, and the oslo arguments
// they make, written in the same pass over them. The steps below read the
// request from these bytes: no message is built per call. Stays where it
// is: the checked view points into it.
class RequestBytes {
 public:
  RequestBytes() = default;
  RequestBytes(const RequestBytes&) = delete;
  RequestBytes& operator=(const RequestBytes&) = delete;

  // INVALID_ARGUMENT "the request bytes are not a valid <type>" when they do
  // not parse as the route's request type (or lack one of its proto2
  // required fields).
  absl::Status Parse(const Route& route, const grpc::ByteBuffer& bytes);

  // The checked request; only after Parse() succeeded.
  const transcode::WireRequest& wire() const { return *wire_; }
  // The checked request, or null before Parse() succeeded.
  const transcode::WireRequest* parsed() const {
    return wire_.has_value() ? &*wire_ : nullptr;
  }

  // The request's oslo arguments (JSON text, all fields but the route's
  // server_field); INVALID_ARGUMENT when they cannot be sent (e.g. a
  // google.protobuf.Any). Once, after Parse() succeeded, for routes that
  // send arguments: all but SUBSCRIBE ones.
  absl::StatusOr<std::string> TakeArguments() { return std::move(args_); }

 private:
  grpc::Slice slice_;
  std::optional<transcode::WireRequest> wire_;
  absl::StatusOr<std::string> args_;
};

// A call's request prepared for the oslo side in ONE place, for every kind
// and both reactors (UnaryCall, BridgeCall): the bytes checked against the
// route's request type, the metadata read into the oslo context and request
// id (which the client gets back under kResponseRequestIdHeader), the
// arguments taken for the kinds that send them, and the spec of where it goes
// until when (RequestSpec). Stays where it is, as RequestBytes.
class CallRequest {
 public:
  // Prepares the request of a `route` call from `bytes` (null: the client
  // sent no request message, INVALID_ARGUMENT) and the call's metadata;
  // adds the request id to the call's initial metadata. Once per call; on an
  // error the call ends with it.
  absl::Status Prepare(const Route& route, const grpc::ByteBuffer* bytes,
                       grpc::ServerContextBase* context);

  // Null until Prepare() got that far.
  const CallMetadata* metadata() const {
    return metadata_.has_value() ? &*metadata_ : nullptr;
  }
  const transcode::WireRequest* parsed() const { return bytes_.parsed(); }
  // The rest only after Prepare() succeeded.
  // The oslo context: the members of the `_context_*` keys.
  const rapidjson::Value* context() const { return &metadata_->context; }
  // The oslo arguments (JSON text); empty for kinds that send none
  // (SUBSCRIBE, NOTIFICATIONS).
  const std::string& args() const { return args_; }
  // Target, version (or its fallback under a cap), call monitor and the
  // reply wait until `deadline` (the call timeout the RPC layer gets).
  rpc::CallSpec Spec(const GatewayEnv& env, absl::Time deadline) const;

 private:
  const Route* route_ = nullptr;
  RequestBytes bytes_;
  std::optional<CallMetadata> metadata_;
  std::string args_;
};

// When the reply wait ends: the client's deadline, else started +
// rpc_response_timeout.
absl::Time CallDeadline(const grpc::ServerContextBase& context,
                        absl::Time started, const GatewayEnv& env);

// Where the request goes: the route's target with the server picked by
// x-amqp-server or the server_field and the route's fallback version,
// waiting until `deadline`; for calls, the call monitor of
// x-amqp-call-monitor-ms, else env.call_monitor_timeout.
rpc::CallSpec RequestSpec(const GatewayEnv& env, const Route& route,
                          const CallMetadata& metadata,
                          const transcode::WireRequest& request,
                          absl::Time deadline);

// The response bytes for an oslo result, written straight from the JSON;
// INTERNAL when it does not fit.
absl::StatusOr<grpc::ByteBuffer> ResponseBytes(const GatewayEnv& env,
                                               const Route& route,
                                               const oslo::Reply& reply);

// The response bytes for a cast a SUBSCRIBE stream received: its arguments
// as the response message, their unknown keys counted as a result's are
// (env.stats). INVALID_ARGUMENT "the 'm' cast does not fit T: ..." when
// they do not.
absl::StatusOr<grpc::ByteBuffer> CastBytes(const GatewayEnv& env,
                                           const Route& route,
                                           const oslo::Request& cast);

// `bytes` as a message for gRPC to send.
grpc::ByteBuffer ToByteBuffer(const std::string& bytes);

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_CALL_STEPS_H_
