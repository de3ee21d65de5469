// What a bridged call takes from the gRPC request metadata (design: Context,
// Routing, Server streaming): the oslo context, the request id, a server to
// route to, the gather settings and the call monitor. Pure: parsing and
// validation only.
//
//   x-oslo-context: {"user_id": "u1", "roles": ["admin"]}   typed values
//   x-oslo-context-project-id: p1           one string, key "project_id"
//   x-request-id: req-...                   request_id unless the context has
//   one x-amqp-server: host1                    routing key topic.host1
//   x-amqp-gather-window-ms: 500            GATHER window for this call
//   x-amqp-expect: 3                        end GATHER after 3 replies
//   x-amqp-publisher-id: api.host1          publisher of a `notify` method
//   x-amqp-call-monitor-ms: 30000           oslo's call_monitor_timeout
//
// gRPC lowercases keys; binary ("-bin") entries are ignored. Every failure is
// INVALID_ARGUMENT naming the header; messages never quote the context (it may
// hold an auth token).

#ifndef BRIDGE_GATEWAY_CALL_METADATA_H_
#define BRIDGE_GATEWAY_CALL_METADATA_H_

#include <grpcpp/support/string_ref.h>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bridge/oslo/json.h"

namespace amqp::gateway {

// Request headers.
inline constexpr char kOsloContextHeader[] = "x-oslo-context";
inline constexpr char kOsloContextKeyPrefix[] = "x-oslo-context-";
inline constexpr char kRequestIdHeader[] = "x-request-id";
inline constexpr char kServerHeader[] = "x-amqp-server";
inline constexpr char kGatherWindowHeader[] = "x-amqp-gather-window-ms";
inline constexpr char kExpectHeader[] = "x-amqp-expect";
inline constexpr char kPublisherIdHeader[] = "x-amqp-publisher-id";
inline constexpr char kCallMonitorHeader[] = "x-amqp-call-monitor-ms";
// The response header that returns CallMetadata::request_id.
inline constexpr char kResponseRequestIdHeader[] = "x-openstack-request-id";

// Limits.
inline constexpr size_t kMaxContextBytes = 64 * 1024;  // x-oslo-context
inline constexpr size_t kContextChunkBytes = 1024;     // see CallMetadata
inline constexpr int kMaxContextDepth = 32;  // nesting of x-oslo-context
inline constexpr size_t kMaxRequestIdBytes = 256;
inline constexpr size_t kMaxServerBytes = 255;  // an AMQP short string
inline constexpr int64_t kMaxGatherWindowMs = 60 * 60 * 1000;  // one hour
inline constexpr int kMaxExpect = 1000000;
inline constexpr int64_t kMaxCallMonitorMs = 60 * 60 * 1000;  // one hour

// ServerContext::client_metadata().
using ClientMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;

struct CallMetadata {
  // The oslo context, an object: x-oslo-context's members (a key given twice
  // keeps its first position and its last value, as Python's json.loads
  // does), then each x-oslo-context-<key> as a string (replacing a member of
  // the same name), then request_id if it was missing. Its members become
  // the request's _context_* keys.
  //
  // Its memory comes in small chunks: most contexts hold a few strings, and
  // RapidJSON's default (64 KiB per document) would cost that much per call
  // in flight.
  std::unique_ptr<oslo::JsonDocument::AllocatorType> context_allocator =
      std::make_unique<oslo::JsonDocument::AllocatorType>(kContextChunkBytes);
  oslo::JsonDocument context{rapidjson::kObjectType, context_allocator.get()};
  // context["request_id"]: the caller's (x-oslo-context or
  // x-oslo-context-request-id), else x-request-id, else a new
  // "req-<uuid4>" as oslo.context makes. Printable ASCII, at most
  // kMaxRequestIdBytes: fit to send back as kResponseRequestIdHeader.
  std::string request_id;
  // x-amqp-server: the server to route to (topic.<server>); "" when absent.
  std::string server;
  // x-amqp-gather-window-ms, 1 to kMaxGatherWindowMs.
  std::optional<absl::Duration> gather_window;
  // x-amqp-expect, 1 to kMaxExpect.
  std::optional<int> expect;
  // x-amqp-publisher-id: the publisher id of a notification; "" when absent.
  std::string publisher_id;
  // x-amqp-call-monitor-ms, 1 to kMaxCallMonitorMs: the call-monitor
  // timeout of a unary call (rpc::CallSpec::call_monitor_timeout).
  std::optional<absl::Duration> call_monitor;
};

// Reads the headers above from a call's metadata. Other headers are ignored,
// except unknown x-amqp-* headers, which are refused so that a misspelt one
// does not go unnoticed. INVALID_ARGUMENT, naming the header, when a header
// above is given twice; x-oslo-context is larger than kMaxContextBytes, not
// JSON, nested deeper than kMaxContextDepth or not an object; two
// x-oslo-context-<key> headers name the same key ("a-b" and "a_b"), or the
// key is empty; request_id is neither a string nor null/"" (which mean
// "absent"), or is not printable ASCII up to kMaxRequestIdBytes; x-amqp-server
// is empty, too long or has whitespace or control characters; a number is
// not a plain positive decimal within its bound.
absl::StatusOr<CallMetadata> ParseCallMetadata(const ClientMetadata& metadata);

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_CALL_METADATA_H_
