// The rules that write a protobuf message as oslo JSON (transcode.h,
// docs/mapping.md), written once for every kind of input: a Message read
// through reflection (encode.cc) or protobuf wire bytes read directly
// (wire_source.h). Keeping one copy of the rules is what makes the two
// paths give the same JSON.
//
// A Source is one message being read. It provides:
//   const Descriptor& type() const;
//   bool IsWritten(const FieldDescriptor&) const;  // repeated, no presence,
//                                                   // or set
//   bool HasValue(const FieldDescriptor&) const;   // set, not empty, or not
//       // the default when without presence: what an object's data holds
//   const FieldDescriptor* WhichOneof(const OneofDescriptor&) const;
//   int64_t GetInt64(const FieldDescriptor&) const;
//   int32_t GetInt32(const FieldDescriptor&) const;
//   // Calls fn(value) with the singular field's value (its default when
//   // unset), or with each element of a repeated field, in order; stops at
//   // the first error. The value is an int32_t, int64_t, uint32_t,
//   // uint64_t, double, float, bool, EnumNumber, absl::string_view (string
//   // and bytes) or a Source (messages).
//   template <typename Fn> absl::Status Visit(const FieldDescriptor&, Fn&&);
//   template <typename Fn> absl::Status ForEach(const FieldDescriptor&, Fn&&);

#ifndef BRIDGE_TRANSCODE_JSON_ENCODER_H_
#define BRIDGE_TRANSCODE_JSON_ENCODER_H_

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/field_error.h"
#include "bridge/transcode/object_info.h"
#include "bridge/transcode/well_known.h"

namespace amqp::transcode {

// An enum field's value as a Source hands it over (an int32_t would be
// taken for an int32 field's).
struct EnumNumber {
  int number;
};

// The pieces of the rules that do not depend on the Source.
namespace json_encoder_internal {

// A float field as Python would write the float the sender meant: shortest
// digits of the float (0.1f -> 0.1, not 0.10000000149011612).
double WidenFloat(float value);

// An enum value by name; null for google.protobuf.NullValue; the number
// for one the descriptor does not name (an open enum may hold any).
void WriteEnum(const google::protobuf::FieldDescriptor& field, int number,
               oslo::PyJsonWriter* writer);

// A bytes field's value, in base64.
void WriteBytes(absl::string_view value, oslo::PyJsonWriter* writer);

// A string field as it is; a bytes field in base64. Inline: once for every
// string value.
inline void WriteString(const google::protobuf::FieldDescriptor& field,
                        absl::string_view value, oslo::PyJsonWriter* writer) {
  if (field.type() == google::protobuf::FieldDescriptor::TYPE_BYTES) {
    WriteBytes(value, writer);
  } else {
    writer->String(value);
  }
}

// Timestamp (RFC 3339) or Duration ("1.5s") text.
absl::Status WriteTime(WellKnown kind, int64_t seconds, int32_t nanos,
                       oslo::PyJsonWriter* writer);

absl::Status AnyError();

// How deep the JSON the encoder writes may nest: every peer parses oslo's
// envelope around it within oslo::kMaxJsonDepth levels.
inline constexpr int kMaxWrittenDepth = oslo::kMaxJsonDepth - 4;

absl::Status TooDeepError();

}  // namespace json_encoder_internal

template <typename Source>
class JsonEncoder {
 public:
  explicit JsonEncoder(oslo::PyJsonWriter* writer) : w_(*writer) {}

  // A message as its JSON value (well-known types by their special forms).
  absl::Status Message(const Source& message);
  // The members of `message` as an object, leaving out `skip_field`.
  absl::Status Object(const Source& message, absl::string_view skip_field);
  // One field's JSON value: an array, an object (maps) or a single value.
  absl::Status Field(const Source& message,
                     const google::protobuf::FieldDescriptor& field);
  // A response as an oslo result (transcode.h's WriteResult): the value of
  // `result_field` alone when given (null when not written), null for
  // google.protobuf.Empty, else Message().
  absl::Status Result(const Source& response, absl::string_view result_field);

 private:
  // Writes one value of `field`, whatever its C++ type.
  class ValueWriter;
  // Writes one map entry: its key as a member name, then its value.
  class EntryWriter;

  // Field() of a repeated field: an array, or an object for a map.
  absl::Status Repeated(const Source& message,
                        const google::protobuf::FieldDescriptor& field);
  absl::Status Map(const Source& message,
                   const google::protobuf::FieldDescriptor& field);
  absl::Status WellKnownType(WellKnown kind, const Source& message);
  // An (amqp.object) message as oslo.versionedobjects' obj_to_primitive()
  // writes it.
  absl::Status ObjectPrimitive(const ObjectInfo& object, const Source& message);

  // StartObject()/StartArray() and their ends, counting the depth.
  void Open(bool object) {
    ++depth_;
    object ? w_.StartObject() : w_.StartArray();
  }
  void Close(bool object) {
    --depth_;
    object ? w_.EndObject() : w_.EndArray();
  }

  oslo::PyJsonWriter& w_;
  int depth_ = 0;  // of the containers open
};

template <typename Source>
class JsonEncoder<Source>::ValueWriter {
 public:
  ValueWriter(JsonEncoder* encoder,
              const google::protobuf::FieldDescriptor& field)
      : encoder_(*encoder), w_(encoder->w_), field_(field) {}

  absl::Status operator()(int32_t v) { return Done(w_.Int(v)); }
  absl::Status operator()(int64_t v) { return Done(w_.Int64(v)); }
  absl::Status operator()(uint32_t v) { return Done(w_.Uint(v)); }
  absl::Status operator()(uint64_t v) { return Done(w_.Uint64(v)); }
  absl::Status operator()(double v) { return Done(w_.Double(v)); }
  absl::Status operator()(float v) {
    return Done(w_.Double(json_encoder_internal::WidenFloat(v)));
  }
  absl::Status operator()(bool v) { return Done(w_.Bool(v)); }
  absl::Status operator()(EnumNumber v) {
    json_encoder_internal::WriteEnum(field_, v.number, &w_);
    return absl::OkStatus();
  }
  absl::Status operator()(absl::string_view v) {
    json_encoder_internal::WriteString(field_, v, &w_);
    return absl::OkStatus();
  }
  absl::Status operator()(const Source& message) {
    absl::Status s = encoder_.Message(message);
    return s.ok() ? s : InField(field_.name(), s);
  }

 private:
  static absl::Status Done(bool) { return absl::OkStatus(); }

  JsonEncoder& encoder_;
  oslo::PyJsonWriter& w_;
  const google::protobuf::FieldDescriptor& field_;
};

template <typename Source>
class JsonEncoder<Source>::EntryWriter {
 public:
  EntryWriter(JsonEncoder* encoder,
              const google::protobuf::FieldDescriptor& field)
      : encoder_(*encoder),
        field_(field),
        entry_(*field.message_type()),
        // An entry's key and value are its fields 1 and 2, in that order
        // (map_key() and map_value() are calls into protobuf that say so).
        key_(*entry_.field(0)),
        value_(*entry_.field(1)) {}

  absl::Status operator()(const Source& entry) {
    if (absl::Status s = entry.Visit(key_, KeyWriter{encoder_.w_}); !s.ok()) {
      return s;
    }
    absl::Status s = entry.Visit(value_, ValueWriter(&encoder_, value_));
    return s.ok() ? s : InField(field_.name(), s);
  }
  // A map field's elements are always entry messages.
  template <typename T>
  absl::Status operator()(const T&) {
    return absl::InternalError("a map entry that is not a message");
  }

 private:
  // JSON member names are strings: integer and bool keys as text.
  struct KeyWriter {
    absl::Status operator()(absl::string_view key) { return Done(w.Key(key)); }
    absl::Status operator()(bool key) {
      return Done(w.Key(key ? "true" : "false"));
    }
    absl::Status operator()(int32_t key) { return Number(key); }
    absl::Status operator()(int64_t key) { return Number(key); }
    absl::Status operator()(uint32_t key) { return Number(key); }
    absl::Status operator()(uint64_t key) { return Number(key); }
    template <typename T>
    absl::Status operator()(const T&) {  // protobuf allows no other key types
      return absl::InternalError("unsupported map key type");
    }
    template <typename T>
    absl::Status Number(T key) {
      return Done(w.Key(absl::StrCat(key)));
    }
    static absl::Status Done(bool) { return absl::OkStatus(); }
    oslo::PyJsonWriter& w;
  };

  JsonEncoder& encoder_;
  const google::protobuf::FieldDescriptor& field_;
  const google::protobuf::Descriptor& entry_;
  const google::protobuf::FieldDescriptor& key_;
  const google::protobuf::FieldDescriptor& value_;
};

template <typename Source>
absl::Status JsonEncoder<Source>::Object(const Source& message,
                                         absl::string_view skip_field) {
  const google::protobuf::Descriptor& type = message.type();
  Open(/*object=*/true);
  const bool skips = !skip_field.empty();  // only ever at the top
  for (int i = 0; i < type.field_count(); ++i) {
    const google::protobuf::FieldDescriptor& field = *type.field(i);
    if ((skips && field.name() == skip_field) || !message.IsWritten(field)) {
      continue;
    }
    w_.PlainKey(field.name());  // an identifier: nothing to escape
    if (absl::Status s = Field(message, field); !s.ok()) return s;
  }
  Close(/*object=*/true);
  return absl::OkStatus();
}

template <typename Source>
absl::Status JsonEncoder<Source>::Result(const Source& response,
                                         absl::string_view result_field) {
  if (!result_field.empty()) {
    const google::protobuf::FieldDescriptor* field =
        response.type().FindFieldByName(std::string(result_field));
    if (field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          response.type().full_name(), " has no field \"", result_field, "\""));
    }
    if (!response.IsWritten(*field)) {
      w_.Null();
      return absl::OkStatus();
    }
    return Field(response, *field);
  }
  // An endpoint with nothing to return answers None, as a Python one would.
  if (WellKnownOf(response.type()) == WellKnown::kEmpty) {
    w_.Null();
    return absl::OkStatus();
  }
  return Message(response);
}

template <typename Source>
absl::Status JsonEncoder<Source>::Message(const Source& message) {
  if (depth_ >= json_encoder_internal::kMaxWrittenDepth) {
    return json_encoder_internal::TooDeepError();
  }
  WellKnown kind = WellKnownOf(message.type());
  if (kind != WellKnown::kNone) return WellKnownType(kind, message);
  if (const ObjectInfo* object = ObjectInfoOf(message.type())) {
    return ObjectPrimitive(*object, message);
  }
  return Object(message, "");
}

template <typename Source>
absl::Status JsonEncoder<Source>::ObjectPrimitive(const ObjectInfo& object,
                                                  const Source& message) {
  const google::protobuf::Descriptor& type = message.type();
  Open(/*object=*/true);
  w_.RawMembers(object.header);
  w_.PlainKey(object.data_key);
  Open(/*object=*/true);
  // The fields written, for the changes: all of them, as a Python object
  // that was just filled in has them all changed.
  absl::InlinedVector<const google::protobuf::FieldDescriptor*, 32> written;
  for (int i = 0; i < type.field_count(); ++i) {
    const google::protobuf::FieldDescriptor& field = *type.field(i);
    if (!message.HasValue(field)) continue;
    w_.PlainKey(field.name());
    if (absl::Status s = Field(message, field); !s.ok()) return s;
    written.push_back(&field);
  }
  Close(/*object=*/true);
  // obj_to_primitive() leaves the changes out when there are none.
  if (!written.empty()) {
    w_.Key(object.changes_key);
    w_.StartArray();
    for (const google::protobuf::FieldDescriptor* field : written) {
      w_.PlainString(field->name());
    }
    w_.EndArray();
  }
  Close(/*object=*/true);
  return absl::OkStatus();
}

// Inline, and so into Object(): called for every field written.
template <typename Source>
inline absl::Status JsonEncoder<Source>::Field(
    const Source& message, const google::protobuf::FieldDescriptor& field) {
  // Singular fields first: is_map() is a call into protobuf.
  if (!field.is_repeated()) {
    return message.Visit(field, ValueWriter(this, field));
  }
  return Repeated(message, field);
}

template <typename Source>
absl::Status JsonEncoder<Source>::Repeated(
    const Source& message, const google::protobuf::FieldDescriptor& field) {
  if (field.is_map()) return Map(message, field);
  Open(/*object=*/false);
  // Only message elements fail, and ValueWriter names the field for them.
  if (absl::Status s = message.ForEach(field, ValueWriter(this, field));
      !s.ok()) {
    return s;
  }
  Close(/*object=*/false);
  return absl::OkStatus();
}

template <typename Source>
absl::Status JsonEncoder<Source>::Map(
    const Source& message, const google::protobuf::FieldDescriptor& field) {
  Open(/*object=*/true);
  if (absl::Status s = message.ForEach(field, EntryWriter(this, field));
      !s.ok()) {
    return s;
  }
  Close(/*object=*/true);
  return absl::OkStatus();
}

template <typename Source>
absl::Status JsonEncoder<Source>::WellKnownType(WellKnown kind,
                                                const Source& message) {
  const google::protobuf::Descriptor& type = message.type();
  switch (kind) {
    case WellKnown::kNone:
      break;
    case WellKnown::kAny:
      return json_encoder_internal::AnyError();
    case WellKnown::kEmpty:
      w_.StartObject();
      w_.EndObject();
      return absl::OkStatus();
    case WellKnown::kTimestamp:
    case WellKnown::kDuration:
      return json_encoder_internal::WriteTime(
          kind, message.GetInt64(WellKnownField(type, 1)),
          message.GetInt32(WellKnownField(type, 2)), &w_);
    case WellKnown::kFieldMask: {
      std::string paths;
      bool first = true;
      absl::Status s =
          message.ForEach(WellKnownField(type, 1), [&](const auto& path) {
            if constexpr (std::is_same_v<std::decay_t<decltype(path)>,
                                         absl::string_view>) {
              if (!first) paths.push_back(',');
              first = false;
              paths.append(path.data(), path.size());
            }
            return absl::OkStatus();
          });
      if (!s.ok()) return s;
      w_.String(paths);
      return absl::OkStatus();
    }
    case WellKnown::kWrapper: {
      const google::protobuf::FieldDescriptor& value = WellKnownField(type, 1);
      return message.Visit(value, ValueWriter(this, value));
    }
    case WellKnown::kStruct:
      // Struct's only field is map<string, Value> fields = 1.
      return Map(message, WellKnownField(type, 1));
    case WellKnown::kListValue:
      return Field(message, WellKnownField(type, 1));
    case WellKnown::kValue: {
      // Value's only oneof is `kind`.
      const google::protobuf::FieldDescriptor* set =
          message.WhichOneof(*type.oneof_decl(0));
      // An unset Value is null, like proto3 JSON.
      if (set == nullptr) {
        w_.Null();
        return absl::OkStatus();
      }
      return message.Visit(*set, ValueWriter(this, *set));
    }
  }
  return absl::OkStatus();
}

}  // namespace amqp::transcode

#endif  // BRIDGE_TRANSCODE_JSON_ENCODER_H_
