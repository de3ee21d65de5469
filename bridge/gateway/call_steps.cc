#include "bridge/gateway/call_steps.h"

#include <grpcpp/impl/codegen/proto_buffer_reader.h>
#include <grpcpp/impl/codegen/proto_buffer_writer.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"

namespace amqp::gateway {
namespace {

absl::string_view FieldName(const google::protobuf::FieldDescriptor* field) {
  return field == nullptr ? absl::string_view() : field->name();
}

}  // namespace

absl::Status BeginCall(const GatewayEnv& env) {
  env.stats->calls.fetch_add(1, std::memory_order_relaxed);
  const int64_t in_flight =
      env.stats->in_flight.fetch_add(1, std::memory_order_relaxed) + 1;
  if (env.max_inflight > 0 && in_flight > env.max_inflight) {
    env.stats->rejected_calls.fetch_add(1, std::memory_order_relaxed);
    return absl::ResourceExhaustedError(
        absl::StrCat("the bridge has ", env.max_inflight,
                     " calls in progress (--max_inflight); retry later"));
  }
  return absl::OkStatus();
}

void EndCall(const GatewayEnv& env, const grpc::Status& status) {
  env.stats->in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (!status.ok()) {
    env.stats->failed_calls.fetch_add(1, std::memory_order_relaxed);
  }
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParseRequest(
    const Route& route, grpc::ByteBuffer& bytes) {
  std::unique_ptr<google::protobuf::Message> request(
      route.request_prototype->New());
  grpc::ProtoBufferReader reader(&bytes);
  // ParseFrom... would walk every field looking for missing required ones;
  // proto3 has none.
  if (!request->ParsePartialFromZeroCopyStream(&reader) ||
      (route.request_has_required_fields && !request->IsInitialized())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request bytes are not a valid ",
                     request->GetDescriptor()->full_name()));
  }
  return request;
}

absl::Time CallDeadline(const grpc::ServerContextBase& context,
                        absl::Time started, const GatewayEnv& env) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return started + env.rpc_response_timeout;
  }
  return absl::FromChrono(deadline);
}

absl::StatusOr<std::string> RequestArguments(
    const Route& route, const google::protobuf::Message& request) {
  std::string args;
  oslo::PyJsonWriter writer(&args);
  absl::Status status = transcode::WriteArgs(
      request, {.skip_field = FieldName(route.method.server_field)}, &writer);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot send the request as oslo arguments: ", status.message()));
  }
  return args;
}

rpc::CallSpec RequestSpec(const Route& route, const CallMetadata& metadata,
                          const google::protobuf::Message& request,
                          absl::Time deadline) {
  rpc::CallSpec spec;
  spec.target = route.target;
  spec.target.fanout = route.method.kind == schema::MethodKind::kFanoutCast;
  // x-amqp-server wins over the server_field.
  if (!metadata.server.empty()) {
    spec.target.server = metadata.server;
  } else if (route.method.server_field != nullptr) {
    spec.target.server =
        request.GetReflection()->GetString(request, route.method.server_field);
  }
  spec.timeout = deadline - absl::Now();
  return spec;
}

absl::StatusOr<grpc::ByteBuffer> ResponseBytes(const GatewayEnv& env,
                                               const Route& route,
                                               const oslo::Reply& reply) {
  std::unique_ptr<google::protobuf::Message> response(
      route.response_prototype->New());
  transcode::ResultStats stats;
  absl::Status status = transcode::ReadResult(
      reply.result(), FieldName(route.method.result_field), response.get(),
      &stats);
  if (stats.unknown_keys > 0) {
    env.stats->unknown_result_keys.fetch_add(stats.unknown_keys,
                                             std::memory_order_relaxed);
  }
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "the result of '", route.method.oslo_name, "' does not fit ",
        response->GetDescriptor()->full_name(), ": ", status.message()));
  }
  return Serialize(*response);
}

grpc::ByteBuffer Serialize(const google::protobuf::Message& message) {
  grpc::ByteBuffer buffer;
  bool own_buffer;
  // Only fails for messages over 2 GiB, which protobuf cannot hold anyway.
  (void)grpc::GenericSerialize<grpc::ProtoBufferWriter,
                               google::protobuf::Message>(message, &buffer,
                                                          &own_buffer);
  return buffer;
}

}  // namespace amqp::gateway
