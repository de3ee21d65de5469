#include "bridge/transcode/wire_format.h"

#include <google/protobuf/stubs/common.h>

#include <climits>

namespace amqp::transcode::wire {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

const FieldDescriptor* FindFieldByNumber(const Descriptor& type,
                                         uint32_t number, int* hint) {
  const int count = type.field_count();
  if (number >= 1 && number <= static_cast<uint32_t>(count) &&
      type.field(number - 1)->number() == static_cast<int>(number)) {
    *hint = static_cast<int>(number);
    return type.field(number - 1);
  }
  if (number > static_cast<uint32_t>(FieldDescriptor::kMaxNumber)) {
    return nullptr;
  }
  const FieldDescriptor* field =
      type.FindFieldByNumber(static_cast<int>(number));
  if (field != nullptr) *hint = field->index() + 1;
  return field;
}

namespace {

// A varint of at most kMaxBytes bytes at `*p`; bits past T's are dropped,
// as protobuf drops them.
template <typename T, int kMaxBytes>
bool ReadVarintOf(const char** p, const char* end, T* value) {
  T result = 0;
  for (int i = 0; i < kMaxBytes && *p != end; ++i) {
    const uint8_t byte = static_cast<uint8_t>(*(*p)++);
    result |= static_cast<T>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      *value = result;
      return true;
    }
  }
  return false;
}

}  // namespace

bool Reader::ReadLongTag(uint32_t* tag) {
  return ReadVarintOf<uint32_t, 5>(&p_, end_, tag);
}

bool Reader::ReadLongVarint(uint64_t* value) {
  return ReadVarintOf<uint64_t, 10>(&p_, end_, value);
}

bool Reader::ReadFixed32(uint32_t* value) {
  if (end_ - p_ < 4) return false;
  *value = LoadFixed32(p_);
  p_ += 4;
  return true;
}

bool Reader::ReadFixed64(uint64_t* value) {
  if (end_ - p_ < 8) return false;
  *value = LoadFixed64(p_);
  p_ += 8;
  return true;
}

bool Reader::ReadLongLengthDelimited(absl::string_view* payload) {
  // Like protobuf's ReadSize: at most 5 bytes, under 2 GiB (less a margin
  // protobuf keeps for its buffers).
  constexpr uint32_t kSlopBytes = 16;
  uint32_t size = 0;
  for (int i = 0;; ++i) {
    if (p_ == end_) return false;
    const uint8_t byte = static_cast<uint8_t>(*p_++);
    if (i == 4 && byte >= 8) return false;
    size |= static_cast<uint32_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) break;
    if (i == 4) return false;
  }
  if (size > INT_MAX - kSlopBytes || size > static_cast<size_t>(end_ - p_)) {
    return false;
  }
  *payload = absl::string_view(p_, size);
  p_ += size;
  return true;
}

bool Reader::SkipValue(uint32_t tag, int depth, absl::string_view* group_body) {
  const uint32_t number = tag >> 3;
  if (number == 0) return false;
  switch (tag & 7) {
    case kVarint: {
      uint64_t value;
      return ReadVarint(&value);
    }
    case kFixed64: {
      uint64_t value;
      return ReadFixed64(&value);
    }
    case kLengthDelimited: {
      absl::string_view payload;
      return ReadLengthDelimited(&payload);
    }
    case kFixed32: {
      uint32_t value;
      return ReadFixed32(&value);
    }
    case kStartGroup: {
      if (depth == 0) return false;
      const char* body = p_;
      const uint32_t end_tag = MakeTag(number, kEndGroup);
      for (;;) {
        const char* at = p_;
        uint32_t inner;
        if (!ReadTag(&inner)) return false;
        if (inner == end_tag) {
          if (group_body != nullptr)
            *group_body = absl::string_view(body, at - body);
          return true;
        }
        // Another end tag, or tag 0, ends the group wrongly.
        if (inner == 0 || (inner & 7) == kEndGroup) return false;
        if (!SkipValue(inner, depth - 1, nullptr)) return false;
      }
    }
    default:  // an end tag with no group, or wire types 6 and 7
      return false;
  }
}

namespace {

// A packed run: whole values, and nothing after the last.
bool IsValidPackedRun(const FieldDescriptor& field, absl::string_view payload) {
  switch (WireTypeOf(field)) {
    case kFixed32:
      return payload.size() % 4 == 0;
    case kFixed64:
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

bool CheckMessage(const Descriptor& type, Reader& in, int depth,
                  uint32_t end_tag);

// One value of a field that takes the tag's wire type.
bool CheckValue(const FieldDescriptor& field, uint32_t tag, Reader& in,
                int depth) {
  switch (tag & 7) {
    case kStartGroup:
      return depth > 0 && CheckMessage(*field.message_type(), in, depth - 1,
                                       MakeTag(field.number(), kEndGroup));
    case kLengthDelimited: {
      absl::string_view payload;
      if (!in.ReadLengthDelimited(&payload)) return false;
      if (field.type() == FieldDescriptor::TYPE_MESSAGE) {
        return depth > 0 &&
               IsValidMessage(*field.message_type(), payload, depth - 1);
      }
      return IsValidPayload(field, payload);
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
    if ((tag & 7) == kEndGroup) return end_tag != 0 && tag == end_tag;
    const FieldDescriptor* field = FieldByNumber(type, tag >> 3, &hint);
    const bool ok = field != nullptr && Accepts(*field, tag & 7)
                        ? CheckValue(*field, tag, in, depth)
                        : in.SkipValue(tag, depth, nullptr);
    if (!ok) return false;
  }
  return end_tag == 0;  // a group must end with its own end tag
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  return google::protobuf::internal::IsStructurallyValidUTF8(
      text.data(), static_cast<int>(text.size()));
}

bool IsValidPayload(const FieldDescriptor& field, absl::string_view payload) {
  if (WireTypeOf(field) != kLengthDelimited) {
    return IsValidPackedRun(field, payload);
  }
  // Only proto3 strings must be UTF-8 (protobuf's StrictUtf8Check).
  return field.type() != FieldDescriptor::TYPE_STRING ||
         field.file()->syntax() !=
             google::protobuf::FileDescriptor::SYNTAX_PROTO3 ||
         IsUtf8(payload);
}

bool IsValidMessage(const Descriptor& type, absl::string_view bytes,
                    int depth) {
  Reader in(bytes);
  return CheckMessage(type, in, depth, 0);
}

}  // namespace amqp::transcode::wire
