#include "bridge/transcode/wire_request.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "bridge/transcode/wire_format.h"
#include "bridge/transcode/wire_source.h"
#include "bridge/transcode/wire_transcode.h"

namespace amqp::transcode {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

absl::StatusOr<WireRequest> WireRequest::Check(const Descriptor& type,
                                               absl::string_view bytes) {
  if (!wire::IsValidMessage(type, bytes, wire::kMaxDepth)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request bytes are not a valid ", type.full_name()));
  }
  return WireRequest(type, bytes);
}

absl::StatusOr<WireRequest> WireRequest::CheckWritingArgs(
    const Descriptor& type, absl::string_view bytes, const ArgsOptions& options,
    oslo::PyJsonWriter* writer, absl::Status* args_status) {
  *args_status = absl::OkStatus();
  const FieldDescriptor* skipped =
      options.skip_field.empty()
          ? nullptr
          : type.FindFieldByName(std::string(options.skip_field));
  if (skipped != nullptr &&
      skipped->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    // Its value is never visited, so never judged: check first.
    absl::StatusOr<WireRequest> request = Check(type, bytes);
    if (request.ok()) {
      *args_status = WriteArgsFromWire(*request, options, writer);
    }
    return request;
  }
  // Written before the bytes are known to be valid: the writing judges
  // them as it reads them (wire_source.h).
  const WireRequest unchecked(type, bytes);
  const absl::Status written = WriteArgsFromWire(unchecked, options, writer);
  if (written.ok()) return unchecked;
  // The writing stopped, at bad bytes or at what JSON cannot carry, which
  // may come first in the tree: bad bytes are the answer wherever they are,
  // as when they are checked before anything is written.
  absl::StatusOr<WireRequest> request = Check(type, bytes);
  if (request.ok()) *args_status = written;
  return request;
}

absl::string_view WireRequest::GetString(const FieldDescriptor& field) const {
  const WireSource request(&WireSource::Scratch::ForThisThread(), *type_,
                           bytes_);
  return request.Get<absl::string_view>(field);
}

}  // namespace amqp::transcode
