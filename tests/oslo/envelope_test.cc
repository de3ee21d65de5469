// The 2.0 envelope: byte-exact wrapping and what ParsedMessage accepts.

#include "bridge/oslo/envelope.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "bridge/oslo/json.h"
#include "tests/oslo/test_util.h"

namespace amqp::oslo {
namespace {

using ::testing::HasSubstr;

TEST(EnvelopeTest, AppendMatchesOslo) {
  std::string out = "prefix:";
  AppendEnvelope(R"({"result": "\u2713", "ending": true})", &out);
  EXPECT_EQ(out, R"(prefix:{"oslo.version": "2.0", "oslo.message": )"
                 R"("{\"result\": \"\\u2713\", \"ending\": true}"})");
}

TEST(EnvelopeTest, ReproducesACapturedBody) {
  const std::string body = testing::VectorBody("call_returns_none.json", 1);
  JsonDocument outer = NewJsonDocument();
  ASSERT_TRUE(ParseJson(body, &outer).ok());
  const rapidjson::Value& inner = outer["oslo.message"];
  std::string rebuilt;
  AppendEnvelope(absl::string_view(inner.GetString(), inner.GetStringLength()),
                 &rebuilt);
  EXPECT_EQ(rebuilt, body);
}

TEST(ParsedMessageTest, UnwrapsTheEnvelope) {
  absl::StatusOr<ParsedMessage> parsed =
      ParsedMessage::Parse(testing::VectorBody("call_basic.json", 0));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->enveloped());
  EXPECT_STREQ(parsed->message()["method"].GetString(), "echo");
  EXPECT_EQ(parsed->message()["args"]["big"].GetUint64(), 9007199254740993u);
}

TEST(ParsedMessageTest, TakesABareDictAsTheMessage) {
  absl::StatusOr<ParsedMessage> parsed = ParsedMessage::Parse(
      testing::VectorBody("manual_no_envelope_request.json", 0));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->enveloped());
  EXPECT_STREQ(parsed->message()["args"]["probe"].GetString(), "noenv");
  // Only one envelope key: deserialize_msg takes the dict as it is.
  parsed = ParsedMessage::Parse(R"({"oslo.version": "9.9", "x": 1})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->enveloped());
  EXPECT_EQ(parsed->message()["x"].GetInt(), 1);
}

TEST(ParsedMessageTest, VersionCompatibility) {
  const auto parse = [](absl::string_view version) {
    return ParsedMessage::Parse(absl::StrCat(
        R"({"oslo.version": )", version, R"(, "oslo.message": "{\"a\": 1}"})"));
  };
  EXPECT_TRUE(parse(R"("2.0")").ok());
  EXPECT_TRUE(parse(R"("2.0.0")").ok());
  for (const char* bad : {R"("3.0")", R"("1.0")", R"("2.1")", R"("2.0.1")",
                          R"("2")", R"("two")", "2.0", "null"}) {
    absl::StatusOr<ParsedMessage> parsed = parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(),
                HasSubstr("unsupported oslo.version"))
        << bad;
  }
  EXPECT_THAT(parse(R"("3.0")").status().message(), HasSubstr("\"3.0\""));
}

TEST(ParsedMessageTest, RefusesMalformedBodies) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "message body is not JSON: invalid JSON at offset"},
      {"[1, 2]", "message body is an array, not a JSON object"},
      {"\"str\"", "message body is a string"},
      {std::string("{}\0{}", 4), "NUL byte"},
      {R"({"oslo.version": "2.0", "oslo.message": {"method": "m"}})",
       "oslo.message is an object, not a string"},
      {R"({"oslo.version": "2.0", "oslo.message": "{\"a\": "})",
       "oslo.message is not JSON: invalid JSON"},
      {R"({"oslo.version": "2.0", "oslo.message": "[1]"})",
       "oslo.message holds an array, not a JSON object"},
      {R"({"oslo.version": "2.0", "oslo.message": "{}\u0000x"})",
       "NUL character"},
  };
  for (const auto& [body, want] : cases) {
    absl::StatusOr<ParsedMessage> parsed = ParsedMessage::Parse(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr(want)) << body;
  }
}

TEST(ParsedMessageTest, PointersSurviveMoves) {
  absl::StatusOr<ParsedMessage> parsed =
      ParsedMessage::Parse(testing::VectorBody("call_basic.json", 0));
  ASSERT_TRUE(parsed.ok());
  const rapidjson::Value* message = &parsed->message();
  const char* method = parsed->message()["method"].GetString();
  std::vector<ParsedMessage> moved;
  moved.push_back(*std::move(parsed));
  for (int i = 0; i < 8; ++i) {  // reallocations move the elements again
    moved.push_back(*ParsedMessage::Parse("{}"));
  }
  EXPECT_EQ(&moved[0].message(), message);
  EXPECT_EQ(moved[0].message()["method"].GetString(), method);
  EXPECT_STREQ(method, "echo");
}

}  // namespace
}  // namespace amqp::oslo
