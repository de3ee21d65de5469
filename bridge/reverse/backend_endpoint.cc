#include "bridge/reverse/backend_endpoint.h"

#include <grpcpp/client_context.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/json.h"
#include "bridge/reverse/status_failure.h"
#include "bridge/transcode/transcode.h"

namespace amqp::reverse {
namespace {

// Which of several gRPC methods of one oslo name the oslo method calls: a
// call first, then a cast; streams cannot answer one request with one reply.
int Preference(schema::MethodKind kind) {
  switch (kind) {
    case schema::MethodKind::kCall:
      return 0;
    case schema::MethodKind::kCast:
    case schema::MethodKind::kFanoutCast:
      return 1;
    default:
      return -1;
  }
}

absl::Status Failed(oslo::Failure failure) {
  return oslo::FailureToStatus(failure);
}

// The first argument the request type has no field for, as Python's
// TypeError for an unexpected keyword argument names it.
std::optional<std::string> UnexpectedArgument(
    const rapidjson::Value& args, const google::protobuf::Descriptor& request) {
  for (const auto& member : args.GetObject()) {
    const std::string name(member.name.GetString(),
                           member.name.GetStringLength());
    if (request.FindFieldByName(name) == nullptr) return name;
  }
  return std::nullopt;
}

// The oslo context as one line of ASCII JSON (gRPC metadata values are
// printable ASCII; PyJsonWriter escapes the rest as json.dumps does).
std::string ContextJson(const rapidjson::Value& context) {
  std::string json;
  {
    oslo::PyJsonWriter writer(&json);
    context.Accept(writer);
  }
  return json;
}

}  // namespace

BackendEndpoint::BackendEndpoint(const schema::ServiceMap& service,
                                 const gateway::RouteTable& routes,
                                 std::shared_ptr<grpc::Channel> channel,
                                 Options options)
    : namespace_(service.namespace_),
      version_(service.EndpointVersion()),
      options_(std::move(options)),
      stub_(std::move(channel)) {
  absl::flat_hash_map<std::string, int> preference;
  for (const schema::MethodMap& method : service.methods) {
    const std::string path = absl::StrCat("/", service.service->full_name(),
                                          "/", method.method->name());
    const gateway::Route* route = routes.Find(path);
    const int rank = Preference(method.kind);
    if (route == nullptr || rank < 0) {
      not_served_.push_back(
          {path, absl::StrCat(schema::MethodKindName(method.kind),
                              " (server streaming) is not served to oslo "
                              "callers")});
      continue;
    }
    auto [it, inserted] = preference.try_emplace(method.oslo_name, rank);
    if (!inserted && it->second <= rank) continue;  // one already calls it
    it->second = rank;
    methods_[method.oslo_name].route = route;
  }
  for (const schema::MethodMap& method : service.methods) {
    auto it = methods_.find(method.oslo_name);
    if (it == methods_.end() ||
        it->second.route->method.method != method.method) {
      continue;
    }
    served_.push_back({method.oslo_name, it->second.route});
    if (options_.registry == nullptr) continue;
    Method& counted = it->second;
    for (auto [counter, outcome] :
         {std::pair{&counted.ok, "ok"},
          std::pair{&counted.backend_error, "backend_error"},
          std::pair{&counted.bad_arguments, "bad_arguments"}}) {
      *counter = options_.registry->AddCounter(
          "grpc_amqp_bridge_reverse_calls_total",
          "oslo requests served by calling a gRPC backend (--backend), by "
          "service, oslo method and outcome.",
          {{"service", service.service->full_name()},
           {"oslo_method", method.oslo_name},
           {"outcome", outcome}});
    }
  }
}

absl::StatusOr<std::string> BackendEndpoint::Invoke(
    absl::string_view method, rpc::CallContext& context,
    const rapidjson::Value& args) {
  const Method& served = methods_.at(method);
  const gateway::Route& route = *served.route;
  std::unique_ptr<google::protobuf::Message> request(
      route.request_prototype->New());
  if (std::optional<std::string> name =
          UnexpectedArgument(args, *request->GetDescriptor())) {
    Count(served.bad_arguments);
    return Failed(oslo::BuiltinFailure(
        "TypeError", absl::StrCat(method,
                                  "() got an unexpected keyword "
                                  "argument '",
                                  *name, "'")));
  }
  if (absl::Status s = transcode::ReadArgs(args, request.get()); !s.ok()) {
    Count(served.bad_arguments);
    // What a Python endpoint raises for a value it cannot take.
    return Failed(oslo::BuiltinFailure(
        "ValueError",
        absl::StrCat("bad arguments for '", method, "': ", s.message())));
  }
  const google::protobuf::FieldDescriptor* server_field =
      route.method.server_field;
  if (server_field != nullptr && context.arrival().to_server) {
    request->GetReflection()->SetString(request.get(), server_field,
                                        options_.server_name);
  }
  // gRPC's own protobuf serialisation: straight into (and, below, out of)
  // the ByteBuffer's slices, with no flat copy in between.
  using Serialization = grpc::SerializationTraits<google::protobuf::Message>;
  grpc::ByteBuffer request_buffer;
  bool own_buffer = false;
  if (!Serialization::Serialize(*request, &request_buffer, &own_buffer).ok()) {
    return absl::InternalError(
        absl::StrCat("cannot serialise the request of '", method, "'"));
  }

  grpc::ClientContext client;
  const rpc::Arrival& arrival = context.arrival();
  const absl::Time start =
      arrival.received == absl::InfinitePast() ? absl::Now() : arrival.received;
  client.set_deadline(absl::ToChronoTime(
      start + arrival.expiration.value_or(options_.rpc_response_timeout)));
  client.AddMetadata("x-oslo-context", ContextJson(context.values()));
  if (std::optional<absl::string_view> id = context.GetString("request_id")) {
    client.AddMetadata("x-request-id", std::string(*id));
  }
  grpc::ByteBuffer response_buffer;
  grpc::Status status;
  absl::Notification done;
  stub_.UnaryCall(&client, route.path, grpc::StubOptions(), &request_buffer,
                  &response_buffer, [&](grpc::Status s) {
                    status = std::move(s);
                    done.Notify();
                  });
  done.WaitForNotification();
  if (!status.ok()) {
    Count(served.backend_error);
    return Failed(FailureFromGrpcStatus(status));
  }
  Count(served.ok);
  if (!context.is_call()) return std::string("null");

  std::unique_ptr<google::protobuf::Message> response(
      route.response_prototype->New());
  if (!Serialization::Deserialize(&response_buffer, response.get()).ok()) {
    return absl::InternalError(
        absl::StrCat("the backend's response to '", method, "' is no ",
                     response->GetDescriptor()->full_name()));
  }
  std::string result;
  {
    oslo::PyJsonWriter writer(&result);
    const absl::string_view result_field =
        route.method.result_field == nullptr
            ? absl::string_view()
            : absl::string_view(route.method.result_field->name());
    if (absl::Status s =
            transcode::WriteResult(*response, result_field, &writer);
        !s.ok()) {
      return absl::InternalError(absl::StrCat("cannot encode the result of '",
                                              method, "': ", s.message()));
    }
  }
  return result;
}

}  // namespace amqp::reverse
