// Protobuf -> oslo JSON (WriteArgs, WriteResult, WriteMessage).

#include <charconv>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bridge/transcode/field_error.h"
#include "bridge/transcode/transcode.h"
#include "bridge/transcode/well_known.h"

namespace amqp::transcode {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A float field written as Python would write the float the sender meant:
// shortest digits of the float (0.1f -> 0.1, not 0.10000000149011612).
double WidenFloat(float value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer) - 1, value);
  if (ec != std::errc()) return value;
  *end = '\0';
  return std::strtod(buffer, nullptr);
}

class Encoder {
 public:
  explicit Encoder(oslo::PyJsonWriter* writer) : w_(*writer) {}

  absl::Status Message(const google::protobuf::Message& message);
  // The members of `message` as an object, leaving out `skip_field`.
  absl::Status Object(const google::protobuf::Message& message,
                      absl::string_view skip_field);
  // One field's JSON value: an array, an object (maps) or a single value.
  absl::Status Field(const google::protobuf::Message& message,
                     const FieldDescriptor& field);

 private:
  // One value of a field: element `index` of a repeated field, or the
  // singular value when index < 0.
  absl::Status Value(const google::protobuf::Message& message,
                     const FieldDescriptor& field, int index);
  absl::Status Map(const google::protobuf::Message& message,
                   const FieldDescriptor& field);
  absl::Status WellKnownType(WellKnown kind,
                             const google::protobuf::Message& message);

  oslo::PyJsonWriter& w_;
};

// Whether an object carries the field: scalars, repeated and map fields
// always; fields with presence only when set.
bool IsWritten(const google::protobuf::Message& message,
               const FieldDescriptor& field) {
  if (field.is_repeated() || !field.has_presence()) return true;
  return message.GetReflection()->HasField(message, &field);
}

absl::Status Encoder::Object(const google::protobuf::Message& message,
                             absl::string_view skip_field) {
  const Descriptor& type = *message.GetDescriptor();
  w_.StartObject();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (field.name() == skip_field || !IsWritten(message, field)) continue;
    w_.Key(field.name());
    if (absl::Status s = Field(message, field); !s.ok()) return s;
  }
  w_.EndObject();
  return absl::OkStatus();
}

absl::Status Encoder::Message(const google::protobuf::Message& message) {
  WellKnown kind = WellKnownOf(*message.GetDescriptor());
  if (kind != WellKnown::kNone) return WellKnownType(kind, message);
  return Object(message, "");
}

absl::Status Encoder::Field(const google::protobuf::Message& message,
                            const FieldDescriptor& field) {
  if (field.is_map()) return Map(message, field);
  if (!field.is_repeated()) return Value(message, field, -1);
  w_.StartArray();
  int size = message.GetReflection()->FieldSize(message, &field);
  for (int i = 0; i < size; ++i) {
    if (absl::Status s = Value(message, field, i); !s.ok()) {
      return InField(field.name(), s);
    }
  }
  w_.EndArray();
  return absl::OkStatus();
}

absl::Status Encoder::Map(const google::protobuf::Message& message,
                          const FieldDescriptor& field) {
  const Reflection& reflection = *message.GetReflection();
  const FieldDescriptor& key = *field.message_type()->map_key();
  const FieldDescriptor& value = *field.message_type()->map_value();
  w_.StartObject();
  int size = reflection.FieldSize(message, &field);
  for (int i = 0; i < size; ++i) {
    const google::protobuf::Message& entry =
        reflection.GetRepeatedMessage(message, &field, i);
    const Reflection& entry_reflection = *entry.GetReflection();
    std::string scratch;
    switch (key.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        w_.Key(entry_reflection.GetStringReference(entry, &key, &scratch));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        w_.Key(entry_reflection.GetBool(entry, &key) ? "true" : "false");
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        w_.Key(absl::StrCat(entry_reflection.GetInt32(entry, &key)));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        w_.Key(absl::StrCat(entry_reflection.GetInt64(entry, &key)));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        w_.Key(absl::StrCat(entry_reflection.GetUInt32(entry, &key)));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        w_.Key(absl::StrCat(entry_reflection.GetUInt64(entry, &key)));
        break;
      default:  // protobuf allows no other key types
        return absl::InternalError("unsupported map key type");
    }
    if (absl::Status s = Value(entry, value, -1); !s.ok()) {
      return InField(field.name(), s);
    }
  }
  w_.EndObject();
  return absl::OkStatus();
}

absl::Status Encoder::Value(const google::protobuf::Message& message,
                            const FieldDescriptor& field, int index) {
  const Reflection& r = *message.GetReflection();
  const bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      w_.Int(repeated ? r.GetRepeatedInt32(message, &field, index)
                      : r.GetInt32(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      w_.Int64(repeated ? r.GetRepeatedInt64(message, &field, index)
                        : r.GetInt64(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      w_.Uint(repeated ? r.GetRepeatedUInt32(message, &field, index)
                       : r.GetUInt32(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      w_.Uint64(repeated ? r.GetRepeatedUInt64(message, &field, index)
                         : r.GetUInt64(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      w_.Double(repeated ? r.GetRepeatedDouble(message, &field, index)
                         : r.GetDouble(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      w_.Double(WidenFloat(repeated ? r.GetRepeatedFloat(message, &field, index)
                                    : r.GetFloat(message, &field)));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      w_.Bool(repeated ? r.GetRepeatedBool(message, &field, index)
                       : r.GetBool(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number = repeated ? r.GetRepeatedEnumValue(message, &field, index)
                            : r.GetEnumValue(message, &field);
      if (field.enum_type()->full_name() == "google.protobuf.NullValue") {
        w_.Null();
        break;
      }
      const auto* value = field.enum_type()->FindValueByNumber(number);
      // An open enum may hold a number this descriptor does not name.
      if (value != nullptr) {
        w_.String(value->name());
      } else {
        w_.Int(number);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text =
          repeated
              ? r.GetRepeatedStringReference(message, &field, index, &scratch)
              : r.GetStringReference(message, &field, &scratch);
      if (field.type() == FieldDescriptor::TYPE_BYTES) {
        w_.String(absl::Base64Escape(text));
      } else {
        w_.String(text);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      absl::Status s =
          Message(repeated ? r.GetRepeatedMessage(message, &field, index)
                           : r.GetMessage(message, &field));
      if (!s.ok()) return InField(field.name(), s);
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status Encoder::WellKnownType(WellKnown kind,
                                    const google::protobuf::Message& message) {
  const Descriptor& type = *message.GetDescriptor();
  const Reflection& r = *message.GetReflection();
  switch (kind) {
    case WellKnown::kNone:
      break;
    case WellKnown::kAny:
      return absl::InvalidArgumentError(
          "google.protobuf.Any cannot be sent over oslo.messaging; use "
          "google.protobuf.Struct or a concrete message type");
    case WellKnown::kEmpty:
      w_.StartObject();
      w_.EndObject();
      return absl::OkStatus();
    case WellKnown::kTimestamp:
    case WellKnown::kDuration: {
      int64_t seconds = r.GetInt64(message, type.FindFieldByNumber(1));
      int32_t nanos = r.GetInt32(message, type.FindFieldByNumber(2));
      std::string text;
      absl::Status s = kind == WellKnown::kTimestamp
                           ? FormatTimestamp(seconds, nanos, &text)
                           : FormatDuration(seconds, nanos, &text);
      if (!s.ok()) return s;
      w_.String(text);
      return absl::OkStatus();
    }
    case WellKnown::kFieldMask: {
      const FieldDescriptor* paths = type.FindFieldByNumber(1);
      std::vector<std::string> parts;
      for (int i = 0; i < r.FieldSize(message, paths); ++i) {
        parts.push_back(r.GetRepeatedString(message, paths, i));
      }
      w_.String(absl::StrJoin(parts, ","));
      return absl::OkStatus();
    }
    case WellKnown::kWrapper:
      return Value(message, *type.FindFieldByNumber(1), -1);
    case WellKnown::kStruct:
      // Struct's only field is map<string, Value> fields = 1.
      return Map(message, *type.FindFieldByNumber(1));
    case WellKnown::kListValue:
      return Field(message, *type.FindFieldByNumber(1));
    case WellKnown::kValue: {
      // Value's only oneof is `kind`.
      const FieldDescriptor* set =
          r.GetOneofFieldDescriptor(message, type.oneof_decl(0));
      // An unset Value is null, like proto3 JSON.
      if (set == nullptr) {
        w_.Null();
        return absl::OkStatus();
      }
      return Value(message, *set, -1);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteMessage(const google::protobuf::Message& message,
                          oslo::PyJsonWriter* writer) {
  return Encoder(writer).Message(message);
}

absl::Status WriteArgs(const google::protobuf::Message& request,
                       const ArgsOptions& options, oslo::PyJsonWriter* writer) {
  // Arguments are always keyword arguments, even for well-known types.
  return Encoder(writer).Object(request, options.skip_field);
}

absl::Status WriteResult(const google::protobuf::Message& response,
                         absl::string_view result_field,
                         oslo::PyJsonWriter* writer) {
  Encoder encoder(writer);
  if (!result_field.empty()) {
    const FieldDescriptor* field =
        response.GetDescriptor()->FindFieldByName(std::string(result_field));
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(response.GetDescriptor()->full_name(),
                       " has no field \"", result_field, "\""));
    }
    if (!IsWritten(response, *field)) {
      writer->Null();
      return absl::OkStatus();
    }
    return encoder.Field(response, *field);
  }
  // An endpoint with nothing to return answers None, as a Python one would.
  if (WellKnownOf(*response.GetDescriptor()) == WellKnown::kEmpty) {
    writer->Null();
    return absl::OkStatus();
  }
  return encoder.Message(response);
}

}  // namespace amqp::transcode
