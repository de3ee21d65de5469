#include "bridge/transcode/wire_format.h"

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

}  // namespace amqp::transcode::wire
