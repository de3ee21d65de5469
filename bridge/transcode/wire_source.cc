#include "bridge/transcode/wire_source.h"

namespace amqp::transcode {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::OneofDescriptor;

WireSource::WireSource(Scratch* scratch, const Descriptor& type,
                       absl::string_view bytes)
    : scratch_(*scratch),
      type_(type),
      fields_(type.field_count() > 0 ? type.field(0) : nullptr),
      has_oneofs_(type.real_oneof_decl_count() > 0),
      occurrences_base_(scratch->occurrences.top),
      ends_base_(scratch->ends.top),
      oneofs_base_(scratch->oneofs.top) {
  Read(bytes);
}

WireSource::~WireSource() {
  scratch_.occurrences.top = occurrences_base_;
  scratch_.ends.top = ends_base_;
  scratch_.oneofs.top = oneofs_base_;
}

WireSource::Scratch& WireSource::Scratch::ForThisThread() {
  thread_local Scratch scratch;
  return scratch;
}

void WireSource::Read(absl::string_view bytes) {
  const int field_count = type_.field_count();
  std::fill_n(scratch_.ends.Push(field_count), field_count, 0);  // counts
  if (has_oneofs_) {
    std::fill_n(scratch_.oneofs.Push(type_.oneof_decl_count()),
                type_.oneof_decl_count(), OneofState());
  }
  wire::Reader in(bytes);
  int hint = 0;
  int last = 0;
  bool in_order = true;
  uint32_t sequence = 0;
  while (!in.done()) {
    uint32_t tag;
    if (!in.ReadTag(&tag)) break;  // cannot happen: the bytes were checked
    const uint32_t wire_type = tag & 7;
    const char* data = in.position();
    absl::string_view body;
    bool read;
    if (wire_type == wire::kLengthDelimited) {
      read = in.ReadLengthDelimited(&body);
      data = body.data();
    } else if (wire_type == wire::kVarint) {
      uint64_t value;
      read = in.ReadVarint(&value);
    } else {
      read = in.SkipValue(tag, wire::kMaxDepth, &body);
      if (wire_type == wire::kStartGroup) data = body.data();
    }
    if (!read) break;
    const FieldDescriptor* field = wire::FieldByNumber(type_, tag >> 3, &hint);
    if (field == nullptr || !wire::Accepts(*field, wire_type)) continue;
    if (wire_type == wire::kVarint && wire::IsClosedEnum(*field)) {
      const char* p = data;
      const int number = static_cast<int32_t>(wire::DecodeVarint(&p));
      if (field->enum_type()->FindValueByNumber(number) == nullptr) continue;
    }
    const int index = IndexOf(*field);
    Occurrence& occurrence = *scratch_.occurrences.Push(1);
    occurrence.data = data;
    occurrence.size =
        wire_type == wire::kLengthDelimited || wire_type == wire::kStartGroup
            ? static_cast<uint32_t>(body.size())
            : static_cast<uint32_t>(in.position() - data);
    occurrence.sequence = sequence;
    occurrence.field = index;
    occurrence.wire_type = wire_type;
    ++scratch_.ends.items[ends_base_ + index];
    in_order &= index >= last;
    last = index;
    if (has_oneofs_) {
      if (const OneofDescriptor* oneof = field->real_containing_oneof()) {
        OneofState& state =
            scratch_.oneofs.items[oneofs_base_ + oneof->index()];
        if (state.field != index) state = {index, sequence};
      }
    }
    ++sequence;
  }
  uint32_t* const counts = scratch_.ends.items.data() + ends_base_;
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
}

WireSource::Range WireSource::Find(const FieldDescriptor& field) const {
  const int index = IndexOf(field);
  const uint32_t* ends = scratch_.ends.items.data() + ends_base_;
  Range range{index == 0 ? 0 : ends[index - 1], ends[index]};
  if (!has_oneofs_) return range;
  if (const OneofDescriptor* oneof = field.real_containing_oneof()) {
    const OneofState& state =
        scratch_.oneofs.items[oneofs_base_ + oneof->index()];
    if (state.field != index) return {range.end, range.end};
    while (range.begin < range.end && At(range.begin).sequence < state.since) {
      ++range.begin;
    }
  }
  return range;
}

bool WireSource::IsWritten(const FieldDescriptor& field) const {
  if (field.is_repeated() || !field.has_presence()) return true;
  const Range range = Find(field);
  return range.begin != range.end;
}

const FieldDescriptor* WireSource::WhichOneof(
    const OneofDescriptor& oneof) const {
  const OneofState& state = scratch_.oneofs.items[oneofs_base_ + oneof.index()];
  return state.field < 0 ? nullptr : type_.field(state.field);
}

}  // namespace amqp::transcode
