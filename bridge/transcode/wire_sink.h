// One message written straight as protobuf wire bytes, as json_decoder.h
// fills a Sink: the bytes parse to the message that Reflection's Set/Add/
// Clear calls would have built, without building it.
//
// A field is mostly just appended. What the wire cannot say by appending:
// clearing a field, setting a proto3 scalar back to its default, setting a
// field again (JSON objects with repeated keys: a parser would see every
// value, and refuse them all for one string that is not UTF-8), or setting
// fields of a message again after other fields came. For those the sink
// rewrites the bytes of the message it is writing, which nothing else
// depends on yet because a message's length is written when it ends; so
// each singular field and each oneof appears at most once, as protobuf
// writes them.

#ifndef BRIDGE_TRANSCODE_WIRE_SINK_H_
#define BRIDGE_TRANSCODE_WIRE_SINK_H_

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace amqp::transcode {

class WireSink {
 public:
  // Appends a `type` message to `*out`; Finish() completes it.
  WireSink(const google::protobuf::Descriptor& type, std::string* out)
      : WireSink(type, out, kNoLength, 0) {}

  const google::protobuf::Descriptor& type() const { return *type_; }

  void Clear(const google::protobuf::FieldDescriptor& field);
  void Put(const google::protobuf::FieldDescriptor& field, int32_t value);
  void Put(const google::protobuf::FieldDescriptor& field, int64_t value);
  void Put(const google::protobuf::FieldDescriptor& field, uint32_t value);
  void Put(const google::protobuf::FieldDescriptor& field, uint64_t value);
  void Put(const google::protobuf::FieldDescriptor& field, double value);
  void Put(const google::protobuf::FieldDescriptor& field, float value);
  void Put(const google::protobuf::FieldDescriptor& field, bool value);
  void PutEnum(const google::protobuf::FieldDescriptor& field, int number);
  void PutString(const google::protobuf::FieldDescriptor& field,
                 absl::string_view bytes);

  // A message in `field`, written through the returned sink until End().
  WireSink Begin(const google::protobuf::FieldDescriptor& field);
  void End(WireSink& child);
  // Completes the outermost message.
  void Finish() { ClosePackedRun(); }

 private:
  static constexpr size_t kNoLength = ~size_t{0};

  WireSink(const google::protobuf::Descriptor& type, std::string* out,
           size_t length_at, uint32_t end_tag)
      : out_(out),
        type_(&type),
        has_oneofs_(type.real_oneof_decl_count() > 0),
        length_at_(length_at),
        body_start_(out->size()),
        end_tag_(end_tag) {}

  // A varint or fixed value, already in its wire form.
  void PutNumber(const google::protobuf::FieldDescriptor& field, uint64_t value,
                 bool is_default);
  // Appends it, in a packed run when the field is packed.
  void AppendNumber(const google::protobuf::FieldDescriptor& field,
                    uint64_t value);
  // Writes the length of the bytes from `start` on into the byte reserved
  // for it at `length_at`, making room when it needs more than one.
  void EndLength(size_t length_at, size_t start);
  void ClosePackedRun();
  // Takes `field` out of the message written so far, and for a oneof
  // member the other members too, unless `keep_other_member` and the oneof
  // holds another member (then clearing `field` changes nothing). Returns
  // the bytes of the message `field` held, merged, when it is a message.
  std::string Remove(const google::protobuf::FieldDescriptor& field,
                     bool keep_other_member);
  // Whether `field`, or another member of its oneof, may have bytes in the
  // message. Before a singular field gets a value, Remove() takes them out,
  // so that the message has each singular field once, as protobuf writes
  // it. (A parser checks every occurrence: a string that is not UTF-8 in
  // one a later value replaced would still fail the message.)
  bool MayHaveBytes(const google::protobuf::FieldDescriptor& field) const {
    if (written_ == 0) return false;
    if (MaybeWritten(field)) return true;
    return has_oneofs_ && OneofMayHaveBytes(field);
  }
  bool OneofMayHaveBytes(const google::protobuf::FieldDescriptor& field) const;
  bool MaybeWritten(const google::protobuf::FieldDescriptor& field) const {
    const int index = IndexOf(field);
    return index >= 64 || (written_ >> index & 1) != 0;
  }
  // `field`'s index in type_, without the loads FieldDescriptor::index()
  // makes: its place in the type's array of fields.
  int IndexOf(const google::protobuf::FieldDescriptor& field) const {
    return static_cast<int>(&field - type_->field(0));
  }
  void MarkWritten(const google::protobuf::FieldDescriptor& field);

  std::string* out_;
  const google::protobuf::Descriptor* type_;
  bool has_oneofs_;    // real ones, not proto3 `optional`
  size_t length_at_;   // the byte reserved for the length, or kNoLength
  size_t body_start_;  // where the fields start in *out_
  uint32_t end_tag_;   // a group's end tag, else 0
  // Bit i: field i may have bytes in the message (fields past 63 always
  // may).
  uint64_t written_ = 0;
  // The packed run being written, if any: repeated scalars appended one by
  // one share a length-delimited run while nothing else comes between.
  const google::protobuf::FieldDescriptor* packed_ = nullptr;
  size_t packed_length_at_ = 0;
};

}  // namespace amqp::transcode

#endif  // BRIDGE_TRANSCODE_WIRE_SINK_H_
