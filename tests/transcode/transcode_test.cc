#include "bridge/transcode/transcode.h"

#include <google/protobuf/util/message_differencer.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/transcode/types.pb.h"

namespace amqp::transcode {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::Not;
using ::tests::transcode::OneField;
using ::tests::transcode::Presence;
using ::tests::transcode::Scalars;
using ::tests::transcode::TwoFields;
using ::tests::transcode::WellKnown;
using ::tests::transcode::WithAny;

std::string Args(const google::protobuf::Message& message,
                 absl::string_view skip = "") {
  std::string out;
  oslo::PyJsonWriter writer(&out);
  absl::Status status = WriteArgs(message, {.skip_field = skip}, &writer);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

std::string Result(const google::protobuf::Message& message,
                   absl::string_view result_field = "") {
  std::string out;
  oslo::PyJsonWriter writer(&out);
  absl::Status status = WriteResult(message, result_field, &writer);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

oslo::JsonDocument Json(absl::string_view text) {
  oslo::JsonDocument doc;
  absl::Status status = oslo::ParseJson(text, &doc);
  EXPECT_TRUE(status.ok()) << status << " in " << text;
  return doc;
}

absl::Status ReadArgsText(absl::string_view text,
                          google::protobuf::Message* message) {
  return ReadArgs(Json(text), message);
}

TEST(WriteArgsTest, ScalarsAreAlwaysSentAsPythonWritesThem) {
  EXPECT_EQ(Args(Scalars()),
            R"({"i32": 0, "i64": 0, "u32": 0, "u64": 0, "s64": 0, "f64": 0, )"
            R"("d": 0.0, "f": 0.0, "b": false, "s": "", "raw": "", )"
            R"("color": "COLOR_UNSPECIFIED"})");

  Scalars m;
  m.set_i32(-7);
  m.set_i64(9007199254740993);  // above 2^53: a number, not a string
  m.set_u32(4294967295u);
  m.set_u64(18446744073709551615u);
  m.set_s64(-9223372036854775807 - 1);
  m.set_f64(1);
  m.set_d(1e-07);
  m.set_f(0.1f);  // the float's shortest digits, not 0.10000000149011612
  m.set_b(true);
  m.set_s("w\xc3\xb6rld \xf0\x9f\x98\x80");
  m.set_raw(std::string("\x00\xff", 2));
  m.set_color(tests::transcode::GREEN);
  EXPECT_EQ(Args(m),
            R"({"i32": -7, "i64": 9007199254740993, "u32": 4294967295, )"
            R"("u64": 18446744073709551615, "s64": -9223372036854775808, )"
            R"("f64": 1, "d": 1e-07, "f": 0.1, "b": true, )"
            R"("s": "w\u00f6rld \ud83d\ude00", "raw": "AP8=", )"
            R"("color": "GREEN"})");
}

TEST(WriteArgsTest, FieldsWithPresenceOnlyWhenSetRepeatedAndMapsAlways) {
  Presence m;
  EXPECT_EQ(Args(m), R"({"items": [], "counts": {}, "by_id": {}, "flags": {}, )"
                     R"("colors": [], "host": ""})");

  m.set_maybe(0);  // set to its default: still sent
  m.mutable_inner()->set_name("x");
  m.set_number(5);
  m.add_items()->set_count(2);
  (*m.mutable_counts())["a"] = 1;
  (*m.mutable_by_id())[3].set_name("three");
  (*m.mutable_flags())[true] = "yes";
  m.add_colors(tests::transcode::RED);
  m.set_host("h1");
  EXPECT_EQ(Args(m, /*skip=*/"host"),
            R"({"maybe": 0, "inner": {"name": "x", "count": 0}, )"
            R"("number": 5, "items": [{"name": "", "count": 2}], )"
            R"("counts": {"a": 1}, "by_id": {"3": {"name": "three", )"
            R"("count": 0}}, "flags": {"true": "yes"}, "colors": ["RED"]})");
}

TEST(WriteArgsTest, WellKnownTypesArePlainJson) {
  WellKnown m;
  m.mutable_at()->set_seconds(1795507200);  // 2026-11-24T08:00:00Z
  m.mutable_at()->set_nanos(123000000);
  m.mutable_took()->set_seconds(1);
  m.mutable_took()->set_nanos(500000000);
  auto& fields = *m.mutable_meta()->mutable_fields();
  fields["n"].set_number_value(2);
  fields["l"].mutable_list_value()->add_values()->set_string_value("a");
  fields["z"].set_null_value(google::protobuf::NULL_VALUE);
  m.mutable_anything()->set_bool_value(true);
  m.mutable_list()->add_values()->set_number_value(1.5);
  m.mutable_big()->set_value(9007199254740993);
  m.mutable_label();  // set, holding "": the value, not null
  m.mutable_mask()->add_paths("a.b");
  m.mutable_mask()->add_paths("c");
  m.mutable_nothing();
  std::string args = Args(m);
  EXPECT_THAT(args, HasSubstr(R"("at": "2026-11-24T08:00:00.123Z")"));
  EXPECT_THAT(args, HasSubstr(R"("took": "1.500s")"));
  EXPECT_THAT(args, HasSubstr(R"("anything": true)"));
  EXPECT_THAT(args, HasSubstr(R"("list": [1.5])"));
  EXPECT_THAT(args, HasSubstr(R"("big": 9007199254740993)"));
  EXPECT_THAT(args, HasSubstr(R"("label": "")"));
  EXPECT_THAT(args, HasSubstr(R"("mask": "a.b,c")"));
  EXPECT_THAT(args, HasSubstr(R"("nothing": {})"));
  // Map order is unspecified: check the Struct by reading it back.
  oslo::JsonDocument doc = Json(args);
  EXPECT_EQ(oslo::ToPyJson(doc["meta"]["l"]), R"(["a"])");
  EXPECT_EQ(oslo::ToPyJson(doc["meta"]["n"]), "2.0");
  EXPECT_TRUE(doc["meta"]["z"].IsNull());
  EXPECT_FALSE(doc.HasMember("flag"));  // unset wrapper: not sent
}

TEST(WriteArgsTest, AnyIsRefusedWithAClearMessage) {
  WithAny m;
  m.mutable_any()->set_type_url("type.googleapis.com/x.Y");
  std::string out;
  oslo::PyJsonWriter writer(&out);
  absl::Status status = WriteArgs(m, {}, &writer);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("field 'any'"));
  EXPECT_THAT(status.message(), HasSubstr("google.protobuf.Any"));
}

TEST(WriteArgsTest, AnErrorInARepeatedMessageNamesTheFieldOnce) {
  WithAny m;
  m.add_anys()->set_type_url("type.googleapis.com/x.Y");
  std::string out;
  oslo::PyJsonWriter writer(&out);
  absl::Status status = WriteArgs(m, {}, &writer);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("field 'anys': "));
  EXPECT_THAT(status.message(), Not(HasSubstr("anys.anys")));
}

TEST(ReadArgsTest, RoundTripsEveryShape) {
  Scalars scalars;
  scalars.set_i64(-9007199254740993);
  scalars.set_u64(18446744073709551615u);
  scalars.set_d(-2.5);
  scalars.set_f(3.25f);
  scalars.set_s("\xe2\x82\xac");
  scalars.set_raw("bytes\n");
  scalars.set_color(tests::transcode::RED);

  Presence presence;
  presence.set_maybe(0);
  presence.mutable_inner()->set_count(-1);
  presence.set_text("t");
  (*presence.mutable_by_id())[-4].set_name("minus four");
  (*presence.mutable_flags())[false] = "no";
  presence.add_colors(tests::transcode::GREEN);

  WellKnown wkt;
  wkt.mutable_at()->set_seconds(-62135596800);  // year 1
  wkt.mutable_took()->set_seconds(-3);
  wkt.mutable_took()->set_nanos(-1000);
  (*wkt.mutable_meta()->mutable_fields())["k"].set_string_value("v");
  wkt.mutable_anything()->mutable_struct_value();
  wkt.mutable_big()->set_value(0);
  wkt.mutable_flag()->set_value(false);
  wkt.mutable_mask()->add_paths("x");

  for (const google::protobuf::Message* original :
       std::initializer_list<const google::protobuf::Message*>{
           &scalars, &presence, &wkt}) {
    std::unique_ptr<google::protobuf::Message> copy(original->New());
    absl::Status status = ReadArgsText(Args(*original), copy.get());
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_TRUE(MessageDifferencer::Equals(*original, *copy))
        << original->DebugString() << " vs " << copy->DebugString();
  }
}

TEST(ReadArgsTest, AcceptsWhatPythonPeersSend) {
  Scalars m;
  ASSERT_TRUE(ReadArgsText(R"({"i32": 3.0, "i64": "42", "u64": 1e3,
                               "color": 2, "d": 1, "s": null})",
                           &m)
                  .ok());
  EXPECT_EQ(m.i32(), 3);
  EXPECT_EQ(m.i64(), 42);
  EXPECT_EQ(m.u64(), 1000u);
  EXPECT_EQ(m.color(), tests::transcode::GREEN);
  EXPECT_EQ(m.d(), 1.0);
  EXPECT_EQ(m.s(), "");

  WellKnown w;
  ASSERT_TRUE(ReadArgsText(R"({"at": "2026-11-24 08:00:00.5",
                               "anything": null, "label": null})",
                           &w)
                  .ok());
  EXPECT_EQ(w.at().seconds(), 1795507200);
  EXPECT_EQ(w.at().nanos(), 500000000);
  EXPECT_TRUE(w.has_anything());  // null is a Value
  EXPECT_EQ(w.anything().kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_FALSE(w.has_label());  // null wrapper: unset
}

TEST(ReadArgsTest, BadArgumentsNameTheFieldAndTheProblem) {
  struct Case {
    const char* args;
    const char* message;
  };
  const Case kCases[] = {
      {R"({"nope": 1})", "unexpected argument 'nope'"},
      {R"({"i32": "x"})", "field 'i32': expected an integer, got the string"},
      {R"({"i32": 2147483648})", "field 'i32': 2147483648 is out of range"},
      {R"({"u32": -1})", "field 'u32': -1 is out of range"},
      {R"({"u64": 1e20})", "out of range"},
      {R"({"i64": 1.5})", "field 'i64': expected an integer, got a number"},
      {R"({"b": 1})", "field 'b': expected true or false, got a number"},
      {R"({"s": 5})", "field 's': expected a string"},
      {R"({"color": "BLUE"})", "\"BLUE\" is not a value of tests.transcode"},
      {R"({"raw": "!!"})", "field 'raw': bytes must be base64"},
      {R"({"f": 1e300})", "out of range of a float"},
      {"[1]", "expected an object, got an array"},
  };
  for (const Case& c : kCases) {
    Scalars m;
    absl::Status status = ReadArgsText(c.args, &m);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.args;
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.args;
  }
  Presence p;
  absl::Status status =
      ReadArgsText(R"({"items": [{"count": 1}, {"count": "two"}]})", &p);
  EXPECT_THAT(status.message(),
              HasSubstr("field 'items.count': expected an integer"));
  status = ReadArgsText(R"({"by_id": {"x": {}}})", &p);
  EXPECT_THAT(status.message(), HasSubstr("field 'by_id'"));
  status = ReadArgsText(R"({"inner": [1]})", &p);
  EXPECT_THAT(status.message(),
              HasSubstr("field 'inner': expected an object, got an array"));
  WellKnown w;
  status = ReadArgsText(R"({"at": "yesterday"})", &w);
  EXPECT_THAT(status.message(), HasSubstr("field 'at': not an RFC 3339"));
  status = ReadArgsText(R"({"took": "5 minutes"})", &w);
  EXPECT_THAT(status.message(), HasSubstr("field 'took': not a duration"));
}

TEST(ReadArgsTest, UnknownKeysInsideNestedObjectsAreIgnored) {
  Presence m;
  absl::Status status =
      ReadArgsText(R"({"inner": {"name": "n", "future": 1}})", &m);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(m.inner().name(), "n");
}

TEST(WriteResultTest, ResultFieldEmptyAndMessages) {
  OneField one;
  one.set_output("console text");
  EXPECT_EQ(Result(one, "output"), R"("console text")");
  EXPECT_EQ(Result(one), R"({"output": "console text"})");
  EXPECT_EQ(Result(google::protobuf::Empty()), "null");
  Presence p;
  EXPECT_EQ(Result(p, "inner"), "null");  // unset message field: None
  p.add_items()->set_name("a");
  EXPECT_EQ(Result(p, "items"), R"([{"name": "a", "count": 0}])");
  google::protobuf::Value v;
  v.set_string_value("plain");
  EXPECT_EQ(Result(v), R"("plain")");
}

TEST(ReadResultTest, FollowsTheDesignRules) {
  ResultStats stats;
  OneField one;
  // An object maps by name; unknown keys are counted.
  ASSERT_TRUE(ReadResult(Json(R"({"output": "x", "extra": 1, "more": {}})"), "",
                         &one, &stats)
                  .ok());
  EXPECT_EQ(one.output(), "x");
  EXPECT_EQ(stats.unknown_keys, 2);
  // null: an empty response.
  ASSERT_TRUE(ReadResult(Json("null"), "", &one, &stats).ok());
  EXPECT_EQ(one.output(), "");
  // A scalar goes into the only field.
  ASSERT_TRUE(ReadResult(Json(R"("only")"), "", &one, &stats).ok());
  EXPECT_EQ(one.output(), "only");
  // With result_field, the whole result goes there.
  Presence p;
  ASSERT_TRUE(
      ReadResult(Json(R"([{"name": "a"}, {"name": "b"}])"), "items", &p, &stats)
          .ok());
  ASSERT_EQ(p.items_size(), 2);
  EXPECT_EQ(p.items(1).name(), "b");
  // Empty ignores what came back.
  google::protobuf::Empty empty;
  EXPECT_TRUE(ReadResult(Json("true"), "", &empty, &stats).ok());
  // Struct takes any object as it is.
  google::protobuf::Struct st;
  ASSERT_TRUE(
      ReadResult(Json(R"({"a": [1, {"b": null}]})"), "", &st, &stats).ok());
  EXPECT_EQ(st.fields()
                .at("a")
                .list_value()
                .values(1)
                .struct_value()
                .fields()
                .at("b")
                .kind_case(),
            google::protobuf::Value::kNullValue);
}

TEST(ReadResultTest, AResultThatDoesNotFitIsInternal) {
  ResultStats stats;
  TwoFields two;
  absl::Status status = ReadResult(Json("42"), "", &two, &stats);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("a number does not fit "
                                          "tests.transcode.TwoFields"));
  OneField one;
  status = ReadResult(Json(R"({"output": 5})"), "", &one, &stats);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("field 'output': expected a string"));
  status = ReadResult(Json("1"), "missing", &one, &stats);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace amqp::transcode
