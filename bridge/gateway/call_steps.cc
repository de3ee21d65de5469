#include "bridge/gateway/call_steps.h"

#include <google/protobuf/message.h>

#include <chrono>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"
#include "bridge/transcode/wire_transcode.h"

namespace amqp::gateway {
namespace {

absl::string_view FieldName(const google::protobuf::FieldDescriptor* field) {
  return field == nullptr ? absl::string_view() : field->name();
}

// The response bytes `write` (a transcode::Read*ToWire into the route's
// response type) writes; the unknown keys it met are counted, for results
// and casts alike. When they do not fit: `code`, "<what()> does not fit
// <type>: <why>" (`what` runs only then: no work on the call path).
template <typename What, typename Write>
absl::StatusOr<grpc::ByteBuffer> WriteResponse(const GatewayEnv& env,
                                               const Route& route,
                                               absl::StatusCode code,
                                               const What& what,
                                               const Write& write) {
  const google::protobuf::Descriptor& type =
      *route.response_prototype->GetDescriptor();
  std::string bytes;
  transcode::ResultStats stats;
  const absl::Status status = write(type, &bytes, &stats);
  if (stats.unknown_keys > 0) {
    env.stats->unknown_result_keys.fetch_add(stats.unknown_keys,
                                             std::memory_order_relaxed);
  }
  if (!status.ok()) {
    return absl::Status(
        code, absl::StrCat(what(), " does not fit ", type.full_name(), ": ",
                           status.message()));
  }
  return ToByteBuffer(bytes);
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

void EndCall(const GatewayEnv& env, const EndedCall& call) {
  if (call.code != grpc::StatusCode::OK) {
    env.stats->failed_calls.fetch_add(1, std::memory_order_relaxed);
  }
  if (env.observer != nullptr) env.observer->CallEnded(env, call);
  // Last, so that a reader who sees no call in flight also sees every ended
  // call counted. The reactors call this before Finish, so a client that
  // has its status finds both done.
  env.stats->in_flight.fetch_sub(1, std::memory_order_release);
}

absl::Status RequestBytes::Parse(const Route& route,
                                 const grpc::ByteBuffer& bytes) {
  // Usually one slice, shared as it is; else one copy of all of them.
  if (!bytes.TrySingleSlice(&slice_).ok() &&
      !bytes.DumpToSingleSlice(&slice_).ok()) {
    slice_ = grpc::Slice();
  }
  const absl::string_view flat(reinterpret_cast<const char*>(slice_.begin()),
                               slice_.size());
  const google::protobuf::Descriptor& type =
      *route.request_prototype->GetDescriptor();
  absl::StatusOr<transcode::WireRequest> checked;
  if (route.method.kind == schema::MethodKind::kSubscribe) {
    checked = transcode::WireRequest::Check(type, flat);
  } else {
    std::string args;
    args.reserve(transcode::ArgsBytesHint(flat.size()));
    absl::Status written;
    {
      oslo::PyJsonWriter writer(&args);
      checked = transcode::WireRequest::CheckWritingArgs(
          type, flat, {.skip_field = FieldName(route.method.server_field)},
          &writer, &written);
    }
    if (written.ok()) {
      args_ = std::move(args);
    } else {
      args_ = absl::InvalidArgumentError(absl::StrCat(
          "cannot send the request as oslo arguments: ", written.message()));
    }
  }
  if (checked.ok() && route.request_has_required_fields) {
    // proto2 `required` fields: only a message says whether all are there.
    // Rare enough (proto3 has none) to parse one for it.
    std::unique_ptr<google::protobuf::Message> message(
        route.request_prototype->New());
    if (!message->ParsePartialFromArray(flat.data(),
                                        static_cast<int>(flat.size())) ||
        !message->IsInitialized()) {
      checked = absl::InvalidArgumentError(
          absl::StrCat("the request bytes are not a valid ", type.full_name()));
    }
  }
  if (!checked.ok()) return checked.status();
  wire_.emplace(*checked);
  return absl::OkStatus();
}

absl::Status CallRequest::Prepare(const Route& route,
                                  const grpc::ByteBuffer* bytes,
                                  grpc::ServerContextBase* context) {
  route_ = &route;
  // gRPC hands a raw method an empty (invalid) buffer when no message came;
  // an empty message is a valid buffer of no bytes.
  if (bytes == nullptr || !bytes->Valid()) {
    return absl::InvalidArgumentError("the client sent no request message");
  }
  if (absl::Status parsed = bytes_.Parse(route, *bytes); !parsed.ok()) {
    return parsed;
  }
  absl::StatusOr<CallMetadata> metadata =
      ParseCallMetadata(context->client_metadata());
  if (!metadata.ok()) return metadata.status();
  metadata_ = *std::move(metadata);
  context->AddInitialMetadata(kResponseRequestIdHeader, metadata_->request_id);
  switch (route.method.kind) {
    case schema::MethodKind::kSubscribe:
    case schema::MethodKind::kNotifications:
      return absl::OkStatus();  // they send no arguments
    case schema::MethodKind::kCall:
    case schema::MethodKind::kCast:
    case schema::MethodKind::kFanoutCast:
    case schema::MethodKind::kNotify:
    case schema::MethodKind::kGather:
      break;
  }
  absl::StatusOr<std::string> args = bytes_.TakeArguments();
  if (!args.ok()) return args.status();
  args_ = *std::move(args);
  return absl::OkStatus();
}

rpc::CallSpec CallRequest::Spec(const GatewayEnv& env,
                                absl::Time deadline) const {
  return RequestSpec(env, *route_, *metadata_, bytes_.wire(), deadline);
}

absl::Time CallDeadline(const grpc::ServerContextBase& context,
                        absl::Time started, const GatewayEnv& env) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return started + env.rpc_response_timeout;
  }
  return absl::FromChrono(deadline);
}

rpc::CallSpec RequestSpec(const GatewayEnv& env, const Route& route,
                          const CallMetadata& metadata,
                          const transcode::WireRequest& request,
                          absl::Time deadline) {
  rpc::CallSpec spec;
  spec.target = route.target;
  spec.target.fanout = route.method.kind == schema::MethodKind::kFanoutCast;
  // x-amqp-server wins over the server_field.
  if (!metadata.server.empty()) {
    spec.target.server = metadata.server;
  } else if (route.method.server_field != nullptr) {
    spec.target.server =
        std::string(request.GetString(*route.method.server_field));
  }
  spec.timeout = deadline - absl::Now();
  if (!route.method.fallback_version.empty()) {
    spec.fallback_version = route.method.fallback_version;
  }
  const absl::Duration monitor =
      metadata.call_monitor.value_or(env.call_monitor_timeout);
  if (route.method.kind == schema::MethodKind::kCall &&
      monitor > absl::ZeroDuration()) {
    spec.call_monitor_timeout = monitor;
  }
  return spec;
}

absl::StatusOr<grpc::ByteBuffer> ResponseBytes(const GatewayEnv& env,
                                               const Route& route,
                                               const oslo::Reply& reply) {
  return WriteResponse(
      env, route, absl::StatusCode::kInternal,
      [&] {
        return absl::StrCat("the result of '", route.method.oslo_name, "'");
      },
      [&](const google::protobuf::Descriptor& type, std::string* out,
          transcode::ResultStats* stats) {
        return transcode::ReadResultToWire(reply.result(),
                                           FieldName(route.method.result_field),
                                           type, out, stats);
      });
}

absl::StatusOr<grpc::ByteBuffer> CastBytes(const GatewayEnv& env,
                                           const Route& route,
                                           const oslo::Request& cast) {
  return WriteResponse(
      env, route, absl::StatusCode::kInvalidArgument,
      [&] { return absl::StrCat("the '", cast.method(), "' cast"); },
      [&](const google::protobuf::Descriptor& type, std::string* out,
          transcode::ResultStats* stats) {
        return transcode::ReadMessageToWire(cast.args(), type, out, stats);
      });
}

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace amqp::gateway
