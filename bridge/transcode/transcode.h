// Protobuf messages <-> oslo.messaging JSON, driven by descriptors (so it
// works the same for generated and dynamic messages). The one transcoding
// library of the project: the generated stubs call these functions, the
// bridge their twins on wire bytes (wire_transcode.h), which follow the
// same rules (json_encoder.h, json_decoder.h).
//
// The mapping is proto3 JSON with the changes oslo's Python peers need
// (docs/mapping.md): keys are proto field names; 64-bit integers are JSON
// numbers; enums are names; bytes are base64; Struct/Value/ListValue are plain
// JSON; wrappers are their value; Timestamp is RFC 3339. Scalars, repeated
// and map fields are always written; fields with presence (messages,
// `optional`, oneof members) only when set. A message with (amqp.object) is
// an oslo.versionedobjects primitive instead, holding only the fields that
// are set or not their default; an enum value with (amqp.value) is that
// spelling.
//
//   std::string args;
//   oslo::PyJsonWriter writer(&args);
//   absl::Status s = transcode::WriteArgs(request, {.skip_field = "host"},
//                                         &writer);

#ifndef BRIDGE_TRANSCODE_TRANSCODE_H_
#define BRIDGE_TRANSCODE_TRANSCODE_H_

#include <google/protobuf/message.h>
#include <rapidjson/document.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"

namespace amqp::transcode {

struct ArgsOptions {
  // A top-level field that only routes the request (server_field): not sent.
  absl::string_view skip_field;
};

// Writes `request` as the keyword arguments of an oslo call: a JSON object
// with one member per top-level field. INVALID_ARGUMENT for what JSON cannot
// carry (google.protobuf.Any, a Timestamp out of range).
absl::Status WriteArgs(const google::protobuf::Message& request,
                       const ArgsOptions& options, oslo::PyJsonWriter* writer);

// Fills `request` (cleared first) from oslo keyword arguments, a JSON object
// keyed by field name. INVALID_ARGUMENT naming the field path for an unknown
// argument, a value of the wrong JSON type, an integer out of range, an
// unknown enum name or bad base64. Unknown keys inside nested objects are
// ignored, as protobuf ignores unknown fields.
absl::Status ReadArgs(const rapidjson::Value& args,
                      google::protobuf::Message* request);

// Writes `response` as an oslo result: the value of `result_field` alone when
// set, null for google.protobuf.Empty, the plain JSON of a Struct/Value/
// ListValue/wrapper response, else an object of its fields.
absl::Status WriteResult(const google::protobuf::Message& response,
                         absl::string_view result_field,
                         oslo::PyJsonWriter* writer);

// What ReadResult() did not map, for metrics.
struct ResultStats {
  int64_t unknown_keys = 0;  // object keys that name no field, at any depth
};

// Fills `response` (cleared first) from an oslo result, by the design's
// rules: with `result_field`, the whole result goes into that field;
// otherwise an object maps onto the fields by name (unknown keys ignored and
// counted in `stats`), null gives an empty response, and any other value goes
// into the response's only field if it has exactly one; an Empty response
// ignores the result. INTERNAL naming the field path and the JSON type when
// the result does not fit (the server or the .proto is at fault, not the
// caller).
absl::Status ReadResult(const rapidjson::Value& result,
                        absl::string_view result_field,
                        google::protobuf::Message* response,
                        ResultStats* stats);

// The building blocks: one message as a JSON value (well-known types by their
// special forms), and back.
absl::Status WriteMessage(const google::protobuf::Message& message,
                          oslo::PyJsonWriter* writer);
absl::Status ReadMessage(const rapidjson::Value& json,
                         google::protobuf::Message* message,
                         ResultStats* stats);

}  // namespace amqp::transcode

#endif  // BRIDGE_TRANSCODE_TRANSCODE_H_
