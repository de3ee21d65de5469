#include "bridge/transcode/well_known.h"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/api.pb.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/source_context.pb.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/type.pb.h>
#include <google/protobuf/wrappers.pb.h>

#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace amqp::transcode {
namespace {

std::string Timestamp(int64_t seconds, int32_t nanos) {
  char text[kMaxTimeText];
  size_t size = 0;
  absl::Status status = FormatTimestamp(seconds, nanos, text, &size);
  EXPECT_TRUE(status.ok()) << status;
  return std::string(text, size);
}

std::string Duration(int64_t seconds, int32_t nanos) {
  char text[kMaxTimeText];
  size_t size = 0;
  absl::Status status = FormatDuration(seconds, nanos, text, &size);
  EXPECT_TRUE(status.ok()) << status;
  return std::string(text, size);
}

TEST(WellKnownOfTest, TheTypesWithAJsonFormOfTheirOwn) {
  using google::protobuf::Descriptor;
  const std::pair<const Descriptor*, WellKnown> kCases[] = {
      {google::protobuf::Any::descriptor(), WellKnown::kAny},
      {google::protobuf::Duration::descriptor(), WellKnown::kDuration},
      {google::protobuf::Empty::descriptor(), WellKnown::kEmpty},
      {google::protobuf::FieldMask::descriptor(), WellKnown::kFieldMask},
      {google::protobuf::ListValue::descriptor(), WellKnown::kListValue},
      {google::protobuf::Struct::descriptor(), WellKnown::kStruct},
      {google::protobuf::Timestamp::descriptor(), WellKnown::kTimestamp},
      {google::protobuf::Value::descriptor(), WellKnown::kValue},
      {google::protobuf::DoubleValue::descriptor(), WellKnown::kWrapper},
      {google::protobuf::FloatValue::descriptor(), WellKnown::kWrapper},
      {google::protobuf::Int64Value::descriptor(), WellKnown::kWrapper},
      {google::protobuf::UInt64Value::descriptor(), WellKnown::kWrapper},
      {google::protobuf::Int32Value::descriptor(), WellKnown::kWrapper},
      {google::protobuf::UInt32Value::descriptor(), WellKnown::kWrapper},
      {google::protobuf::BoolValue::descriptor(), WellKnown::kWrapper},
      {google::protobuf::StringValue::descriptor(), WellKnown::kWrapper},
      {google::protobuf::BytesValue::descriptor(), WellKnown::kWrapper},
      // Other google.protobuf messages, some with the same first letter.
      {google::protobuf::Api::descriptor(), WellKnown::kNone},
      {google::protobuf::Type::descriptor(), WellKnown::kNone},
      {google::protobuf::Field::descriptor(), WellKnown::kNone},
      {google::protobuf::EnumValue::descriptor(), WellKnown::kNone},
      {google::protobuf::SourceContext::descriptor(), WellKnown::kNone},
      {google::protobuf::FieldDescriptorProto::descriptor(), WellKnown::kNone},
      {google::protobuf::DescriptorProto::ExtensionRange::descriptor(),
       WellKnown::kNone},
      {google::protobuf::Struct::descriptor()->nested_type(0),  // FieldsEntry
       WellKnown::kNone},
  };
  for (const auto& [type, kind] : kCases) {
    EXPECT_EQ(WellKnownOf(*type), kind) << type->full_name();
  }
}

TEST(TimestampTest, FormatsWithThreeSixOrNineDigits) {
  EXPECT_EQ(Timestamp(0, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Timestamp(1795507200, 10000000), "2026-11-24T08:00:00.010Z");
  EXPECT_EQ(Timestamp(1795507200, 123456000), "2026-11-24T08:00:00.123456Z");
  EXPECT_EQ(Timestamp(1795507200, 1), "2026-11-24T08:00:00.000000001Z");
  EXPECT_EQ(Timestamp(253402300799, 0), "9999-12-31T23:59:59Z");
  char text[kMaxTimeText];
  size_t size;
  EXPECT_FALSE(FormatTimestamp(253402300800, 0, text, &size).ok());
  EXPECT_FALSE(FormatTimestamp(0, -1, text, &size).ok());
}

TEST(TimestampTest, ParsesRfc3339AndPythonIsoformat) {
  struct Case {
    const char* text;
    int64_t seconds;
    int32_t nanos;
  };
  const Case kCases[] = {
      {"2026-11-24T08:00:00Z", 1795507200, 0},
      {"2026-11-24T08:00:00.5Z", 1795507200, 500000000},
      {"2026-11-24T10:00:00+02:00", 1795507200, 0},
      {"2026-11-24T07:30:00.000001-00:30", 1795507200, 1000},
      {"2026-11-24T08:00:00.123456", 1795507200, 123456000},  // naive: UTC
      {"2026-11-24 08:00:00", 1795507200, 0},   // oslo notification style
      {"2024-02-29T00:00:00Z", 1709164800, 0},  // a leap day
      {"2026-12-31T23:59:60Z", 1798761600, 0},  // a leap second: next minute
      {"0001-01-01T00:00:00Z", -62135596800, 0},
      {"9999-12-31T23:59:59.999999999Z", 253402300799, 999999999},
  };
  for (const Case& c : kCases) {
    int64_t seconds = 0;
    int32_t nanos = 0;
    absl::Status status = ParseTimestamp(c.text, &seconds, &nanos);
    ASSERT_TRUE(status.ok()) << c.text << ": " << status;
    EXPECT_EQ(seconds, c.seconds) << c.text;
    EXPECT_EQ(nanos, c.nanos) << c.text;
  }
  for (const char* bad :
       {"", "2026-11-24", "2026-13-24T08:00:00Z", "2026-11-24T08:00:00.Z",
        "2026-11-24T08:00:00.1234567890Z", "2026-11-24T08:00:00+2:00",
        "2026-11-24T08:00:00 UTC", "not a time at all, honestly",
        "2023-02-29T00:00:00Z", "2026-11-24T24:00:00Z", "2026-1-24T08:00:00Z",
        "0000-12-31T23:59:59Z"}) {
    int64_t seconds;
    int32_t nanos;
    absl::Status status = ParseTimestamp(bad, &seconds, &nanos);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), ::testing::HasSubstr("RFC 3339")) << bad;
  }
}

// Against absl's civil time, every few hours across the whole range, and
// back.
TEST(TimestampTest, AgreesWithAbslAcrossTheRange) {
  const absl::CivilSecond epoch(1970, 1, 1, 0, 0, 0);
  for (int64_t seconds = -62135596800; seconds <= 253402300799;
       seconds += 7 * 86400 + 1234) {
    const absl::CivilSecond civil = epoch + seconds;
    const std::string want = absl::StrFormat(
        "%04d-%02d-%02dT%02d:%02d:%02dZ", civil.year(), civil.month(),
        civil.day(), civil.hour(), civil.minute(), civil.second());
    ASSERT_EQ(Timestamp(seconds, 0), want) << seconds;
    int64_t parsed;
    int32_t nanos;
    ASSERT_TRUE(ParseTimestamp(want, &parsed, &nanos).ok()) << want;
    ASSERT_EQ(parsed, seconds) << want;
  }
}

TEST(DurationTest, FormatsAndParsesProto3Json) {
  EXPECT_EQ(Duration(0, 0), "0s");
  EXPECT_EQ(Duration(1, 500000000), "1.500s");
  EXPECT_EQ(Duration(-3, -1000), "-3.000001s");
  EXPECT_EQ(Duration(0, -1), "-0.000000001s");
  // The longest texts, and the range's ends.
  EXPECT_EQ(Duration(-315576000000, -999999999), "-315576000000.999999999s");
  EXPECT_EQ(Duration(315576000000, 999999999), "315576000000.999999999s");
  EXPECT_EQ(Timestamp(-62135596800, 999999999),
            "0001-01-01T00:00:00.999999999Z");
  char text[kMaxTimeText];
  size_t size;
  EXPECT_FALSE(FormatDuration(1, -1, text, &size).ok());  // mixed signs

  int64_t seconds;
  int32_t nanos;
  ASSERT_TRUE(ParseDuration("-0.25s", &seconds, &nanos).ok());
  EXPECT_EQ(seconds, 0);
  EXPECT_EQ(nanos, -250000000);
  ASSERT_TRUE(ParseDuration("90s", &seconds, &nanos).ok());
  EXPECT_EQ(seconds, 90);
  for (const char* bad : {"", "s", "1", "1.s", "1m", "--1s", "1.5 s"}) {
    EXPECT_FALSE(ParseDuration(bad, &seconds, &nanos).ok()) << bad;
  }
}

}  // namespace
}  // namespace amqp::transcode
