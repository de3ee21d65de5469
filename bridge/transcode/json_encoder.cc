#include "bridge/transcode/json_encoder.h"

#include <charconv>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "bridge/transcode/object_info.h"

namespace amqp::transcode::json_encoder_internal {

using google::protobuf::FieldDescriptor;

double WidenFloat(float value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer) - 1, value);
  if (ec != std::errc()) return value;
  *end = '\0';
  return std::strtod(buffer, nullptr);
}

void WriteEnum(const FieldDescriptor& field, int number,
               oslo::PyJsonWriter* writer) {
  const google::protobuf::EnumDescriptor& type = *field.enum_type();
  if (type.name() == "NullValue" &&
      type.full_name() == "google.protobuf.NullValue") {
    writer->Null();
    return;
  }
  // Enums are short: a look at each value costs less than the pool's hash
  // lookup. The first value with the number, as FindValueByNumber gives.
  const google::protobuf::EnumValueDescriptor* value = nullptr;
  if (type.value_count() <= 16) {
    for (int i = 0; i < type.value_count() && value == nullptr; ++i) {
      if (type.value(i)->number() == number) value = type.value(i);
    }
  } else {
    value = type.FindValueByNumber(number);
  }
  if (value != nullptr) {
    // The oslo spelling when it has one ("active"), else the name.
    const absl::string_view spelling = EnumSpelling(*value);
    if (spelling.empty()) {
      writer->PlainString(value->name());  // an identifier
    } else {
      writer->String(spelling);
    }
  } else {
    writer->Int(number);
  }
}

void WriteBytes(absl::string_view value, oslo::PyJsonWriter* writer) {
  writer->String(absl::Base64Escape(value));
}

absl::Status WriteTime(WellKnown kind, int64_t seconds, int32_t nanos,
                       oslo::PyJsonWriter* writer) {
  char text[kMaxTimeText];
  size_t size;
  absl::Status s = kind == WellKnown::kTimestamp
                       ? FormatTimestamp(seconds, nanos, text, &size)
                       : FormatDuration(seconds, nanos, text, &size);
  if (!s.ok()) return s;
  writer->PlainString(absl::string_view(text, size));  // digits and separators
  return absl::OkStatus();
}

absl::Status AnyError() {
  return absl::InvalidArgumentError(
      "google.protobuf.Any cannot be sent over oslo.messaging; use "
      "google.protobuf.Struct or a concrete message type");
}

absl::Status TooDeepError() {
  return absl::InvalidArgumentError(
      absl::StrCat("nested deeper than the ", kMaxWrittenDepth,
                   " levels of JSON an oslo message may hold"));
}

}  // namespace amqp::transcode::json_encoder_internal
