// A request as the gRPC client sent it: protobuf wire bytes, checked once
// against the request type so that they can be read from then on without
// parsing them into a Message (wire_transcode.h).
//
//   absl::StatusOr<WireRequest> request = WireRequest::Check(type, bytes);
//   if (!request.ok()) return request.status();  // INVALID_ARGUMENT
//   absl::string_view host = request->GetString(*server_field);
//
// CheckWritingArgs() checks the bytes while it writes them as oslo
// arguments: the bridge's hot path, one pass over the bytes instead of two.

#ifndef BRIDGE_TRANSCODE_WIRE_REQUEST_H_
#define BRIDGE_TRANSCODE_WIRE_REQUEST_H_

#include <google/protobuf/descriptor.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"

namespace amqp::transcode {

class WireRequest {
 public:
  // `bytes` as a `type` message, when Message::ParsePartialFromString would
  // accept them; else INVALID_ARGUMENT "the request bytes are not a valid
  // <type>". Like the parser it refuses truncated or over-long values, bad
  // wire types, field number 0, unclosed or mismatched groups, nesting
  // deeper than 100 and, in proto3 files, strings that are not UTF-8; it
  // skips unknown fields. (Extensions are skipped as unknown fields without
  // looking inside.) A view: `bytes` must outlive the request.
  static absl::StatusOr<WireRequest> Check(
      const google::protobuf::Descriptor& type, absl::string_view bytes);

  // Check() and WriteArgsFromWire() (wire_transcode.h) in one: Check()'s
  // error when the bytes are not valid; else the request, with
  // `*args_status` the error of writing its arguments (what WriteArgs()
  // refuses, such as google.protobuf.Any), if any. The arguments are
  // complete in `*writer` only when both are OK.
  static absl::StatusOr<WireRequest> CheckWritingArgs(
      const google::protobuf::Descriptor& type, absl::string_view bytes,
      const ArgsOptions& options, oslo::PyJsonWriter* writer,
      absl::Status* args_status);

  const google::protobuf::Descriptor& type() const { return *type_; }
  absl::string_view bytes() const { return bytes_; }

  // The value a parsed message would hold in the top-level string field
  // `field` (the last one sent; the default when absent, or when its oneof
  // holds another member), pointing into bytes() or the descriptor.
  absl::string_view GetString(
      const google::protobuf::FieldDescriptor& field) const;

 private:
  WireRequest(const google::protobuf::Descriptor& type, absl::string_view bytes)
      : type_(&type), bytes_(bytes) {}

  const google::protobuf::Descriptor* type_;
  absl::string_view bytes_;
};

}  // namespace amqp::transcode

#endif  // BRIDGE_TRANSCODE_WIRE_REQUEST_H_
