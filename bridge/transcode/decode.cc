// oslo JSON -> Protobuf (ReadArgs, ReadResult, ReadMessage).

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bridge/transcode/field_error.h"
#include "bridge/transcode/transcode.h"
#include "bridge/transcode/well_known.h"

namespace amqp::transcode {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Reflection;

absl::Status Expected(absl::string_view what, const rapidjson::Value& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", what, ", got ", oslo::JsonTypeName(got)));
}

// An integer of type T from a JSON number (integral doubles such as 3.0
// included) or a decimal string, as proto3 JSON also allows.
template <typename T>
absl::Status ToInteger(const rapidjson::Value& json, T* out) {
  constexpr T kMin = std::numeric_limits<T>::min();
  constexpr T kMax = std::numeric_limits<T>::max();
  auto out_of_range = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        oslo::ToPyJson(json), " is out of range [", kMin, ", ", kMax, "]"));
  };
  if (json.IsInt64()) {
    int64_t v = json.GetInt64();
    if (v < static_cast<int64_t>(kMin) ||
        (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(kMax))) {
      return out_of_range();
    }
    *out = static_cast<T>(v);
    return absl::OkStatus();
  }
  if (json.IsUint64()) {  // above INT64_MAX
    if (json.GetUint64() > static_cast<uint64_t>(kMax)) return out_of_range();
    *out = static_cast<T>(json.GetUint64());
    return absl::OkStatus();
  }
  if (json.IsDouble()) {
    double d = json.GetDouble();
    if (d != std::trunc(d)) return Expected("an integer", json);
    // Beyond 2^63 no double is in range of any integer field but uint64.
    if (!(d >= static_cast<double>(kMin) && d < 18446744073709551616.0) ||
        (d >= 0 && static_cast<uint64_t>(d) > static_cast<uint64_t>(kMax))) {
      return out_of_range();
    }
    *out = static_cast<T>(d);
    return absl::OkStatus();
  }
  if (json.IsString()) {
    T v;
    if (!absl::SimpleAtoi(oslo::JsonStringView(json), &v)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected an integer, got the string ", oslo::ToPyJson(json)));
    }
    *out = v;
    return absl::OkStatus();
  }
  return Expected("an integer", json);
}

absl::Status ToDouble(const rapidjson::Value& json, double* out) {
  if (json.IsNumber()) {
    *out = json.GetDouble();
    return absl::OkStatus();
  }
  // proto3 JSON also spells numbers as strings ("1.5", "NaN", "-Infinity").
  if (json.IsString() && absl::SimpleAtod(oslo::JsonStringView(json), out)) {
    return absl::OkStatus();
  }
  return Expected("a number", json);
}

class Decoder {
 public:
  explicit Decoder(ResultStats* stats) : stats_(stats) {}

  absl::Status Message(const rapidjson::Value& json,
                       google::protobuf::Message* message);
  // The members of a JSON object onto the fields of `message`; unknown keys
  // are an error when `strict`, else counted.
  absl::Status Object(const rapidjson::Value& json,
                      google::protobuf::Message* message, bool strict);
  // `json` into one field (an array for repeated, an object for maps).
  absl::Status Field(const rapidjson::Value& json,
                     google::protobuf::Message* message,
                     const FieldDescriptor& field);

 private:
  // One value: appended to a repeated field, or set on a singular one.
  absl::Status Value(const rapidjson::Value& json,
                     google::protobuf::Message* message,
                     const FieldDescriptor& field);
  absl::Status Map(const rapidjson::Value& json,
                   google::protobuf::Message* message,
                   const FieldDescriptor& field);
  absl::Status WellKnownType(WellKnown kind, const rapidjson::Value& json,
                             google::protobuf::Message* message);

  ResultStats* stats_;
};

absl::Status Decoder::Message(const rapidjson::Value& json,
                              google::protobuf::Message* message) {
  WellKnown kind = WellKnownOf(*message->GetDescriptor());
  if (kind != WellKnown::kNone) return WellKnownType(kind, json, message);
  if (json.IsNull()) return absl::OkStatus();
  return Object(json, message, /*strict=*/false);
}

absl::Status Decoder::Object(const rapidjson::Value& json,
                             google::protobuf::Message* message, bool strict) {
  if (!json.IsObject()) return Expected("an object", json);
  const Descriptor& type = *message->GetDescriptor();
  // Keys mostly come in field order (WriteResult's, and Python dicts built
  // field by field): try the field after the last match before a name lookup,
  // which copies the key and hashes it.
  int next = 0;
  for (const auto& member : json.GetObject()) {
    absl::string_view key = oslo::JsonStringView(member.name);
    const FieldDescriptor* field =
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

absl::Status Decoder::Field(const rapidjson::Value& json,
                            google::protobuf::Message* message,
                            const FieldDescriptor& field) {
  absl::Status status;
  if (json.IsNull() &&
      !(field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        WellKnownOf(*field.message_type()) == WellKnown::kValue &&
        !field.is_repeated())) {
    // None: the field keeps its default (a Value field holds null instead).
    message->GetReflection()->ClearField(message, &field);
    return absl::OkStatus();
  }
  if (field.is_map()) {
    status = Map(json, message, field);
  } else if (field.is_repeated()) {
    if (!json.IsArray()) {
      status = Expected("a list", json);
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

absl::Status Decoder::Map(const rapidjson::Value& json,
                          google::protobuf::Message* message,
                          const FieldDescriptor& field) {
  if (!json.IsObject()) return Expected("an object", json);
  const Reflection& r = *message->GetReflection();
  const FieldDescriptor& key = *field.message_type()->map_key();
  const FieldDescriptor& value = *field.message_type()->map_value();
  for (const auto& member : json.GetObject()) {
    google::protobuf::Message* entry = r.AddMessage(message, &field);
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
            ? Expected("a value", member.value)
            : Value(member.value, entry, value);
    if (!s.ok()) return InField(oslo::JsonStringView(member.name), s);
  }
  return absl::OkStatus();
}

absl::Status Decoder::Value(const rapidjson::Value& json,
                            google::protobuf::Message* message,
                            const FieldDescriptor& field) {
  const Reflection& r = *message->GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (absl::Status s = ToInteger(json, &v); !s.ok()) return s;
      repeated ? r.AddInt32(message, &field, v)
               : r.SetInt32(message, &field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (absl::Status s = ToInteger(json, &v); !s.ok()) return s;
      repeated ? r.AddInt64(message, &field, v)
               : r.SetInt64(message, &field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (absl::Status s = ToInteger(json, &v); !s.ok()) return s;
      repeated ? r.AddUInt32(message, &field, v)
               : r.SetUInt32(message, &field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (absl::Status s = ToInteger(json, &v); !s.ok()) return s;
      repeated ? r.AddUInt64(message, &field, v)
               : r.SetUInt64(message, &field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (absl::Status s = ToDouble(json, &v); !s.ok()) return s;
      repeated ? r.AddDouble(message, &field, v)
               : r.SetDouble(message, &field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (absl::Status s = ToDouble(json, &v); !s.ok()) return s;
      if (std::isfinite(v) &&
          std::fabs(v) > std::numeric_limits<float>::max()) {
        return absl::InvalidArgumentError(
            absl::StrCat(oslo::ToPyJson(json), " is out of range of a float"));
      }
      float f = static_cast<float>(v);
      repeated ? r.AddFloat(message, &field, f)
               : r.SetFloat(message, &field, f);
      break;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      if (!json.IsBool()) return Expected("true or false", json);
      repeated ? r.AddBool(message, &field, json.GetBool())
               : r.SetBool(message, &field, json.GetBool());
      break;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number;
      if (json.IsString()) {
        const auto* value = field.enum_type()->FindValueByName(
            std::string(oslo::JsonStringView(json)));
        if (value == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat(oslo::ToPyJson(json), " is not a value of ",
                           field.enum_type()->full_name()));
        }
        number = value->number();
      } else if (absl::Status s = ToInteger(json, &number); !s.ok()) {
        return Expected(
            absl::StrCat("a name of ", field.enum_type()->full_name()), json);
      }
      repeated ? r.AddEnumValue(message, &field, number)
               : r.SetEnumValue(message, &field, number);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      if (!json.IsString()) return Expected("a string", json);
      std::string text;
      if (field.type() == FieldDescriptor::TYPE_BYTES) {
        if (!absl::Base64Unescape(oslo::JsonStringView(json), &text) &&
            !absl::WebSafeBase64Unescape(oslo::JsonStringView(json), &text)) {
          return absl::InvalidArgumentError("bytes must be base64");
        }
      } else {
        text.assign(json.GetString(), json.GetStringLength());
      }
      repeated ? r.AddString(message, &field, std::move(text))
               : r.SetString(message, &field, std::move(text));
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      google::protobuf::Message* child =
          repeated ? r.AddMessage(message, &field)
                   : r.MutableMessage(message, &field);
      return Message(json, child);
    }
  }
  return absl::OkStatus();
}

absl::Status Decoder::WellKnownType(WellKnown kind,
                                    const rapidjson::Value& json,
                                    google::protobuf::Message* message) {
  const Descriptor& type = *message->GetDescriptor();
  const Reflection& r = *message->GetReflection();
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
      r.SetInt64(message, type.FindFieldByNumber(1), seconds);
      r.SetInt32(message, type.FindFieldByNumber(2), nanos);
      return absl::OkStatus();
    }
    case WellKnown::kFieldMask: {
      if (json.IsNull()) return absl::OkStatus();
      if (!json.IsString()) return Expected("a string", json);
      const FieldDescriptor* paths = type.FindFieldByNumber(1);
      for (absl::string_view path :
           absl::StrSplit(oslo::JsonStringView(json), ',', absl::SkipEmpty())) {
        r.AddString(message, paths, std::string(path));
      }
      return absl::OkStatus();
    }
    case WellKnown::kWrapper:
      if (json.IsNull()) return absl::OkStatus();
      return Value(json, message, *type.FindFieldByNumber(1));
    case WellKnown::kStruct:
      if (json.IsNull()) return absl::OkStatus();
      return Map(json, message, *type.FindFieldByNumber(1));
    case WellKnown::kListValue:
      if (json.IsNull()) return absl::OkStatus();
      if (!json.IsArray()) return Expected("a list", json);
      for (const auto& element : json.GetArray()) {
        if (absl::Status s =
                Value(element, message, *type.FindFieldByNumber(1));
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
      const FieldDescriptor* field = type.FindFieldByNumber(number);
      if (number == 1) {
        r.SetEnumValue(message, field, 0);
        return absl::OkStatus();
      }
      return Value(json, message, *field);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadMessage(const rapidjson::Value& json,
                         google::protobuf::Message* message,
                         ResultStats* stats) {
  return Decoder(stats).Message(json, message);
}

absl::Status ReadArgs(const rapidjson::Value& args,
                      google::protobuf::Message* request) {
  request->Clear();
  return Decoder(nullptr).Object(args, request, /*strict=*/true);
}

absl::Status ReadResult(const rapidjson::Value& result,
                        absl::string_view result_field,
                        google::protobuf::Message* response,
                        ResultStats* stats) {
  response->Clear();
  Decoder decoder(stats);
  const Descriptor& type = *response->GetDescriptor();
  absl::Status status;
  if (!result_field.empty()) {
    const FieldDescriptor* field =
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
