// The protobuf wire format by hand, for transcoding without a Message:
// a bounded reader that refuses exactly the encodings protobuf 3.21's parser
// refuses (parse_context.h: tags of at most 5 bytes, varints of at most 10,
// lengths under 2 GiB that stay inside their message, groups closed by their
// own end tag, at most 100 nested messages), and the few writing helpers.

#ifndef BRIDGE_TRANSCODE_WIRE_FORMAT_H_
#define BRIDGE_TRANSCODE_WIRE_FORMAT_H_

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/base/config.h"
#include "absl/strings/string_view.h"

#ifndef ABSL_IS_LITTLE_ENDIAN
#error "fixed32/fixed64 values are copied as they are: little-endian only"
#endif

namespace amqp::transcode::wire {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// How deep messages and groups may nest inside the outermost message, as
// io::CodedInputStream::GetDefaultRecursionLimit().
inline constexpr int kMaxDepth = 100;

inline uint32_t MakeTag(int number, WireType type) {
  return static_cast<uint32_t>(number) << 3 | type;
}

// The wire type protobuf writes for a field of type `type`.
inline WireType WireTypeOf(google::protobuf::FieldDescriptor::Type type) {
  using google::protobuf::FieldDescriptor;
  switch (type) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
      return kFixed64;
    case FieldDescriptor::TYPE_FLOAT:
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
      return kFixed32;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
      return kLengthDelimited;
    case FieldDescriptor::TYPE_GROUP:
      return kStartGroup;
    default:  // the integers, bool and enum
      return kVarint;
  }
}

inline WireType WireTypeOf(const google::protobuf::FieldDescriptor& field) {
  return WireTypeOf(field.type());
}

// Whether protobuf takes a value of `wire_type` for `field`: its own wire
// type, or a packed run for a repeated scalar. Other values are unknown
// fields.
inline bool Accepts(const google::protobuf::FieldDescriptor& field,
                    uint32_t wire_type) {
  return wire_type == WireTypeOf(field) ||
         (wire_type == kLengthDelimited && field.is_packable());
}

// Whether a proto2 enum field drops the numbers its enum does not name into
// the unknown fields (a closed enum) instead of keeping them.
inline bool IsClosedEnum(const google::protobuf::FieldDescriptor& field) {
  return field.cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_ENUM &&
         field.file()->syntax() !=
             google::protobuf::FileDescriptor::SYNTAX_PROTO3;
}

// The field numbered `number`, trying the one after `*hint` (the last
// match) and the usual 1..n numbering before a hash lookup; null when the
// type has none. Sets `*hint` to the index after the field's.
inline const google::protobuf::FieldDescriptor* FieldByNumber(
    const google::protobuf::Descriptor& type, uint32_t number, int* hint);

// Whether `bytes` are a `type` message that protobuf's parser takes, with
// `depth` more levels of messages and groups allowed inside it: see
// WireRequest::Check().
bool IsValidMessage(const google::protobuf::Descriptor& type,
                    absl::string_view bytes, int depth);

inline uint32_t LoadFixed32(const char* p) {
  uint32_t value;
  std::memcpy(&value, p, sizeof(value));
  return value;  // little-endian, like every machine this builds on
}

inline uint64_t LoadFixed64(const char* p) {
  uint64_t value;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

// Whether `text` is UTF-8 as protobuf's parser judges it
// (WireFormatLite::VerifyUtf8String), so that both paths refuse the same
// strings.
bool IsValidUtf8(absl::string_view text);
// The same, telling ASCII text of up to 64 bytes (most field values, a
// UUID too) inline: the high bits of whole words, the last one overlapping
// those before it, instead of a byte loop for the tail.
inline bool IsUtf8(absl::string_view text) {
  const char* const p = text.data();
  const size_t size = text.size();
  if (size > 64) return IsValidUtf8(text);  // its loop is faster
  uint64_t high;  // the high bits of every byte (some twice)
  if (size >= 8) {
    high = LoadFixed64(p + size - 8);
    for (size_t i = 0; i + 8 < size; i += 8) high |= LoadFixed64(p + i);
  } else if (size >= 4) {
    high = LoadFixed32(p) | LoadFixed32(p + size - 4);
  } else {
    // Bytes 0, size / 2 and size - 1 are all of them.
    high = size == 0 ? 0
                     : static_cast<uint8_t>(p[0]) |
                           static_cast<uint8_t>(p[size / 2]) |
                           static_cast<uint8_t>(p[size - 1]);
  }
  return (high & 0x8080808080808080) == 0 || IsValidUtf8(text);
}

// Whether the parser takes `payload` as a length-delimited value of
// `field`, which Accepts() it and is not a message: a packed run of whole
// values, or bytes, or a string (UTF-8 in proto3 files).
bool IsValidPayload(const google::protobuf::FieldDescriptor& field,
                    absl::string_view payload);

// A cursor over wire bytes. Each Read* returns false at bytes protobuf's
// parser refuses, after which the reader must not be used. The common
// one-byte cases are inline; the rest is in wire_format.cc.
class Reader {
 public:
  explicit Reader(absl::string_view bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool done() const { return p_ == end_; }
  const char* position() const { return p_; }

  bool ReadTag(uint32_t* tag) {
    if (p_ != end_ && static_cast<uint8_t>(*p_) < 0x80) {
      *tag = static_cast<uint8_t>(*p_++);
      return true;
    }
    return ReadLongTag(tag);
  }
  bool ReadVarint(uint64_t* value) {
    if (p_ != end_ && static_cast<uint8_t>(*p_) < 0x80) {
      *value = static_cast<uint8_t>(*p_++);
      return true;
    }
    return ReadLongVarint(value);
  }
  bool ReadFixed32(uint32_t* value);
  bool ReadFixed64(uint64_t* value);
  // A length, then that many bytes.
  bool ReadLengthDelimited(absl::string_view* payload) {
    if (end_ - p_ >= 1 && static_cast<uint8_t>(*p_) < 0x80 &&
        static_cast<uint8_t>(*p_) < end_ - p_) {
      const size_t size = static_cast<uint8_t>(*p_++);
      *payload = absl::string_view(p_, size);
      p_ += size;
      return true;
    }
    return ReadLongLengthDelimited(payload);
  }
  // The value after a tag that no field takes, groups with all they hold;
  // `depth` is how many more levels may nest. A group's contents are
  // returned in `*group_body` (without its end tag).
  bool SkipValue(uint32_t tag, int depth, absl::string_view* group_body);

 private:
  bool ReadLongTag(uint32_t* tag);
  bool ReadLongVarint(uint64_t* value);
  bool ReadLongLengthDelimited(absl::string_view* payload);

  const char* p_;
  const char* end_;
};

const google::protobuf::FieldDescriptor* FindFieldByNumber(
    const google::protobuf::Descriptor& type, uint32_t number, int* hint);

inline const google::protobuf::FieldDescriptor* FieldByNumber(
    const google::protobuf::Descriptor& type, uint32_t number, int* hint) {
  const int next = *hint;
  if (next < type.field_count() &&
      static_cast<uint32_t>(type.field(next)->number()) == number) {
    *hint = next + 1;
    return type.field(next);
  }
  return FindFieldByNumber(type, number, hint);
}

// Decodes a varint that Reader has already accepted, at `*p`.
inline uint64_t DecodeVarint(const char** p) {
  uint64_t value = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(*(*p)++);
    if (shift < 64) value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return value;
  }
}

inline int VarintSize(uint64_t value) {
  int size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

// Writes the varint of `value` at `out` (VarintSize(value) bytes).
inline char* EncodeVarint(uint64_t value, char* out) {
  while (value >= 0x80) {
    *out++ = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

inline void AppendVarint(uint64_t value, std::string* out) {
  char buffer[10];
  out->append(buffer, EncodeVarint(value, buffer) - buffer);
}

inline void AppendFixed32(uint32_t value, std::string* out) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(value));
}

inline void AppendFixed64(uint64_t value, std::string* out) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(value));
}

inline uint64_t ZigZag32(int32_t value) {
  return (static_cast<uint32_t>(value) << 1) ^
         static_cast<uint32_t>(value >> 31);
}

inline uint64_t ZigZag64(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^
         static_cast<uint64_t>(value >> 63);
}

inline int32_t UnZigZag32(uint32_t value) {
  return static_cast<int32_t>((value >> 1) ^ (~(value & 1) + 1));
}

inline int64_t UnZigZag64(uint64_t value) {
  return static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
}

}  // namespace amqp::transcode::wire

#endif  // BRIDGE_TRANSCODE_WIRE_FORMAT_H_
