#include "bridge/transcode/wire_sink.h"

#include <cstring>

#include "bridge/transcode/wire_format.h"

namespace amqp::transcode {

using google::protobuf::FieldDescriptor;
using google::protobuf::OneofDescriptor;

namespace {

// A field that holds its default instead of being absent (proto3 scalars
// outside oneofs): setting the default is clearing it.
bool HasImplicitPresence(const FieldDescriptor& field) {
  return !field.is_repeated() && !field.has_presence();
}

}  // namespace

void WireSink::MarkWritten(const FieldDescriptor& field) {
  const int index = IndexOf(field);
  if (index < 64) written_ |= uint64_t{1} << index;
}

void WireSink::EndLength(size_t length_at, size_t start) {
  std::string& out = *out_;
  const uint64_t length = out.size() - start;
  if (length < 0x80) {
    out[length_at] = static_cast<char>(length);
    return;
  }
  const int size = wire::VarintSize(length);
  out.insert(length_at + 1, size - 1, '\0');
  wire::EncodeVarint(length, &out[length_at]);
}

void WireSink::ClosePackedRun() {
  if (packed_ == nullptr) return;
  EndLength(packed_length_at_, packed_length_at_ + 1);
  packed_ = nullptr;
}

void WireSink::PutNumber(const FieldDescriptor& field, uint64_t value,
                         bool is_default) {
  if (is_default && HasImplicitPresence(field)) {
    Clear(field);
    return;
  }
  if (!field.is_repeated() && MayHaveBytes(field)) {
    Remove(field, /*keep_other_member=*/false);
  }
  AppendNumber(field, value);
}

void WireSink::AppendNumber(const FieldDescriptor& field, uint64_t value) {
  std::string& out = *out_;
  const wire::WireType wire_type = wire::WireTypeOf(field);
  if (!field.is_packed()) {
    ClosePackedRun();
    wire::AppendVarint(wire::MakeTag(field.number(), wire_type), &out);
  } else if (packed_ != &field) {
    ClosePackedRun();
    wire::AppendVarint(wire::MakeTag(field.number(), wire::kLengthDelimited),
                       &out);
    packed_ = &field;
    packed_length_at_ = out.size();
    out.push_back('\0');
  }
  switch (wire_type) {
    case wire::kFixed32:
      wire::AppendFixed32(static_cast<uint32_t>(value), &out);
      break;
    case wire::kFixed64:
      wire::AppendFixed64(value, &out);
      break;
    default:
      wire::AppendVarint(value, &out);
      break;
  }
  MarkWritten(field);
}

void WireSink::Put(const FieldDescriptor& field, int32_t value) {
  PutNumber(field,
            field.type() == FieldDescriptor::TYPE_SINT32
                ? wire::ZigZag32(value)
                : static_cast<uint64_t>(static_cast<int64_t>(value)),
            value == 0);
}

void WireSink::Put(const FieldDescriptor& field, int64_t value) {
  PutNumber(field,
            field.type() == FieldDescriptor::TYPE_SINT64
                ? wire::ZigZag64(value)
                : static_cast<uint64_t>(value),
            value == 0);
}

void WireSink::Put(const FieldDescriptor& field, uint32_t value) {
  PutNumber(field, value, value == 0);
}

void WireSink::Put(const FieldDescriptor& field, uint64_t value) {
  PutNumber(field, value, value == 0);
}

void WireSink::Put(const FieldDescriptor& field, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  PutNumber(field, bits, bits == 0);  // -0.0 is not the default
}

void WireSink::Put(const FieldDescriptor& field, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  PutNumber(field, bits, bits == 0);
}

void WireSink::Put(const FieldDescriptor& field, bool value) {
  PutNumber(field, value ? 1 : 0, !value);
}

void WireSink::PutEnum(const FieldDescriptor& field, int number) {
  const uint64_t value = static_cast<uint64_t>(static_cast<int64_t>(number));
  if (wire::IsClosedEnum(field) &&
      field.enum_type()->FindValueByNumber(number) == nullptr) {
    // A number a proto2 enum does not name goes to the unknown fields and
    // leaves the field as it was, both here and through reflection.
    AppendNumber(field, value);
    return;
  }
  PutNumber(field, value, number == 0);
}

void WireSink::PutString(const FieldDescriptor& field,
                         absl::string_view bytes) {
  if (bytes.empty() && HasImplicitPresence(field)) {
    Clear(field);
    return;
  }
  ClosePackedRun();
  if (!field.is_repeated() && MayHaveBytes(field)) {
    Remove(field, /*keep_other_member=*/false);
  }
  std::string& out = *out_;
  wire::AppendVarint(wire::MakeTag(field.number(), wire::kLengthDelimited),
                     &out);
  wire::AppendVarint(bytes.size(), &out);
  out.append(bytes.data(), bytes.size());
  MarkWritten(field);
}

WireSink WireSink::Begin(const FieldDescriptor& field) {
  ClosePackedRun();
  // Fields of a singular message set again: one message of what it held
  // and what comes now, as MutableMessage() merges. (Two occurrences would
  // merge too, but could not clear what the first one set.)
  const std::string held = !field.is_repeated() && MayHaveBytes(field)
                               ? Remove(field, /*keep_other_member=*/false)
                               : std::string();
  std::string& out = *out_;
  const bool group = field.type() == FieldDescriptor::TYPE_GROUP;
  wire::AppendVarint(
      wire::MakeTag(field.number(),
                    group ? wire::kStartGroup : wire::kLengthDelimited),
      &out);
  size_t length_at = kNoLength;
  if (!group) {
    length_at = out.size();
    out.push_back('\0');  // most messages are shorter than 128 bytes
  }
  MarkWritten(field);
  WireSink child(*field.message_type(), out_, length_at,
                 group ? wire::MakeTag(field.number(), wire::kEndGroup) : 0);
  if (!held.empty()) {
    out.append(held);
    child.written_ = ~uint64_t{0};
  }
  return child;
}

void WireSink::End(WireSink& child) {
  child.ClosePackedRun();
  if (child.end_tag_ != 0) {
    wire::AppendVarint(child.end_tag_, out_);
  } else {
    EndLength(child.length_at_, child.body_start_);
  }
}

void WireSink::Clear(const FieldDescriptor& field) {
  if (!MayHaveBytes(field)) return;
  Remove(field, /*keep_other_member=*/true);
}

bool WireSink::OneofMayHaveBytes(const FieldDescriptor& field) const {
  const OneofDescriptor* oneof = field.real_containing_oneof();
  if (oneof == nullptr) return false;
  for (int i = 0; i < oneof->field_count(); ++i) {
    if (MaybeWritten(*oneof->field(i))) return true;
  }
  return false;
}

std::string WireSink::Remove(const FieldDescriptor& field,
                             bool keep_other_member) {
  ClosePackedRun();  // its length's place moves with what goes
  std::string& out = *out_;
  const OneofDescriptor* oneof = field.real_containing_oneof();
  // The bytes written so far are this sink's own: well formed.
  wire::Reader in(absl::string_view(out).substr(body_start_));
  std::string kept;
  std::string held;  // the merged bodies of `field` since its oneof chose it
  bool holds_field = false;
  int hint = 0;
  while (!in.done()) {
    const char* start = in.position();
    uint32_t tag;
    absl::string_view body;
    if (!in.ReadTag(&tag)) break;
    const bool read = (tag & 7) == wire::kLengthDelimited
                          ? in.ReadLengthDelimited(&body)
                          : in.SkipValue(tag, wire::kMaxDepth, &body);
    if (!read) break;
    const uint32_t number = tag >> 3;
    if (number == static_cast<uint32_t>(field.number())) {
      held.append(body.data(), body.size());
      holds_field = true;
      continue;
    }
    if (oneof != nullptr) {
      const FieldDescriptor* other = wire::FieldByNumber(*type_, number, &hint);
      if (other != nullptr && other->real_containing_oneof() == oneof) {
        held.clear();  // the oneof switched: what `field` held is gone
        holds_field = false;
        continue;
      }
    }
    kept.append(start, in.position() - start);
  }
  // Clearing `field` when its oneof holds another member changes nothing.
  if (oneof != nullptr && !holds_field && keep_other_member) {
    return std::string();
  }
  out.resize(body_start_);
  out.append(kept);
  return field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? held
                                                              : std::string();
}

}  // namespace amqp::transcode
