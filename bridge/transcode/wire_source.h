// One message read straight from protobuf wire bytes, as json_encoder.h
// reads a Source: each field as protobuf's parser would leave it in a
// Message, without making one. The last value of a singular field wins;
// the occurrences of a singular message field merge; repeated scalars may
// come packed or not; a oneof holds the member sent last; proto2 enum
// fields drop the numbers their enum does not name; unknown fields are
// skipped.
//
// Building one reads the message's own tags once (not the messages inside
// it, which are read when visited) and sorts them by field into scratch
// memory that the whole tree shares. While reading, it judges the bytes as
// WireRequest::Check would: a source is ok() when its own level is valid,
// and visiting a message inside that is not valid fails. (The few message
// values that are never visited, such as a oneof member that another one
// replaced, are checked as they are read.) So the bytes need no walk of
// their own before they are read.

#ifndef BRIDGE_TRANSCODE_WIRE_SOURCE_H_
#define BRIDGE_TRANSCODE_WIRE_SOURCE_H_

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/transcode/json_encoder.h"
#include "bridge/transcode/wire_format.h"

namespace amqp::transcode {

class WireSource {
 public:
  // Memory for the messages of one tree, reused as they are read depth
  // first. Outlives every WireSource made with it.
  class Scratch;

  // The outermost message of a tree.
  WireSource(Scratch* scratch, const google::protobuf::Descriptor& type,
             absl::string_view bytes)
      : WireSource(scratch, type, bytes, wire::kMaxDepth) {}
  ~WireSource();
  WireSource(const WireSource&) = delete;
  WireSource& operator=(const WireSource&) = delete;

  // Whether this message's own bytes are valid (see above).
  bool ok() const { return ok_; }
  // What visiting a message inside that is not valid returns. Callers
  // answer with WireRequest::Check()'s error instead: this one is only seen
  // if the two disagree.
  static absl::Status InvalidBytes();
  const google::protobuf::Descriptor& type() const { return type_; }
  bool IsWritten(const google::protobuf::FieldDescriptor& field) const;
  // Whether a parsed message would hold a value: set, not empty, or not
  // its default (what reflection's HasField and FieldSize say).
  bool HasValue(const google::protobuf::FieldDescriptor& field) const;
  const google::protobuf::FieldDescriptor* WhichOneof(
      const google::protobuf::OneofDescriptor& oneof) const;
  // A Timestamp's or Duration's seconds and nanos, every time one is
  // written: their int64 and int32 fields are read here, without Visit().
  int64_t GetInt64(const google::protobuf::FieldDescriptor& field) const {
    if (field.type() != google::protobuf::FieldDescriptor::TYPE_INT64) {
      return Get<int64_t>(field);
    }
    const Range range = Find(field);
    return range.begin == range.end ? field.default_value_int64()
                                    : static_cast<int64_t>(LastVarint(range));
  }
  int32_t GetInt32(const google::protobuf::FieldDescriptor& field) const {
    if (field.type() != google::protobuf::FieldDescriptor::TYPE_INT32) {
      return Get<int32_t>(field);
    }
    const Range range = Find(field);
    return range.begin == range.end ? field.default_value_int32()
                                    : static_cast<int32_t>(LastVarint(range));
  }
  // The singular field's value if it is a T (absl::string_view for strings
  // and bytes), else T().
  template <typename T>
  T Get(const google::protobuf::FieldDescriptor& field) const {
    T value{};
    (void)Visit(field, [&value](const auto& v) {
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, T>) value = v;
      return absl::OkStatus();
    });
    return value;
  }

  // json_encoder.h's visitors: `fn` gets the singular field's value, or
  // each element of a repeated one.
  template <typename Fn>
  absl::Status Visit(const google::protobuf::FieldDescriptor& field,
                     Fn&& fn) const;
  template <typename Fn>
  absl::Status ForEach(const google::protobuf::FieldDescriptor& field,
                       Fn&& fn) const;

 private:
  // Where one value of a field is: a varint or fixed value, a string, a
  // message's or a group's body, or a packed run.
  struct Occurrence {
    const char* data;
    uint32_t size;
    uint32_t sequence;  // its place among the message's occurrences
    int32_t field;      // index in the message type
    uint32_t wire_type;
  };
  // The member a oneof holds, and since when.
  struct OneofState {
    int32_t field = -1;
    uint32_t since = 0;
  };
  // Occurrences [begin, end) of this message's run in the scratch memory.
  struct Range {
    uint32_t begin;
    uint32_t end;
  };

  // A message with `depth` more levels allowed inside it.
  WireSource(Scratch* scratch, const google::protobuf::Descriptor& type,
             absl::string_view bytes, int depth);

  // Reads the tags and judges the bytes; false when they are not valid.
  bool Read(absl::string_view bytes);
  // Checks each value of the singular message fields that are not read as
  // one whole value when visited: sent in pieces, or in a oneof.
  bool CheckMessagePieces() const;
  // The occurrences of `field` that count: for a oneof member, those since
  // the oneof last switched to it.
  Range Find(const google::protobuf::FieldDescriptor& field) const;
  // `range`, the occurrences of `field`, less those that its oneof (if in
  // one) does not hold.
  Range InOneof(const google::protobuf::FieldDescriptor& field,
                Range range) const;
  const Occurrence& At(uint32_t index) const;
  // The varint of the last occurrence in `range`, which is not empty.
  uint64_t LastVarint(Range range) const {
    const char* p = At(range.end - 1).data;
    return wire::DecodeVarint(&p);
  }

  // One scalar value at `*p`, advancing `*p`; proto2 enum values that the
  // enum does not name are skipped.
  template <typename Fn>
  static absl::Status Scalar(const google::protobuf::FieldDescriptor& field,
                             const char** p, Fn& fn);
  template <typename Fn>
  static absl::Status Default(const google::protobuf::FieldDescriptor& field,
                              Fn& fn);
  // Each value of one occurrence of a repeated field; `message_type` is
  // the field's, null when it is not a message field.
  template <typename Fn>
  absl::Status Element(const google::protobuf::FieldDescriptor& field,
                       const google::protobuf::Descriptor* message_type,
                       const Occurrence& occurrence, Fn& fn) const;

  // `field`'s index in type_: its place in the type's array of fields,
  // without the loads FieldDescriptor::index() makes.
  int IndexOf(const google::protobuf::FieldDescriptor& field) const {
    return static_cast<int>(&field - fields_);
  }

  Scratch& scratch_;
  const google::protobuf::Descriptor& type_;
  const google::protobuf::FieldDescriptor* const fields_;
  const bool has_oneofs_;  // real ones, not proto3 `optional`
  // Its fields' strings must be UTF-8; its enums are open.
  const bool proto3_;
  const int depth_;
  bool ok_;
  // Where this message's data starts on each of the scratch stacks.
  size_t occurrences_base_;
  size_t ends_base_;
  size_t oneofs_base_;
};

class WireSource::Scratch {
 public:
  // One per thread, kept from call to call so that reading a message
  // allocates nothing once the thread has read one as large. (Safe because
  // WireSources only ever add on top of what is there and take it off
  // again.)
  static Scratch& ForThisThread();

 private:
  friend class WireSource;

  // A stack whose memory stays: taking items off and putting new ones on
  // is a change of `top`, not of a vector's size (which costs a call).
  template <typename T>
  struct Stack {
    // `count` more items on top, left as they were: the caller sets them.
    T* Push(size_t count) {
      Reserve(count);
      T* pushed = items.data() + top;
      top += count;
      return pushed;
    }
    // Memory for `count` more items on top.
    void Reserve(size_t count) {
      if (top + count > items.size()) {
        items.resize(std::max(2 * items.size(), top + count + 64));
      }
    }
    std::vector<T> items;
    size_t top = 0;
  };

  // Per message being visited: its occurrences by field, the end of each
  // field's run, and its oneofs.
  Stack<Occurrence> occurrences;
  Stack<uint32_t> ends;
  Stack<OneofState> oneofs;
  // For sorting the occurrences of a message whose fields came out of
  // order.
  std::vector<Occurrence> unsorted;
  std::vector<uint32_t> next;
};

// Inline, like the destructor: a message is made for every message inside
// another.
inline WireSource::WireSource(Scratch* scratch,
                              const google::protobuf::Descriptor& type,
                              absl::string_view bytes, int depth)
    : scratch_(*scratch),
      type_(type),
      fields_(type.field_count() > 0 ? type.field(0) : nullptr),
      has_oneofs_(type.real_oneof_decl_count() > 0),
      proto3_(type.file()->syntax() ==
              google::protobuf::FileDescriptor::SYNTAX_PROTO3),
      depth_(depth),
      occurrences_base_(scratch->occurrences.top),
      ends_base_(scratch->ends.top),
      oneofs_base_(scratch->oneofs.top) {
  ok_ = Read(bytes);
}

inline WireSource::~WireSource() {
  scratch_.occurrences.top = occurrences_base_;
  scratch_.ends.top = ends_base_;
  scratch_.oneofs.top = oneofs_base_;
}

inline const WireSource::Occurrence& WireSource::At(uint32_t index) const {
  return scratch_.occurrences.items[occurrences_base_ + index];
}

inline WireSource::Range WireSource::Find(
    const google::protobuf::FieldDescriptor& field) const {
  const int index = IndexOf(field);
  const uint32_t* ends = scratch_.ends.items.data() + ends_base_;
  const Range range{index == 0 ? 0 : ends[index - 1], ends[index]};
  return has_oneofs_ ? InOneof(field, range) : range;
}

// Inline: asked of every field of every message.
inline bool WireSource::IsWritten(
    const google::protobuf::FieldDescriptor& field) const {
  if (field.is_repeated() || !field.has_presence()) return true;
  const Range range = Find(field);
  return range.begin != range.end;
}

namespace wire_source_internal {

// Whether a value is not the default of its field: zero, false, empty, or
// (as protobuf compares them) all-zero bits for floating point.
inline bool NotDefault(int32_t v) { return v != 0; }
inline bool NotDefault(int64_t v) { return v != 0; }
inline bool NotDefault(uint32_t v) { return v != 0; }
inline bool NotDefault(uint64_t v) { return v != 0; }
inline bool NotDefault(bool v) { return v; }
inline bool NotDefault(EnumNumber v) { return v.number != 0; }
inline bool NotDefault(absl::string_view v) { return !v.empty(); }
inline bool NotDefault(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return bits != 0;
}
inline bool NotDefault(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return bits != 0;
}
inline bool NotDefault(const WireSource&) { return true; }

}  // namespace wire_source_internal

inline bool WireSource::HasValue(
    const google::protobuf::FieldDescriptor& field) const {
  using google::protobuf::FieldDescriptor;
  const Range range = Find(field);
  if (range.begin == range.end) return false;
  if (!field.is_repeated()) {
    if (field.has_presence()) return true;
    bool set = false;
    (void)Visit(field, [&set](const auto& v) {
      set = wire_source_internal::NotDefault(v);
      return absl::OkStatus();
    });
    return set;
  }
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ||
      field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    return true;  // one element per occurrence
  }
  // A packed run may be empty, and a closed enum drops the numbers it does
  // not name: look for a first element.
  bool any = false;
  (void)ForEach(field, [&any](const auto&) {
    any = true;
    return absl::CancelledError();  // enough
  });
  return any;
}

template <typename Fn>
absl::Status WireSource::Scalar(const google::protobuf::FieldDescriptor& field,
                                const char** p, Fn& fn) {
  using google::protobuf::FieldDescriptor;
  const char* at = *p;
  switch (field.type()) {
    case FieldDescriptor::TYPE_INT32:
      return fn(static_cast<int32_t>(wire::DecodeVarint(p)));
    case FieldDescriptor::TYPE_SINT32:
      return fn(wire::UnZigZag32(static_cast<uint32_t>(wire::DecodeVarint(p))));
    case FieldDescriptor::TYPE_INT64:
      return fn(static_cast<int64_t>(wire::DecodeVarint(p)));
    case FieldDescriptor::TYPE_SINT64:
      return fn(wire::UnZigZag64(wire::DecodeVarint(p)));
    case FieldDescriptor::TYPE_UINT32:
      return fn(static_cast<uint32_t>(wire::DecodeVarint(p)));
    case FieldDescriptor::TYPE_UINT64:
      return fn(wire::DecodeVarint(p));
    case FieldDescriptor::TYPE_BOOL:
      return fn(wire::DecodeVarint(p) != 0);
    case FieldDescriptor::TYPE_ENUM: {
      const int number = static_cast<int32_t>(wire::DecodeVarint(p));
      if (wire::IsClosedEnum(field) &&
          field.enum_type()->FindValueByNumber(number) == nullptr) {
        return absl::OkStatus();
      }
      return fn(EnumNumber{number});
    }
    case FieldDescriptor::TYPE_FIXED32:
      *p += 4;
      return fn(wire::LoadFixed32(at));
    case FieldDescriptor::TYPE_SFIXED32:
      *p += 4;
      return fn(static_cast<int32_t>(wire::LoadFixed32(at)));
    case FieldDescriptor::TYPE_FLOAT: {
      *p += 4;
      const uint32_t bits = wire::LoadFixed32(at);
      float value;
      std::memcpy(&value, &bits, sizeof(value));
      return fn(value);
    }
    case FieldDescriptor::TYPE_FIXED64:
      *p += 8;
      return fn(wire::LoadFixed64(at));
    case FieldDescriptor::TYPE_SFIXED64:
      *p += 8;
      return fn(static_cast<int64_t>(wire::LoadFixed64(at)));
    case FieldDescriptor::TYPE_DOUBLE: {
      *p += 8;
      const uint64_t bits = wire::LoadFixed64(at);
      double value;
      std::memcpy(&value, &bits, sizeof(value));
      return fn(value);
    }
    default:  // strings and messages are not scalars
      return absl::InternalError("not a scalar field");
  }
}

template <typename Fn>
absl::Status WireSource::Default(const google::protobuf::FieldDescriptor& field,
                                 Fn& fn) {
  using google::protobuf::FieldDescriptor;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return fn(field.default_value_int32());
    case FieldDescriptor::CPPTYPE_INT64:
      return fn(field.default_value_int64());
    case FieldDescriptor::CPPTYPE_UINT32:
      return fn(field.default_value_uint32());
    case FieldDescriptor::CPPTYPE_UINT64:
      return fn(field.default_value_uint64());
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return fn(field.default_value_double());
    case FieldDescriptor::CPPTYPE_FLOAT:
      return fn(field.default_value_float());
    case FieldDescriptor::CPPTYPE_BOOL:
      return fn(field.default_value_bool());
    case FieldDescriptor::CPPTYPE_ENUM:
      return fn(EnumNumber{field.default_value_enum()->number()});
    case FieldDescriptor::CPPTYPE_STRING:
      return fn(absl::string_view(field.default_value_string()));
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;  // the caller reads an empty message
  }
  return absl::InternalError("no default for a message field");
}

template <typename Fn>
absl::Status WireSource::Visit(const google::protobuf::FieldDescriptor& field,
                               Fn&& fn) const {
  using google::protobuf::FieldDescriptor;
  const Range range = Find(field);
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const uint32_t count = range.end - range.begin;
    if (count <= 1) {
      const absl::string_view body =
          count == 0
              ? absl::string_view()
              : absl::string_view(At(range.begin).data, At(range.begin).size);
      const WireSource message(&scratch_, *field.message_type(), body,
                               depth_ - 1);
      if (!message.ok()) return InvalidBytes();
      return fn(message);
    }
    // Sent in pieces: protobuf merges them, as one message of all the bytes.
    std::string merged;
    for (uint32_t i = range.begin; i < range.end; ++i) {
      merged.append(At(i).data, At(i).size);
    }
    const WireSource message(&scratch_, *field.message_type(), merged,
                             depth_ - 1);
    if (!message.ok()) return InvalidBytes();
    return fn(message);
  }
  if (range.begin == range.end) return Default(field, fn);
  const Occurrence& last = At(range.end - 1);
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    return fn(absl::string_view(last.data, last.size));
  }
  const char* p = last.data;
  return Scalar(field, &p, fn);
}

template <typename Fn>
absl::Status WireSource::Element(
    const google::protobuf::FieldDescriptor& field,
    const google::protobuf::Descriptor* message_type,
    const Occurrence& occurrence, Fn& fn) const {
  using google::protobuf::FieldDescriptor;
  if (message_type != nullptr) {
    const WireSource message(
        &scratch_, *message_type,
        absl::string_view(occurrence.data, occurrence.size), depth_ - 1);
    if (!message.ok()) return InvalidBytes();
    return fn(message);
  }
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    return fn(absl::string_view(occurrence.data, occurrence.size));
  }
  const char* p = occurrence.data;
  if (occurrence.wire_type != wire::kLengthDelimited) {
    return Scalar(field, &p, fn);
  }
  const char* const end = p + occurrence.size;  // a packed run
  while (p < end) {
    if (absl::Status s = Scalar(field, &p, fn); !s.ok()) return s;
  }
  return absl::OkStatus();
}

template <typename Fn>
absl::Status WireSource::ForEach(const google::protobuf::FieldDescriptor& field,
                                 Fn&& fn) const {
  using google::protobuf::FieldDescriptor;
  const Range range = Find(field);
  if (range.begin == range.end) return absl::OkStatus();
  // Once, not per element: message_type() is a call into protobuf.
  const google::protobuf::Descriptor* const message_type =
      field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
          ? field.message_type()
          : nullptr;
  for (uint32_t i = range.begin; i < range.end; ++i) {
    // A copy: reading a message inside grows the scratch memory.
    const Occurrence occurrence = At(i);
    if (absl::Status s = Element(field, message_type, occurrence, fn);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace amqp::transcode

#endif  // BRIDGE_TRANSCODE_WIRE_SOURCE_H_
