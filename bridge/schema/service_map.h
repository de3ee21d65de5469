// How a Protobuf service maps onto oslo.messaging: for each RPC, the oslo
// method name, kind (call, cast, fanout, gather, subscribe), target version,
// and the request/response fields that route or carry the result. Read from
// the (amqp.service) and (amqp.method) options with the design's defaults and
// validated. protoc-gen-amqp and the bridge both use it, so generated stubs
// and the bridge always agree.

#ifndef BRIDGE_SCHEMA_SERVICE_MAP_H_
#define BRIDGE_SCHEMA_SERVICE_MAP_H_

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/schema/notification_options.h"

namespace amqp::schema {

enum class MethodKind {
  kCall,        // unary: oslo call, waits for the reply
  kCast,        // unary: oslo cast to the topic (or topic.server)
  kFanoutCast,  // unary: oslo cast to every server of the topic
  kGather,      // server-streaming: fanout call, one message per reply
  kSubscribe,   // server-streaming: every matching fanout cast
  // unary: sends the request as an oslo notification
  kNotify,
  // server-streaming: every matching oslo notification
  kNotifications,
};

absl::string_view MethodKindName(MethodKind kind);
// Whether the caller gets the oslo method's result (call, GATHER) or nothing
// (casts; a SUBSCRIBE receives other callers' casts).
bool ReturnsResult(MethodKind kind);

struct MethodMap {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string oslo_name;
  MethodKind kind = MethodKind::kCall;
  std::string version;  // the method's, else the service's
  // Sent instead of `version` when a version cap forbids it; "" when none.
  // Lower than `version` (nova falls back from 6.0 to 5.x).
  std::string fallback_version;
  // Request field that picks the server (not sent as an argument); null if
  // none.
  const google::protobuf::FieldDescriptor* server_field = nullptr;
  // Response field that receives the whole oslo result; null if none.
  const google::protobuf::FieldDescriptor* result_field = nullptr;
  // kNotify and kNotifications only.
  std::optional<NotificationMap> notification;
};

// A method the bridge cannot serve (client or bidi streaming), and why.
struct UnsupportedMethod {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string reason;
};

struct ServiceMap {
  const google::protobuf::ServiceDescriptor* service = nullptr;
  std::string topic;
  std::string exchange;  // empty: the caller's control_exchange
  std::string version;
  std::optional<std::string> namespace_;
  std::vector<MethodMap> methods;
  // Only with MapOptions::skip_streaming_requests.
  std::vector<UnsupportedMethod> unsupported;

  // The highest version any method asks for: what an endpoint implementing
  // the whole service serves.
  std::string EndpointVersion() const;
};

// "ComputeApi" -> "compute_api", "GetHTTPStatus" -> "get_http_status".
std::string SnakeCase(absl::string_view name);

// True when the service carries an (amqp.service) option.
bool HasAmqpOptions(const google::protobuf::ServiceDescriptor& service);

// Builds the map, or INVALID_ARGUMENT naming the file, the method and the
// fix for a shape oslo cannot carry: client or bidi streaming, a cast whose
// response is not google.protobuf.Empty, a server_field that names no string
// field, a result_field that names no field, stream options on a unary
// method, a fallback_version that is no version or not lower than the
// version, or one on a SUBSCRIBE method, or RPCs of one oslo name that
// disagree on its arguments (the request, a SUBSCRIBE's events), its major
// version, or (calls and GATHERs) its result.
struct MapOptions {
  // Record client- and bidi-streaming methods in ServiceMap::unsupported
  // instead of failing: the bridge serves the rest of the service and
  // answers those UNIMPLEMENTED.
  bool skip_streaming_requests = false;
};
absl::StatusOr<ServiceMap> MapService(
    const google::protobuf::ServiceDescriptor& service,
    const MapOptions& options = {});

}  // namespace amqp::schema

#endif  // BRIDGE_SCHEMA_SERVICE_MAP_H_
