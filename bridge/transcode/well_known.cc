#include "bridge/transcode/well_known.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

constexpr int64_t kSecondsPerDay = 86400;

// Proleptic Gregorian dates <-> days since 1970-01-01, in closed form
// (Howard Hinnant's days_from_civil and civil_from_days): absl's civil
// time walks centuries and years one by one, which cost a tenth of a
// whole message's transcoding.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year =
      (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// The date `days` after 0000-03-01 (a count that starts after a leap
// day, which the month arithmetic wants): for FormatTimestamp's years 1 to
// 9999 it fits 32 unsigned bits, whose divisions cost less than int64's.
void CivilFromDays(uint32_t days, int* year, int* month, int* day) {
  const uint32_t era = days / 146097;
  const uint32_t day_of_era = days - era * 146097;
  const uint32_t year_of_era = (day_of_era - day_of_era / 1460 +
                                day_of_era / 36524 - day_of_era / 146096) /
                               365;
  const uint32_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const uint32_t shifted_month = (5 * day_of_year + 2) / 153;
  *day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  *month = static_cast<int>(shifted_month < 10 ? shifted_month + 3
                                               : shifted_month - 9);
  *year = static_cast<int>(year_of_era + era * 400) + (*month <= 2);
}

bool IsLeapYear(int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// `value` as exactly `width` decimal digits, zero-padded, at `out`; returns
// the end. (Into a buffer: growing the string digit group by digit group
// cost more than the arithmetic.)
char* PutDigits(int64_t value, int width, char* out) {
  char* end = out + width;
  for (char* p = end; p != out; value /= 10) *--p = '0' + value % 10;
  return end;
}

// The two decimal digits of `value` (0 to 99) at `out`; returns the end.
// One copy from a table instead of a division per digit.
char* PutTwoDigits(int value, char* out) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233"
      "34353637383940414243444546474849505152535455565758596061626364656667"
      "6869707172737475767778798081828384858687888990919293949596979899";
  std::memcpy(out, kPairs + 2 * value, 2);
  return out + 2;
}

// ".123", ".123456" or ".123456789": the shortest of the three that is
// exact; nothing for 0.
char* PutFraction(int32_t nanos, char* out) {
  if (nanos == 0) return out;
  *out++ = '.';
  if (nanos % 1000000 == 0) return PutDigits(nanos / 1000000, 3, out);
  if (nanos % 1000 == 0) return PutDigits(nanos / 1000, 6, out);
  return PutDigits(nanos, 9, out);
}

// `digits` (all decimal digits) as a number.
bool ParseDigits(absl::string_view digits, int* value) {
  *value = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(c)) return false;
    *value = *value * 10 + (c - '0');
  }
  return true;
}

// The common "YYYY-MM-DDTHH:MM:SS" (T, t or space) with every field in range,
// without absl::ParseTime's format interpreter; false for anything else,
// which ParseTime then judges.
bool ParseCanonicalBase(absl::string_view base, int64_t* unix_seconds) {
  int year, month, day, hour, minute, second;
  if (base[4] != '-' || base[7] != '-' ||
      (base[10] != 'T' && base[10] != 't' && base[10] != ' ') ||
      base[13] != ':' || base[16] != ':' ||
      !ParseDigits(base.substr(0, 4), &year) ||
      !ParseDigits(base.substr(5, 2), &month) ||
      !ParseDigits(base.substr(8, 2), &day) ||
      !ParseDigits(base.substr(11, 2), &hour) ||
      !ParseDigits(base.substr(14, 2), &minute) ||
      !ParseDigits(base.substr(17, 2), &second) || hour > 23 || minute > 59 ||
      second > 59) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return false;
  }
  *unix_seconds = DaysFromCivil(year, month, day) * kSecondsPerDay +
                  hour * 3600 + minute * 60 + second;
  return true;
}

// Parses "123456" (after the dot) as nanoseconds; at most 9 digits.
bool ParseFraction(absl::string_view digits, int32_t* nanos) {
  if (digits.empty() || digits.size() > 9) return false;
  int value;
  if (!ParseDigits(digits, &value)) return false;
  for (size_t i = digits.size(); i < 9; ++i) value *= 10;
  *nanos = value;
  return true;
}

}  // namespace

WellKnown WellKnownOf(const google::protobuf::Descriptor& type) {
  // Called for every message transcoded: one or two short comparisons of
  // the type's own name, after its first letter.
  if (type.containing_type() != nullptr ||
      absl::string_view(type.file()->package()) != "google.protobuf") {
    return WellKnown::kNone;
  }
  const absl::string_view name = type.name();
  auto either = [&name](absl::string_view a, absl::string_view b,
                        WellKnown kind) {
    return name == a || name == b ? kind : WellKnown::kNone;
  };
  switch (name.empty() ? '\0' : name[0]) {
    case 'A':
      return either("Any", "Any", WellKnown::kAny);
    case 'B':
      return either("BoolValue", "BytesValue", WellKnown::kWrapper);
    case 'D':
      return name == "Duration"
                 ? WellKnown::kDuration
                 : either("DoubleValue", "DoubleValue", WellKnown::kWrapper);
    case 'E':
      return either("Empty", "Empty", WellKnown::kEmpty);
    case 'F':
      return name == "FieldMask"
                 ? WellKnown::kFieldMask
                 : either("FloatValue", "FloatValue", WellKnown::kWrapper);
    case 'I':
      return either("Int64Value", "Int32Value", WellKnown::kWrapper);
    case 'L':
      return either("ListValue", "ListValue", WellKnown::kListValue);
    case 'S':
      return name == "Struct"
                 ? WellKnown::kStruct
                 : either("StringValue", "StringValue", WellKnown::kWrapper);
    case 'T':
      return either("Timestamp", "Timestamp", WellKnown::kTimestamp);
    case 'U':
      return either("UInt64Value", "UInt32Value", WellKnown::kWrapper);
    case 'V':
      return either("Value", "Value", WellKnown::kValue);
    default:
      return WellKnown::kNone;
  }
}

const google::protobuf::FieldDescriptor& WellKnownField(
    const google::protobuf::Descriptor& type, int number) {
  const google::protobuf::FieldDescriptor* field =
      number <= type.field_count() ? type.field(number - 1) : nullptr;
  if (field == nullptr || field->number() != number) {
    field = type.FindFieldByNumber(number);
  }
  return *field;
}

absl::Status FormatTimestamp(int64_t seconds, int32_t nanos, char* text,
                             size_t* size) {
  if (seconds < kMinSeconds || seconds > kMaxSeconds || nanos < 0 ||
      nanos >= kNanosPerSecond) {
    return absl::InvalidArgumentError(
        absl::StrCat("Timestamp out of range: ", seconds, " s ", nanos, " ns"));
  }
  // By hand: absl::FormatTime's format interpreter and time zone lookup
  // cost more than the rest of a message. The range check makes it 4 digits.
  // Counted from 0001-01-01T00:00:00Z, the start of a day: never negative.
  const uint64_t since_year_one = static_cast<uint64_t>(seconds - kMinSeconds);
  const int second = static_cast<int>(since_year_one % kSecondsPerDay);
  int year, month, day;
  // 0001-01-01 is day 306 after 0000-03-01.
  CivilFromDays(static_cast<uint32_t>(since_year_one / kSecondsPerDay) + 306,
                &year, &month, &day);
  // "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"
  char* p = PutTwoDigits(year / 100, text);
  p = PutTwoDigits(year % 100, p);
  *p++ = '-';
  p = PutTwoDigits(month, p);
  *p++ = '-';
  p = PutTwoDigits(day, p);
  *p++ = 'T';
  p = PutTwoDigits(second / 3600, p);
  *p++ = ':';
  p = PutTwoDigits(second / 60 % 60, p);
  *p++ = ':';
  p = PutTwoDigits(second % 60, p);
  p = PutFraction(nanos, p);
  *p++ = 'Z';
  *size = p - text;
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
  int64_t base_seconds;
  if (!ParseCanonicalBase(text.substr(0, kBaseLength), &base_seconds)) {
    std::string base(text.substr(0, kBaseLength));
    if (base[10] == ' ' || base[10] == 't') base[10] = 'T';
    absl::Time time;
    std::string error;
    if (!absl::ParseTime("%Y-%m-%dT%H:%M:%S", base, absl::UTCTimeZone(), &time,
                         &error)) {
      return bad();
    }
    base_seconds = absl::ToUnixSeconds(time);
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
  int64_t utc = base_seconds - offset_seconds;
  if (utc < kMinSeconds || utc > kMaxSeconds) return bad();
  *seconds = utc;
  *nanos = fraction;
  return absl::OkStatus();
}

absl::Status FormatDuration(int64_t seconds, int32_t nanos, char* text,
                            size_t* size) {
  if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds ||
      nanos <= -kNanosPerSecond || nanos >= kNanosPerSecond ||
      (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Duration out of range: ", seconds, " s ", nanos, " ns"));
  }
  char* p = text;  // "-315576000000.999999999s" at most
  if (seconds < 0 || nanos < 0) {
    *p++ = '-';
    seconds = -seconds;
    nanos = -nanos;
  }
  p = std::to_chars(p, text + kMaxTimeText, seconds).ptr;
  p = PutFraction(nanos, p);
  *p++ = 's';
  *size = p - text;
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
