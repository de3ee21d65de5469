// The rules that read oslo JSON into a protobuf message (transcode.h,
// docs/mapping.md), written once for every kind of output: a Message filled
// through reflection (decode.cc) or protobuf wire bytes written directly
// (wire_sink.h). Keeping one copy of the rules is what makes the two paths
// give the same message, the same errors and the same stats.
//
// A Sink is one message being filled, with Reflection's semantics:
//   const Descriptor& type() const;
//   void Clear(const FieldDescriptor&);                 // ClearField
//   void Put(const FieldDescriptor&, T value);          // Set, or Add when
//       // repeated; T: int32_t, int64_t, uint32_t, uint64_t, double, float,
//       // bool
//   void PutEnum(const FieldDescriptor&, int number);
//   void PutString(const FieldDescriptor&, absl::string_view);  // also
//       // std::string&&, so a sink may take the bytes without a copy
//   Sink Begin(const FieldDescriptor&);  // MutableMessage, or AddMessage
//   void End(Sink& child);               // `child` is complete

#ifndef BRIDGE_TRANSCODE_JSON_DECODER_H_
#define BRIDGE_TRANSCODE_JSON_DECODER_H_

#include <google/protobuf/descriptor.h>
#include <rapidjson/document.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/field_error.h"
#include "bridge/transcode/object_info.h"
#include "bridge/transcode/transcode.h"
#include "bridge/transcode/well_known.h"

namespace amqp::transcode {

// The JSON -> scalar conversions, which do not depend on the Sink.
namespace json_decoder_internal {

absl::Status Expected(absl::string_view what, const rapidjson::Value& got);

// An integer of type T (int32_t, int64_t, uint32_t, uint64_t) from a JSON
// number (integral doubles such as 3.0 included) or a decimal string, as
// proto3 JSON also allows.
template <typename T>
absl::Status ToInteger(const rapidjson::Value& json, T* out);

// A number, or its proto3 JSON spelling as a string ("1.5", "NaN").
absl::Status ToDouble(const rapidjson::Value& json, double* out);
// As ToDouble, refusing finite values out of a float's range.
absl::Status ToFloat(const rapidjson::Value& json, float* out);
// An enum value by name, by its (amqp.value) spelling or by number.
absl::Status ToEnum(const google::protobuf::FieldDescriptor& field,
                    const rapidjson::Value& json, int* out);
// Standard or URL-safe base64.
absl::Status ToBytes(const rapidjson::Value& json, std::string* out);

// How deep messages may nest in the JSON read: far deeper than any oslo
// message, and shallow enough for the recursion's stack.
inline constexpr int kMaxReadDepth = 100;
absl::Status TooDeepError();

// The primitive of an (amqp.object) message, its members picked out and
// checked: an object with the name and a version of the same major, a data
// object (or none) and a list of changes (or none). `data` is null when
// there is none.
absl::Status ReadObjectPrimitive(const ObjectInfo& object,
                                 const rapidjson::Value& json,
                                 const rapidjson::Value** data,
                                 int64_t* unknown_keys);

}  // namespace json_decoder_internal

template <typename Sink>
class JsonDecoder {
 public:
  explicit JsonDecoder(ResultStats* stats) : stats_(stats) {}

  // A message from its JSON value (well-known types by their special forms).
  absl::Status Message(const rapidjson::Value& json, Sink& message);
  // The members of a JSON object onto the fields of `message`; unknown keys
  // are an error when `strict`, else counted.
  absl::Status Object(const rapidjson::Value& json, Sink& message, bool strict);
  // `json` into one field (an array for repeated, an object for maps).
  absl::Status Field(const rapidjson::Value& json, Sink& message,
                     const google::protobuf::FieldDescriptor& field);

 private:
  // One value: appended to a repeated field, or set on a singular one.
  absl::Status Value(const rapidjson::Value& json, Sink& message,
                     const google::protobuf::FieldDescriptor& field);
  absl::Status Map(const rapidjson::Value& json, Sink& message,
                   const google::protobuf::FieldDescriptor& field);
  absl::Status WellKnownType(WellKnown kind, const rapidjson::Value& json,
                             Sink& message);

  ResultStats* stats_;
  int depth_ = 0;  // of the messages being read
};

// ReadResult()'s rules (transcode.h) into `response`, which is empty.
template <typename Sink>
absl::Status ReadResultInto(const rapidjson::Value& result,
                            absl::string_view result_field, Sink& response,
                            ResultStats* stats);

template <typename Sink>
absl::Status JsonDecoder<Sink>::Message(const rapidjson::Value& json,
                                        Sink& message) {
  if (depth_ >= json_decoder_internal::kMaxReadDepth) {
    return json_decoder_internal::TooDeepError();
  }
  ++depth_;
  absl::Status status;
  const WellKnown kind = WellKnownOf(message.type());
  if (kind != WellKnown::kNone) {
    status = WellKnownType(kind, json, message);
  } else if (json.IsNull()) {
    // None: the message stays empty.
  } else if (const ObjectInfo* object = ObjectInfoOf(message.type())) {
    const rapidjson::Value* data = nullptr;
    int64_t unknown_keys = 0;
    status = json_decoder_internal::ReadObjectPrimitive(*object, json, &data,
                                                        &unknown_keys);
    if (stats_ != nullptr) stats_->unknown_keys += unknown_keys;
    if (status.ok() && data != nullptr) {
      status = Object(*data, message, /*strict=*/false);
    }
  } else {
    status = Object(json, message, /*strict=*/false);
  }
  --depth_;
  return status;
}

template <typename Sink>
absl::Status JsonDecoder<Sink>::Object(const rapidjson::Value& json,
                                       Sink& message, bool strict) {
  if (!json.IsObject()) {
    return json_decoder_internal::Expected("an object", json);
  }
  const google::protobuf::Descriptor& type = message.type();
  // Keys mostly come in field order (WriteResult's, and Python dicts built
  // field by field): try the field after the last match before a name lookup,
  // which copies the key and hashes it.
  int next = 0;
  for (const auto& member : json.GetObject()) {
    absl::string_view key = oslo::JsonStringView(member.name);
    const google::protobuf::FieldDescriptor* field =
        next < type.field_count() && type.field(next)->name() == key
            ? type.field(next)
            : type.FindFieldByName(std::string(key));
    if (field != nullptr) next = field->index() + 1;
    if (field == nullptr) {
      if (strict) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument '", key, "': ", type.full_name(),
                         " has no such field"));
      }
      if (stats_ != nullptr) ++stats_->unknown_keys;
      continue;
    }
    if (absl::Status s = Field(member.value, message, *field); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

template <typename Sink>
absl::Status JsonDecoder<Sink>::Field(
    const rapidjson::Value& json, Sink& message,
    const google::protobuf::FieldDescriptor& field) {
  using google::protobuf::FieldDescriptor;
  absl::Status status;
  if (json.IsNull() &&
      !(field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        WellKnownOf(*field.message_type()) == WellKnown::kValue &&
        !field.is_repeated())) {
    // None: the field keeps its default (a Value field holds null instead).
    message.Clear(field);
    return absl::OkStatus();
  }
  if (field.is_map()) {
    status = Map(json, message, field);
  } else if (field.is_repeated()) {
    if (!json.IsArray()) {
      status = json_decoder_internal::Expected("a list", json);
    } else {
      for (const auto& element : json.GetArray()) {
        status = Value(element, message, field);
        if (!status.ok()) break;
      }
    }
  } else {
    status = Value(json, message, field);
  }
  return status.ok() ? status : InField(field.name(), status);
}

template <typename Sink>
absl::Status JsonDecoder<Sink>::Map(
    const rapidjson::Value& json, Sink& message,
    const google::protobuf::FieldDescriptor& field) {
  using google::protobuf::FieldDescriptor;
  if (!json.IsObject()) {
    return json_decoder_internal::Expected("an object", json);
  }
  const FieldDescriptor& key = *field.message_type()->map_key();
  const FieldDescriptor& value = *field.message_type()->map_value();
  for (const auto& member : json.GetObject()) {
    Sink entry = message.Begin(field);
    // Keys are strings in JSON; Value() parses them for integer/bool keys.
    rapidjson::Value key_json(rapidjson::StringRef(
        member.name.GetString(), member.name.GetStringLength()));
    if (key.cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
      absl::string_view text = oslo::JsonStringView(member.name);
      if (text != "true" && text != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat("map key \"", text, "\" is not true or false"));
      }
      key_json.SetBool(text == "true");
    }
    if (absl::Status s = Value(key_json, entry, key); !s.ok()) return s;
    absl::Status s =
        member.value.IsNull() &&
                value.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE
            ? json_decoder_internal::Expected("a value", member.value)
            : Value(member.value, entry, value);
    if (!s.ok()) return InField(oslo::JsonStringView(member.name), s);
    message.End(entry);
  }
  return absl::OkStatus();
}

template <typename Sink>
absl::Status JsonDecoder<Sink>::Value(
    const rapidjson::Value& json, Sink& message,
    const google::protobuf::FieldDescriptor& field) {
  using google::protobuf::FieldDescriptor;
  namespace internal = json_decoder_internal;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (absl::Status s = internal::ToInteger(json, &v); !s.ok()) return s;
      message.Put(field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (absl::Status s = internal::ToInteger(json, &v); !s.ok()) return s;
      message.Put(field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (absl::Status s = internal::ToInteger(json, &v); !s.ok()) return s;
      message.Put(field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (absl::Status s = internal::ToInteger(json, &v); !s.ok()) return s;
      message.Put(field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (absl::Status s = internal::ToDouble(json, &v); !s.ok()) return s;
      message.Put(field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      float v;
      if (absl::Status s = internal::ToFloat(json, &v); !s.ok()) return s;
      message.Put(field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      if (!json.IsBool()) return internal::Expected("true or false", json);
      message.Put(field, json.GetBool());
      break;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number;
      if (absl::Status s = internal::ToEnum(field, json, &number); !s.ok()) {
        return s;
      }
      message.PutEnum(field, number);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      if (!json.IsString()) return internal::Expected("a string", json);
      if (field.type() == FieldDescriptor::TYPE_BYTES) {
        std::string bytes;
        if (absl::Status s = internal::ToBytes(json, &bytes); !s.ok()) {
          return s;
        }
        message.PutString(field, std::move(bytes));
      } else {
        message.PutString(field, oslo::JsonStringView(json));
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Sink child = message.Begin(field);
      if (absl::Status s = Message(json, child); !s.ok()) return s;
      message.End(child);
      break;
    }
  }
  return absl::OkStatus();
}

template <typename Sink>
absl::Status JsonDecoder<Sink>::WellKnownType(WellKnown kind,
                                              const rapidjson::Value& json,
                                              Sink& message) {
  using google::protobuf::FieldDescriptor;
  using json_decoder_internal::Expected;
  const google::protobuf::Descriptor& type = message.type();
  switch (kind) {
    case WellKnown::kNone:
      break;
    case WellKnown::kAny:
      return absl::InvalidArgumentError(
          "google.protobuf.Any cannot be received over oslo.messaging");
    case WellKnown::kEmpty:
      if (!json.IsObject() && !json.IsNull()) return Expected("{}", json);
      return absl::OkStatus();
    case WellKnown::kTimestamp:
    case WellKnown::kDuration: {
      if (json.IsNull()) return absl::OkStatus();
      if (!json.IsString()) return Expected("a string", json);
      int64_t seconds;
      int32_t nanos;
      absl::Status s =
          kind == WellKnown::kTimestamp
              ? ParseTimestamp(oslo::JsonStringView(json), &seconds, &nanos)
              : ParseDuration(oslo::JsonStringView(json), &seconds, &nanos);
      if (!s.ok()) return s;
      message.Put(WellKnownField(type, 1), seconds);
      message.Put(WellKnownField(type, 2), nanos);
      return absl::OkStatus();
    }
    case WellKnown::kFieldMask: {
      if (json.IsNull()) return absl::OkStatus();
      if (!json.IsString()) return Expected("a string", json);
      const FieldDescriptor& paths = WellKnownField(type, 1);
      for (absl::string_view path :
           absl::StrSplit(oslo::JsonStringView(json), ',', absl::SkipEmpty())) {
        message.PutString(paths, path);
      }
      return absl::OkStatus();
    }
    case WellKnown::kWrapper:
      if (json.IsNull()) return absl::OkStatus();
      return Value(json, message, WellKnownField(type, 1));
    case WellKnown::kStruct:
      if (json.IsNull()) return absl::OkStatus();
      return Map(json, message, WellKnownField(type, 1));
    case WellKnown::kListValue:
      if (json.IsNull()) return absl::OkStatus();
      if (!json.IsArray()) return Expected("a list", json);
      for (const auto& element : json.GetArray()) {
        if (absl::Status s = Value(element, message, WellKnownField(type, 1));
            !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    case WellKnown::kValue: {
      // oneof kind { null_value = 1; number_value = 2; string_value = 3;
      //              bool_value = 4; struct_value = 5; list_value = 6; }
      int number = json.IsNull()     ? 1
                   : json.IsNumber() ? 2
                   : json.IsString() ? 3
                   : json.IsBool()   ? 4
                   : json.IsObject() ? 5
                                     : 6;
      const FieldDescriptor& field = WellKnownField(type, number);
      if (number == 1) {
        message.PutEnum(field, 0);
        return absl::OkStatus();
      }
      return Value(json, message, field);
    }
  }
  return absl::OkStatus();
}

template <typename Sink>
absl::Status ReadResultInto(const rapidjson::Value& result,
                            absl::string_view result_field, Sink& response,
                            ResultStats* stats) {
  JsonDecoder<Sink> decoder(stats);
  const google::protobuf::Descriptor& type = response.type();
  absl::Status status;
  if (!result_field.empty()) {
    const google::protobuf::FieldDescriptor* field =
        type.FindFieldByName(std::string(result_field));
    status =
        field == nullptr
            ? absl::InvalidArgumentError(absl::StrCat(
                  type.full_name(), " has no field \"", result_field, "\""))
            : decoder.Field(result, response, *field);
  } else if (WellKnownOf(type) == WellKnown::kEmpty) {
    // The .proto says the result does not matter: ignore what came back.
  } else if (WellKnownOf(type) != WellKnown::kNone || result.IsNull() ||
             result.IsObject()) {
    status = decoder.Message(result, response);
  } else if (type.field_count() == 1) {
    status = decoder.Field(result, response, *type.field(0));
  } else {
    status = absl::InvalidArgumentError(absl::StrCat(
        "a result that is ", oslo::JsonTypeName(result), " does not fit ",
        type.full_name(), ", which has ", type.field_count(),
        " fields: set (amqp.method).result_field"));
  }
  // The caller's request was fine: a result that does not fit is the
  // server's (or the .proto's) fault.
  if (!status.ok()) return absl::InternalError(status.message());
  return status;
}

}  // namespace amqp::transcode

#endif  // BRIDGE_TRANSCODE_JSON_DECODER_H_
