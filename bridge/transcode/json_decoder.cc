#include "bridge/transcode/json_decoder.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace amqp::transcode::json_decoder_internal {

absl::Status Expected(absl::string_view what, const rapidjson::Value& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", what, ", got ", oslo::JsonTypeName(got)));
}

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

template absl::Status ToInteger(const rapidjson::Value&, int32_t*);
template absl::Status ToInteger(const rapidjson::Value&, int64_t*);
template absl::Status ToInteger(const rapidjson::Value&, uint32_t*);
template absl::Status ToInteger(const rapidjson::Value&, uint64_t*);

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

absl::Status ToFloat(const rapidjson::Value& json, float* out) {
  double v;
  if (absl::Status s = ToDouble(json, &v); !s.ok()) return s;
  if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat(oslo::ToPyJson(json), " is out of range of a float"));
  }
  *out = static_cast<float>(v);
  return absl::OkStatus();
}

absl::Status ToEnum(const google::protobuf::FieldDescriptor& field,
                    const rapidjson::Value& json, int* out) {
  if (json.IsString()) {
    const absl::string_view text = oslo::JsonStringView(json);
    const auto* value = field.enum_type()->FindValueByName(std::string(text));
    if (value == nullptr) {
      value = FindEnumValueBySpelling(*field.enum_type(), text);
    }
    if (value == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(oslo::ToPyJson(json), " is not a value of ",
                       field.enum_type()->full_name()));
    }
    *out = value->number();
    return absl::OkStatus();
  }
  if (!ToInteger(json, out).ok()) {
    return Expected(absl::StrCat("a name of ", field.enum_type()->full_name()),
                    json);
  }
  return absl::OkStatus();
}

absl::Status ToBytes(const rapidjson::Value& json, std::string* out) {
  if (!absl::Base64Unescape(oslo::JsonStringView(json), out) &&
      !absl::WebSafeBase64Unescape(oslo::JsonStringView(json), out)) {
    return absl::InvalidArgumentError("bytes must be base64");
  }
  return absl::OkStatus();
}

absl::Status TooDeepError() {
  return absl::InvalidArgumentError(
      absl::StrCat("messages nested deeper than ", kMaxReadDepth, " levels"));
}

absl::Status ReadObjectPrimitive(const ObjectInfo& object,
                                 const rapidjson::Value& json,
                                 const rapidjson::Value** data,
                                 int64_t* unknown_keys) {
  // "nova_object Instance 2.7", for the errors only.
  auto what = [&object] {
    return absl::StrCat(
        absl::string_view(object.prefix).substr(0, object.prefix.size() - 1),
        " ", object.name, " ", object.version);
  };
  if (!json.IsObject()) {
    return Expected(absl::StrCat("the primitive of a ", what()), json);
  }
  const rapidjson::Value* name = nullptr;
  const rapidjson::Value* version = nullptr;
  const rapidjson::Value* changes = nullptr;
  *data = nullptr;
  for (const auto& member : json.GetObject()) {
    const absl::string_view key = oslo::JsonStringView(member.name);
    if (key == object.name_key) {
      name = &member.value;
    } else if (key == object.version_key) {
      version = &member.value;
    } else if (key == object.data_key) {
      *data = &member.value;
    } else if (key == object.changes_key) {
      changes = &member.value;
    } else if (key != object.namespace_key) {
      ++*unknown_keys;
    }
  }
  if (name == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected the primitive of a ", what(),
                     ", got an object without \"", object.name_key, "\""));
  }
  if (!name->IsString() || oslo::JsonStringView(*name) != object.name) {
    return absl::InvalidArgumentError(absl::StrCat("expected a ", what(),
                                                   ", got ", object.name_key,
                                                   " ", oslo::ToPyJson(*name)));
  }
  if (version == nullptr || !version->IsString()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a ", what(), ", got ", object.version_key, " ",
        version == nullptr ? "missing" : oslo::ToPyJson(*version)));
  }
  const absl::string_view got = oslo::JsonStringView(*version);
  if (got != object.version && ObjectMajorVersion(got) != object.major) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a ", what(), ", got version ", got,
                     " (major versions must match)"));
  }
  if (*data != nullptr && (*data)->IsNull()) *data = nullptr;
  if (*data != nullptr && !(*data)->IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(object.data_key,
                                                   ": expected an object, got ",
                                                   oslo::JsonTypeName(**data)));
  }
  if (changes != nullptr && !changes->IsNull()) {
    if (!changes->IsArray()) {
      return absl::InvalidArgumentError(
          absl::StrCat(object.changes_key, ": expected a list, got ",
                       oslo::JsonTypeName(*changes)));
    }
    for (const auto& change : changes->GetArray()) {
      if (!change.IsString()) {
        return absl::InvalidArgumentError(
            absl::StrCat(object.changes_key, ": expected field names, got ",
                         oslo::JsonTypeName(change)));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace amqp::transcode::json_decoder_internal
