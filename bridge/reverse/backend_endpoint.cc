#include "bridge/reverse/backend_endpoint.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/byte_buffer.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/json.h"
#include "bridge/reverse/status_failure.h"
#include "bridge/transcode/wire_transcode.h"

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
                                 grpc::CompletionQueue* queue, Options options)
    : namespace_(service.namespace_),
      version_(service.EndpointVersion()),
      options_(std::move(options)),
      stub_(std::move(channel)),
      queue_(queue) {
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

struct BackendEndpoint::Call final : gateway::QueueTag {
  // The response is in (or the call failed): the result goes out from the
  // queue's thread, and the call is done.
  void Run(bool) override {
    std::unique_ptr<Call> self(this);
    done(Result(*this));
  }

  const Method* served = nullptr;
  std::string method;  // the oslo method, for error texts
  bool is_call = true;
  rpc::ResultCallback done;
  grpc::ClientContext client;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  grpc::ByteBuffer response;
  grpc::Status status;
};

absl::StatusOr<std::string> BackendEndpoint::Request(
    absl::string_view method, const Method& served,
    const rpc::CallContext& context, const rapidjson::Value& args) const {
  const gateway::Route& route = *served.route;
  const google::protobuf::Descriptor& type =
      *route.request_prototype->GetDescriptor();
  if (std::optional<std::string> name = UnexpectedArgument(args, type)) {
    return Failed(oslo::BuiltinFailure(
        "TypeError", absl::StrCat(method,
                                  "() got an unexpected keyword "
                                  "argument '",
                                  *name, "'")));
  }
  std::string request;
  if (absl::Status s = transcode::ReadArgsToWire(args, type, &request);
      !s.ok()) {
    // What a Python endpoint raises for a value it cannot take.
    return Failed(oslo::BuiltinFailure(
        "ValueError",
        absl::StrCat("bad arguments for '", method, "': ", s.message())));
  }
  const google::protobuf::FieldDescriptor* server_field =
      route.method.server_field;
  if (server_field != nullptr && context.arrival().to_server) {
    transcode::AppendStringField(*server_field, options_.server_name, &request);
  }
  return request;
}

void BackendEndpoint::InvokeAsync(absl::string_view method,
                                  rpc::CallContext& context,
                                  const rapidjson::Value& args,
                                  rpc::ResultCallback done) {
  const Method& served = methods_.at(method);
  absl::StatusOr<std::string> request = Request(method, served, context, args);
  if (!request.ok()) {
    Count(served.bad_arguments);
    done(request.status());
    return;
  }
  auto call = std::make_unique<Call>();
  call->served = &served;
  call->method = std::string(method);
  call->is_call = context.is_call();
  call->done = std::move(done);
  const rpc::Arrival& arrival = context.arrival();
  const absl::Time start =
      arrival.received == absl::InfinitePast() ? absl::Now() : arrival.received;
  call->client.set_deadline(absl::ToChronoTime(
      start + arrival.expiration.value_or(options_.rpc_response_timeout)));
  call->client.AddMetadata("x-oslo-context", ContextJson(context.values()));
  if (std::optional<absl::string_view> id = context.GetString("request_id")) {
    call->client.AddMetadata("x-request-id", std::string(*id));
  }
  grpc::Slice slice(*request);
  call->reader = stub_.PrepareUnaryCall(&call->client, served.route->path,
                                        grpc::ByteBuffer(&slice, 1), queue_);
  call->reader->StartCall();
  // The queue's thread owns the call from here: its tag deletes it.
  Call* in_flight = call.release();
  in_flight->reader->Finish(&in_flight->response, &in_flight->status,
                            in_flight);
}

absl::StatusOr<std::string> BackendEndpoint::Result(const Call& call) {
  if (!call.status.ok()) {
    Count(call.served->backend_error);
    return Failed(FailureFromGrpcStatus(call.status));
  }
  Count(call.served->ok);
  if (!call.is_call) return std::string("null");

  const gateway::Route& route = *call.served->route;
  const google::protobuf::Descriptor& type =
      *route.response_prototype->GetDescriptor();
  // The response's bytes in one piece: one slice when gRPC received them
  // whole, as it does for all but large responses.
  grpc::Slice flat;
  if (!call.response.TrySingleSlice(&flat).ok() &&
      !call.response.DumpToSingleSlice(&flat).ok()) {
    return absl::InternalError(absl::StrCat("the backend's response to '",
                                            call.method, "' is unreadable"));
  }
  const absl::string_view bytes(reinterpret_cast<const char*>(flat.begin()),
                                flat.size());
  std::string result;
  result.reserve(transcode::ArgsBytesHint(bytes.size()));
  oslo::PyJsonWriter writer(&result);
  const absl::string_view result_field =
      route.method.result_field == nullptr
          ? absl::string_view()
          : absl::string_view(route.method.result_field->name());
  if (absl::Status s =
          transcode::WriteResultFromWire(type, bytes, result_field, &writer);
      !s.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot encode the backend's response to '", call.method,
                     "': ", s.message()));
  }
  return result;
}

}  // namespace amqp::reverse
