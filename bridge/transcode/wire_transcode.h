// Protobuf wire bytes <-> oslo JSON with no Message in between, what the
// bridge does for every call: a gRPC request's bytes become oslo keyword
// arguments, an oslo result becomes the gRPC response's bytes, and in the
// reverse direction (bridge/reverse) oslo arguments become a backend's
// request bytes and its response bytes the oslo result. The JSON,
// the bytes' meaning, the errors and the stats are exactly those of
// transcode.h's functions on the message the bytes parse to (both run the
// rules of json_encoder.h and json_decoder.h); only the walk differs: over
// the descriptors and the bytes, like Envoy's gRPC-JSON transcoder, instead
// of through a DynamicMessage, whose parsing and serialisation cost several
// times the transcoding itself.
//
//   std::string args;
//   args.reserve(ArgsBytesHint(bytes.size()));
//   oslo::PyJsonWriter writer(&args);
//   absl::Status s = WriteArgsFromWire(type, bytes, {.skip_field = "host"},
//                                      &writer);
//
// One difference in the JSON: a map sent with a key twice gives the key
// twice, in wire order, as WriteArgs() on a dynamic message (what the bridge
// parsed requests into) does; a Python peer keeps the last value.

#ifndef BRIDGE_TRANSCODE_WIRE_TRANSCODE_H_
#define BRIDGE_TRANSCODE_WIRE_TRANSCODE_H_

#include <google/protobuf/descriptor.h>
#include <rapidjson/document.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"
#include "bridge/transcode/wire_request.h"

namespace amqp::transcode {

// WriteArgs() of the message `wire_bytes` parse to, as a `request_type`;
// INVALID_ARGUMENT "the request bytes are not a valid <type>" when they do
// not (WireRequest::Check). The bytes are checked as they are read
// (WireRequest::CheckWritingArgs); the second form reads bytes that were
// checked before.
absl::Status WriteArgsFromWire(const google::protobuf::Descriptor& request_type,
                               absl::string_view wire_bytes,
                               const ArgsOptions& options,
                               oslo::PyJsonWriter* writer);
absl::Status WriteArgsFromWire(const WireRequest& request,
                               const ArgsOptions& options,
                               oslo::PyJsonWriter* writer);

// What to reserve for the arguments of `wire_bytes_size` bytes of request:
// they take about twice as many, so one allocation usually holds them all.
inline size_t ArgsBytesHint(size_t wire_bytes_size) {
  return 2 * wire_bytes_size + 64;
}

// Sets `*wire_bytes` to a `response_type` message that parses to what
// ReadResult() would fill in, with its errors and stats.
absl::Status ReadResultToWire(const rapidjson::Value& result,
                              absl::string_view result_field,
                              const google::protobuf::Descriptor& response_type,
                              std::string* wire_bytes, ResultStats* stats);

// Likewise for ReadMessage().
absl::Status ReadMessageToWire(const rapidjson::Value& json,
                               const google::protobuf::Descriptor& type,
                               std::string* wire_bytes, ResultStats* stats);

// Likewise for ReadArgs(): `*wire_bytes` becomes the `request_type` message
// ReadArgs() would fill in from `args`, with its errors.
absl::Status ReadArgsToWire(const rapidjson::Value& args,
                            const google::protobuf::Descriptor& request_type,
                            std::string* wire_bytes);

// Appends the top-level string `field` = `value` to a message's bytes: it
// wins over any value of the field sent before it (and over other members of
// its oneof), as the last one does when protobuf parses them.
void AppendStringField(const google::protobuf::FieldDescriptor& field,
                       absl::string_view value, std::string* wire_bytes);

// WriteResult() of the message `wire_bytes` parse to, as a `response_type`;
// INVALID_ARGUMENT "the bytes are not a valid <type>" when they do not
// (wherever in the tree they are bad, as for WriteArgsFromWire()).
absl::Status WriteResultFromWire(
    const google::protobuf::Descriptor& response_type,
    absl::string_view wire_bytes, absl::string_view result_field,
    oslo::PyJsonWriter* writer);

}  // namespace amqp::transcode

#endif  // BRIDGE_TRANSCODE_WIRE_TRANSCODE_H_
