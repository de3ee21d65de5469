#include "bridge/transcode/wire_request.h"

#include <google/protobuf/stubs/common.h>

#include "absl/strings/str_cat.h"
#include "bridge/transcode/wire_format.h"
#include "bridge/transcode/wire_source.h"

namespace amqp::transcode {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using wire::Reader;

// The same judgement as protobuf's own check (WireFormatLite::
// VerifyUtf8String), so that both paths refuse the same strings.
bool IsUtf8(absl::string_view text) {
  return google::protobuf::internal::IsStructurallyValidUTF8(
      text.data(), static_cast<int>(text.size()));
}

bool CheckMessage(const Descriptor& type, Reader& in, int depth,
                  uint32_t end_tag);

// A packed run: whole values, and nothing after the last.
bool CheckPacked(const FieldDescriptor& field, absl::string_view payload) {
  switch (wire::WireTypeOf(field)) {
    case wire::kFixed32:
      return payload.size() % 4 == 0;
    case wire::kFixed64:
      return payload.size() % 8 == 0;
    default: {
      Reader in(payload);
      uint64_t value;
      while (!in.done()) {
        if (!in.ReadVarint(&value)) return false;
      }
      return true;
    }
  }
}

// One value of a field that takes the tag's wire type.
bool CheckValue(const FieldDescriptor& field, uint32_t tag, Reader& in,
                int depth) {
  switch (tag & 7) {
    case wire::kStartGroup:
      return depth > 0 &&
             CheckMessage(*field.message_type(), in, depth - 1,
                          wire::MakeTag(field.number(), wire::kEndGroup));
    case wire::kLengthDelimited: {
      absl::string_view payload;
      if (!in.ReadLengthDelimited(&payload)) return false;
      if (wire::WireTypeOf(field) != wire::kLengthDelimited) {
        return CheckPacked(field, payload);
      }
      if (field.type() == FieldDescriptor::TYPE_MESSAGE) {
        Reader nested(payload);
        return depth > 0 &&
               CheckMessage(*field.message_type(), nested, depth - 1, 0);
      }
      // Only proto3 strings must be UTF-8 (protobuf's StrictUtf8Check).
      return field.type() != FieldDescriptor::TYPE_STRING ||
             field.file()->syntax() !=
                 google::protobuf::FileDescriptor::SYNTAX_PROTO3 ||
             IsUtf8(payload);
    }
    default:
      return in.SkipValue(tag, depth, nullptr);
  }
}

// The fields of one message, up to the end of `in`, or up to `end_tag` for
// a group (0 for a length-delimited message).
bool CheckMessage(const Descriptor& type, Reader& in, int depth,
                  uint32_t end_tag) {
  int hint = 0;
  while (!in.done()) {
    uint32_t tag;
    if (!in.ReadTag(&tag) || tag == 0) return false;
    if ((tag & 7) == wire::kEndGroup) return end_tag != 0 && tag == end_tag;
    const FieldDescriptor* field = wire::FieldByNumber(type, tag >> 3, &hint);
    const bool ok = field != nullptr && wire::Accepts(*field, tag & 7)
                        ? CheckValue(*field, tag, in, depth)
                        : in.SkipValue(tag, depth, nullptr);
    if (!ok) return false;
  }
  return end_tag == 0;  // a group must end with its own end tag
}

}  // namespace

absl::StatusOr<WireRequest> WireRequest::Check(const Descriptor& type,
                                               absl::string_view bytes) {
  Reader in(bytes);
  if (!CheckMessage(type, in, wire::kMaxDepth, 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request bytes are not a valid ", type.full_name()));
  }
  return WireRequest(type, bytes);
}

absl::string_view WireRequest::GetString(const FieldDescriptor& field) const {
  const WireSource request(&WireSource::Scratch::ForThisThread(), *type_,
                           bytes_);
  return request.Get<absl::string_view>(field);
}

}  // namespace amqp::transcode
