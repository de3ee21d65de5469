#include "bridge/transcode/wire_source.h"

namespace amqp::transcode {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::OneofDescriptor;

WireSource::Scratch& WireSource::Scratch::ForThisThread() {
  thread_local Scratch scratch;
  return scratch;
}

absl::Status WireSource::InvalidBytes() {
  return absl::InternalError(
      "the wire reader refused bytes that protobuf's parser takes");
}

bool WireSource::Read(absl::string_view bytes) {
  const int field_count = type_.field_count();
  std::fill_n(scratch_.ends.Push(field_count), field_count, 0);  // counts
  if (has_oneofs_) {
    std::fill_n(scratch_.oneofs.Push(type_.oneof_decl_count()),
                type_.oneof_decl_count(), OneofState());
  }
  uint32_t* const counts = scratch_.ends.items.data() + ends_base_;
  // Where the next occurrence goes, and the end of the memory there is: a
  // cursor in registers, instead of the stack's top and size, which its
  // stores might change as far as the compiler knows.
  Scratch::Stack<Occurrence>& occurrences = scratch_.occurrences;
  Occurrence* cursor = occurrences.items.data() + occurrences.top;
  Occurrence* room_end = occurrences.items.data() + occurrences.items.size();
  wire::Reader in(bytes);
  int hint = 0;
  int last = 0;
  bool in_order = true;
  // Whether a singular message field came in pieces or in a oneof.
  bool pieces = false;
  uint32_t sequence = 0;
  while (!in.done()) {
    // The checks of wire_format.cc's IsValidMessage, as the values pass.
    uint32_t tag;
    if (!in.ReadTag(&tag) || tag == 0) return false;
    const uint32_t wire_type = tag & 7;
    const FieldDescriptor* field = wire::FieldByNumber(type_, tag >> 3, &hint);
    // wire::Accepts() and the checks of IsValidPayload(), from one look at
    // the field's type: this loop runs for every value of every message.
    const FieldDescriptor::Type type =
        field == nullptr ? FieldDescriptor::TYPE_BOOL : field->type();
    const wire::WireType expected = wire::WireTypeOf(type);
    const bool packed = wire_type == wire::kLengthDelimited &&
                        expected != wire::kLengthDelimited &&
                        type != FieldDescriptor::TYPE_GROUP &&
                        field != nullptr && field->is_repeated();
    if (field == nullptr || (wire_type != expected && !packed)) {
      // An unknown field (or an end tag, which SkipValue refuses).
      if (!in.SkipValue(tag, depth_, nullptr)) return false;
      continue;
    }
    const bool is_message = type == FieldDescriptor::TYPE_MESSAGE ||
                            type == FieldDescriptor::TYPE_GROUP;
    const char* data = in.position();
    uint32_t size;
    if (wire_type == wire::kLengthDelimited) {
      absl::string_view body;
      if (!in.ReadLengthDelimited(&body)) return false;
      if (is_message) {
        if (depth_ == 0) return false;  // its body is judged when read
      } else if (packed) {
        if (!wire::IsValidPayload(*field, body)) return false;
      } else if (type == FieldDescriptor::TYPE_STRING && proto3_ &&
                 !wire::IsUtf8(body)) {
        return false;
      }
      data = body.data();
      size = static_cast<uint32_t>(body.size());
    } else if (wire_type == wire::kVarint) {
      uint64_t value;
      if (!in.ReadVarint(&value)) return false;
      if (type == FieldDescriptor::TYPE_ENUM && !proto3_ &&
          field->enum_type()->FindValueByNumber(static_cast<int32_t>(value)) ==
              nullptr) {
        continue;  // a closed enum drops the numbers it does not name
      }
      size = static_cast<uint32_t>(in.position() - data);
    } else {
      absl::string_view body;  // a group's, judged when read
      if (!in.SkipValue(tag, depth_, &body)) return false;
      if (wire_type == wire::kStartGroup) data = body.data();
      size = wire_type == wire::kStartGroup
                 ? static_cast<uint32_t>(body.size())
                 : static_cast<uint32_t>(in.position() - data);
    }
    const int index = hint - 1;  // FieldByNumber leaves the one after it
    const OneofDescriptor* oneof =
        has_oneofs_ ? field->real_containing_oneof() : nullptr;
    if (is_message && !field->is_repeated() &&
        (counts[index] > 0 || oneof != nullptr)) {
      pieces = true;
    }
    if (cursor == room_end) {
      occurrences.top = cursor - occurrences.items.data();
      occurrences.Reserve(1);
      cursor = occurrences.items.data() + occurrences.top;
      room_end = occurrences.items.data() + occurrences.items.size();
    }
    *cursor++ = {data, size, sequence, index, wire_type};
    ++counts[index];
    in_order &= index >= last;
    last = index;
    if (oneof != nullptr) {
      OneofState& state = scratch_.oneofs.items[oneofs_base_ + oneof->index()];
      if (state.field != index) state = {index, sequence};
    }
    ++sequence;
  }
  occurrences.top = cursor - occurrences.items.data();
  if (!in_order) {
    // A counting sort by field, keeping wire order within each field.
    std::vector<uint32_t>& next = scratch_.next;
    next.resize(field_count);
    uint32_t start = 0;
    for (int i = 0; i < field_count; ++i) {
      next[i] = start;
      start += counts[i];
    }
    std::vector<Occurrence>& unsorted = scratch_.unsorted;
    Occurrence* const sorted =
        scratch_.occurrences.items.data() + occurrences_base_;
    unsorted.assign(
        sorted, scratch_.occurrences.items.data() + scratch_.occurrences.top);
    for (const Occurrence& occurrence : unsorted) {
      sorted[next[occurrence.field]++] = occurrence;
    }
  }
  uint32_t end = 0;
  for (int i = 0; i < field_count; ++i) {
    end += counts[i];
    counts[i] = end;
  }
  return !pieces || CheckMessagePieces();
}

bool WireSource::CheckMessagePieces() const {
  const uint32_t* ends = scratch_.ends.items.data() + ends_base_;
  for (int i = 0; i < type_.field_count(); ++i) {
    const FieldDescriptor& field = fields_[i];
    if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        field.is_repeated()) {
      continue;
    }
    const Range all{i == 0 ? 0 : ends[i - 1], ends[i]};
    const Range visited = Find(field);
    if (visited.end - visited.begin == 1 && visited.begin == all.begin &&
        visited.end == all.end) {
      continue;  // read as it is when visited
    }
    // The parser judges each piece; the visit reads only their sum, or
    // none of them.
    for (uint32_t j = all.begin; j < all.end; ++j) {
      if (!wire::IsValidMessage(*field.message_type(),
                                absl::string_view(At(j).data, At(j).size),
                                depth_ - 1)) {
        return false;
      }
    }
  }
  return true;
}

WireSource::Range WireSource::InOneof(const FieldDescriptor& field,
                                      Range range) const {
  const OneofDescriptor* oneof = field.real_containing_oneof();
  if (oneof == nullptr) return range;
  const OneofState& state =
      scratch_.oneofs.items[oneofs_base_ + oneof->index()];
  if (state.field != IndexOf(field)) return {range.end, range.end};
  while (range.begin < range.end && At(range.begin).sequence < state.since) {
    ++range.begin;
  }
  return range;
}

const FieldDescriptor* WireSource::WhichOneof(
    const OneofDescriptor& oneof) const {
  const OneofState& state = scratch_.oneofs.items[oneofs_base_ + oneof.index()];
  return state.field < 0 ? nullptr : type_.field(state.field);
}

}  // namespace amqp::transcode
