#include "bridge/transcode/wire_transcode.h"

#include "absl/strings/str_cat.h"
#include "bridge/transcode/json_decoder.h"
#include "bridge/transcode/json_encoder.h"
#include "bridge/transcode/wire_format.h"
#include "bridge/transcode/wire_sink.h"
#include "bridge/transcode/wire_source.h"

namespace amqp::transcode {
namespace {

absl::Status NotValid(const google::protobuf::Descriptor& type) {
  return absl::InvalidArgumentError(
      absl::StrCat("the bytes are not a valid ", type.full_name()));
}

// `*wire_bytes` becomes the `type` message `read` writes into a sink; they
// are complete only when it succeeds.
template <typename Read>
absl::Status ReadToWire(const google::protobuf::Descriptor& type,
                        std::string* wire_bytes, Read read) {
  wire_bytes->clear();
  WireSink sink(type, wire_bytes);
  absl::Status status = read(sink);
  if (status.ok()) sink.Finish();
  return status;
}

}  // namespace

absl::Status WriteArgsFromWire(const google::protobuf::Descriptor& request_type,
                               absl::string_view wire_bytes,
                               const ArgsOptions& options,
                               oslo::PyJsonWriter* writer) {
  absl::Status written;
  absl::StatusOr<WireRequest> request = WireRequest::CheckWritingArgs(
      request_type, wire_bytes, options, writer, &written);
  return request.ok() ? written : request.status();
}

absl::Status WriteArgsFromWire(const WireRequest& request,
                               const ArgsOptions& options,
                               oslo::PyJsonWriter* writer) {
  const WireSource source(&WireSource::Scratch::ForThisThread(), request.type(),
                          request.bytes());
  // Only WireRequest::CheckWritingArgs gives bytes not checked before.
  if (!source.ok()) return WireSource::InvalidBytes();
  // Arguments are always keyword arguments, even for well-known types.
  return JsonEncoder<WireSource>(writer).Object(source, options.skip_field);
}

absl::Status ReadResultToWire(const rapidjson::Value& result,
                              absl::string_view result_field,
                              const google::protobuf::Descriptor& response_type,
                              std::string* wire_bytes, ResultStats* stats) {
  return ReadToWire(response_type, wire_bytes, [&](WireSink& sink) {
    return ReadResultInto(result, result_field, sink, stats);
  });
}

absl::Status ReadArgsToWire(const rapidjson::Value& args,
                            const google::protobuf::Descriptor& request_type,
                            std::string* wire_bytes) {
  return ReadToWire(request_type, wire_bytes, [&](WireSink& sink) {
    return JsonDecoder<WireSink>(nullptr).Object(args, sink, /*strict=*/true);
  });
}

void AppendStringField(const google::protobuf::FieldDescriptor& field,
                       absl::string_view value, std::string* wire_bytes) {
  wire::AppendVarint(wire::MakeTag(field.number(), wire::kLengthDelimited),
                     wire_bytes);
  wire::AppendVarint(value.size(), wire_bytes);
  wire_bytes->append(value.data(), value.size());
}

absl::Status WriteResultFromWire(
    const google::protobuf::Descriptor& response_type,
    absl::string_view wire_bytes, absl::string_view result_field,
    oslo::PyJsonWriter* writer) {
  // Fields besides `result_field` are never visited, so never judged: check
  // first, as Message::ParseFromString would.
  const bool checked = !result_field.empty();
  if (checked &&
      !wire::IsValidMessage(response_type, wire_bytes, wire::kMaxDepth)) {
    return NotValid(response_type);
  }
  const WireSource source(&WireSource::Scratch::ForThisThread(), response_type,
                          wire_bytes);
  const absl::Status written =
      source.ok() ? JsonEncoder<WireSource>(writer).Result(source, result_field)
                  : WireSource::InvalidBytes();
  // The writing stopped, at bad bytes or at what JSON cannot carry, which
  // may come first in the tree: bad bytes are the answer wherever they are.
  if (written.ok() || checked ||
      wire::IsValidMessage(response_type, wire_bytes, wire::kMaxDepth)) {
    return written;
  }
  return NotValid(response_type);
}

absl::Status ReadMessageToWire(const rapidjson::Value& json,
                               const google::protobuf::Descriptor& type,
                               std::string* wire_bytes, ResultStats* stats) {
  return ReadToWire(type, wire_bytes, [&](WireSink& sink) {
    return JsonDecoder<WireSink>(stats).Message(json, sink);
  });
}

}  // namespace amqp::transcode
