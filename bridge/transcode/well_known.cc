#include "bridge/transcode/well_known.h"

#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace amqp::transcode {
namespace {

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the Timestamp range.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;
constexpr int32_t kNanosPerSecond = 1000000000;
// proto3 JSON's Duration range: +-10000 years.
constexpr int64_t kMaxDurationSeconds = 315576000000;

// ".123", ".123456" or ".123456789": the shortest of the three that is exact.
void AppendFraction(int32_t nanos, std::string* out) {
  if (nanos == 0) return;
  if (nanos % 1000000 == 0) {
    absl::StrAppendFormat(out, ".%03d", nanos / 1000000);
  } else if (nanos % 1000 == 0) {
    absl::StrAppendFormat(out, ".%06d", nanos / 1000);
  } else {
    absl::StrAppendFormat(out, ".%09d", nanos);
  }
}

// Parses "123456" (after the dot) as nanoseconds; at most 9 digits.
bool ParseFraction(absl::string_view digits, int32_t* nanos) {
  if (digits.empty() || digits.size() > 9) return false;
  int32_t value = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  for (size_t i = digits.size(); i < 9; ++i) value *= 10;
  *nanos = value;
  return true;
}

}  // namespace

WellKnown WellKnownOf(const google::protobuf::Descriptor& type) {
  if (type.file()->name().rfind("google/protobuf/", 0) != 0) {
    return WellKnown::kNone;
  }
  static const auto* const kTypes =
      new absl::flat_hash_map<std::string, WellKnown>({
          {"google.protobuf.Any", WellKnown::kAny},
          {"google.protobuf.Duration", WellKnown::kDuration},
          {"google.protobuf.Empty", WellKnown::kEmpty},
          {"google.protobuf.FieldMask", WellKnown::kFieldMask},
          {"google.protobuf.ListValue", WellKnown::kListValue},
          {"google.protobuf.Struct", WellKnown::kStruct},
          {"google.protobuf.Timestamp", WellKnown::kTimestamp},
          {"google.protobuf.Value", WellKnown::kValue},
          {"google.protobuf.DoubleValue", WellKnown::kWrapper},
          {"google.protobuf.FloatValue", WellKnown::kWrapper},
          {"google.protobuf.Int64Value", WellKnown::kWrapper},
          {"google.protobuf.UInt64Value", WellKnown::kWrapper},
          {"google.protobuf.Int32Value", WellKnown::kWrapper},
          {"google.protobuf.UInt32Value", WellKnown::kWrapper},
          {"google.protobuf.BoolValue", WellKnown::kWrapper},
          {"google.protobuf.StringValue", WellKnown::kWrapper},
          {"google.protobuf.BytesValue", WellKnown::kWrapper},
      });
  auto it = kTypes->find(type.full_name());
  return it == kTypes->end() ? WellKnown::kNone : it->second;
}

absl::Status FormatTimestamp(int64_t seconds, int32_t nanos, std::string* out) {
  if (seconds < kMinSeconds || seconds > kMaxSeconds || nanos < 0 ||
      nanos >= kNanosPerSecond) {
    return absl::InvalidArgumentError(
        absl::StrCat("Timestamp out of range: ", seconds, " s ", nanos, " ns"));
  }
  out->append(absl::FormatTime("%E4Y-%m-%dT%H:%M:%S",
                               absl::FromUnixSeconds(seconds),
                               absl::UTCTimeZone()));
  AppendFraction(nanos, out);
  out->push_back('Z');
  return absl::OkStatus();
}

absl::Status ParseTimestamp(absl::string_view text, int64_t* seconds,
                            int32_t* nanos) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("not an RFC 3339 timestamp: \"", text, "\""));
  };
  // "YYYY-MM-DDTHH:MM:SS" (or a space for the T), then [.fraction][zone].
  constexpr size_t kBaseLength = 19;
  if (text.size() < kBaseLength) return bad();
  std::string base(text.substr(0, kBaseLength));
  if (base[10] == ' ' || base[10] == 't') base[10] = 'T';
  absl::Time time;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%S", base, absl::UTCTimeZone(), &time,
                       &error)) {
    return bad();
  }
  absl::string_view rest = text.substr(kBaseLength);
  int32_t fraction = 0;
  if (absl::ConsumePrefix(&rest, ".")) {
    size_t digits = 0;
    while (digits < rest.size() && absl::ascii_isdigit(rest[digits])) ++digits;
    if (!ParseFraction(rest.substr(0, digits), &fraction)) return bad();
    rest.remove_prefix(digits);
  }
  int64_t offset_seconds = 0;
  if (rest == "Z" || rest == "z" || rest.empty()) {
    // UTC; a naive Python datetime is UTC in OpenStack.
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') &&
             rest[3] == ':') {
    int hours = 0, minutes = 0;
    if (!absl::SimpleAtoi(rest.substr(1, 2), &hours) ||
        !absl::SimpleAtoi(rest.substr(4, 2), &minutes) || hours > 23 ||
        minutes > 59) {
      return bad();
    }
    offset_seconds = (hours * 60 + minutes) * 60;
    if (rest[0] == '-') offset_seconds = -offset_seconds;
  } else {
    return bad();
  }
  int64_t utc = absl::ToUnixSeconds(time) - offset_seconds;
  if (utc < kMinSeconds || utc > kMaxSeconds) return bad();
  *seconds = utc;
  *nanos = fraction;
  return absl::OkStatus();
}

absl::Status FormatDuration(int64_t seconds, int32_t nanos, std::string* out) {
  if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds ||
      nanos <= -kNanosPerSecond || nanos >= kNanosPerSecond ||
      (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Duration out of range: ", seconds, " s ", nanos, " ns"));
  }
  if (seconds < 0 || nanos < 0) {
    out->push_back('-');
    seconds = -seconds;
    nanos = -nanos;
  }
  absl::StrAppend(out, seconds);
  AppendFraction(nanos, out);
  out->push_back('s');
  return absl::OkStatus();
}

absl::Status ParseDuration(absl::string_view text, int64_t* seconds,
                           int32_t* nanos) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("not a duration like \"1.5s\": \"", text, "\""));
  };
  absl::string_view rest = text;
  if (!absl::ConsumeSuffix(&rest, "s")) return bad();
  bool negative = absl::ConsumePrefix(&rest, "-");
  absl::string_view whole = rest;
  int32_t fraction = 0;
  if (size_t dot = rest.find('.'); dot != absl::string_view::npos) {
    whole = rest.substr(0, dot);
    if (!ParseFraction(rest.substr(dot + 1), &fraction)) return bad();
  }
  int64_t value = 0;
  if (whole.empty() || !absl::SimpleAtoi(whole, &value) || value < 0 ||
      value > kMaxDurationSeconds) {
    return bad();
  }
  *seconds = negative ? -value : value;
  *nanos = negative ? -fraction : fraction;
  return absl::OkStatus();
}

}  // namespace amqp::transcode
