#include "bridge/transcode/wire_transcode.h"

#include "bridge/transcode/json_decoder.h"
#include "bridge/transcode/json_encoder.h"
#include "bridge/transcode/wire_sink.h"
#include "bridge/transcode/wire_source.h"

namespace amqp::transcode {

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
  wire_bytes->clear();
  WireSink sink(response_type, wire_bytes);
  absl::Status status = ReadResultInto(result, result_field, sink, stats);
  if (status.ok()) sink.Finish();
  return status;
}

absl::Status ReadMessageToWire(const rapidjson::Value& json,
                               const google::protobuf::Descriptor& type,
                               std::string* wire_bytes, ResultStats* stats) {
  wire_bytes->clear();
  WireSink sink(type, wire_bytes);
  absl::Status status = JsonDecoder<WireSink>(stats).Message(json, sink);
  if (status.ok()) sink.Finish();
  return status;
}

}  // namespace amqp::transcode
