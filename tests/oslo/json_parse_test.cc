// ParseJson and ParseJsonInsitu: numbers as Python's json.loads reads them,
// the nesting limit, errors with their offset, and in-place parsing that
// stays inside its text.

#include "bridge/oslo/json_parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/oslo/test_util.h"

namespace amqp::oslo {
namespace {

using ::amqp::oslo::testing::Reencode;
using ::testing::HasSubstr;

// `text` with the room after it that ParseJsonInsitu reads.
std::string Padded(std::string text) {
  text.reserve(text.size() + kInsituPadding);
  return text;
}

std::string Nested(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(ParseJsonTest, InsituStaysInsideTheText) {
  // Texts ending in a truncated UTF-8 sequence: RapidJSON's validator took
  // (and wrote back) the continuation bytes the lead byte announces, past the
  // terminating NUL (found by fuzzing; ASan: heap-buffer-overflow). After an
  // escape the output lags the input, so the byte after the NUL was copied
  // over the NUL.
  for (const std::string text :
       {"\"\\n\xef", "\"\\t\xf0\x9f", "{\"k\": \"\\u00e9\xe2", "\"\xc3"}) {
    std::vector<char> buffer(text.begin(), text.end());
    buffer.push_back('\0');
    buffer.push_back('X');
    buffer.push_back('Y');
    JsonDocument doc = NewJsonDocument();
    const absl::Status status = ParseJsonInsitu(buffer.data(), &doc);
    EXPECT_THAT(status.message(), HasSubstr("Invalid encoding")) << text;
    EXPECT_EQ(buffer[text.size()], '\0') << text;
    EXPECT_EQ(buffer[text.size() + 1], 'X') << text;
    EXPECT_EQ(buffer[text.size() + 2], 'Y') << text;
  }
}

TEST(ParseJsonTest, NumbersAsPythonReadsThem) {
  // A zero significand with a large exponent: RapidJSON 1.1.0's full
  // precision conversion made 6.5e+296 of "0e99" (found by fuzzing).
  EXPECT_EQ(Reencode("[0e99, 0.000e300, -0e200, 0E+22, 0e-400]"),
            "[0.0, 0.0, -0.0, 0.0, 0.0]");
  // Overflow and underflow as in Python's json.loads.
  EXPECT_EQ(Reencode("[2e308, -2e308, 1e-400, -1e-400, 5e-324]"),
            "[Infinity, -Infinity, 0.0, -0.0, 5e-324]");
  // Integers stay integers while they fit 64 bits; beyond, doubles.
  EXPECT_EQ(Reencode("[18446744073709551615, 18446744073709551616, "
                     "-9223372036854775808, -9223372036854775809, -0]"),
            "[18446744073709551615, 1.8446744073709552e+19, "
            "-9223372036854775808, -9.223372036854776e+18, 0]");
  // Correct rounding on a halfway case and on long inputs.
  EXPECT_EQ(
      Reencode("[9007199254740993.0, 0.1000000000000000055511151231257827,"
               " 2.2250738585072011e-308]"),
      "[9007199254740992.0, 0.1, 2.225073858507201e-308]");
  JsonDocument doc = NewJsonDocument();
  ASSERT_TRUE(ParseJson("[1, -1, 4294967296, 1.5]", &doc).ok());
  EXPECT_TRUE(doc[0].IsInt() && doc[0].IsUint() && doc[0].GetInt() == 1);
  EXPECT_TRUE(doc[1].IsInt() && !doc[1].IsUint() && doc[1].GetInt() == -1);
  EXPECT_TRUE(doc[2].IsInt64() && !doc[2].IsInt());
  EXPECT_TRUE(doc[3].IsDouble());
  std::string insitu = Padded("{\"a\": 0e99, \"b\": -12}");
  ASSERT_TRUE(ParseJsonInsitu(insitu.data(), &doc).ok());
  EXPECT_EQ(doc["a"].GetDouble(), 0.0);
  EXPECT_EQ(doc["b"].GetInt(), -12);
}

TEST(ParseJsonTest, DepthLimit) {
  JsonDocument doc = NewJsonDocument();
  EXPECT_TRUE(ParseJson(Nested(kMaxJsonDepth), &doc).ok());
  absl::Status s = ParseJson(Nested(kMaxJsonDepth + 1), &doc);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("deeper than 64"));
  EXPECT_TRUE(doc.IsNull());
  EXPECT_FALSE(ParseJson(Nested(3), &doc, /*max_depth=*/2).ok());
  // Objects count too.
  std::string objects;
  for (int i = 0; i < 70; ++i) objects += "{\"a\":";
  objects += "1" + std::string(70, '}');
  EXPECT_THAT(ParseJson(objects, &doc).message(), HasSubstr("deeper than"));
}

TEST(ParseJsonTest, PruningReplacesWhatIsTooDeepWithNull) {
  JsonDocument doc = NewJsonDocument();
  bool pruned = true;
  std::string shallow = Padded(R"({"a": [[1]], "b": 2})");
  ASSERT_TRUE(ParseJsonInsituPruning(shallow.data(), &doc, &pruned, 3).ok());
  EXPECT_FALSE(pruned);
  EXPECT_EQ(ToPyJson(doc), R"({"a": [[1]], "b": 2})");
  // Level 4 and below become one null each; the rest is read on.
  std::string deep = Padded(
      R"({"a": [[{"x": [1, {"y": "z"}]}, 2], [3]], "b": {"c": [[4]]}, "d": 5})");
  ASSERT_TRUE(ParseJsonInsituPruning(deep.data(), &doc, &pruned, 3).ok());
  EXPECT_TRUE(pruned);
  EXPECT_EQ(ToPyJson(doc),
            R"({"a": [[null, 2], [3]], "b": {"c": [null]}, "d": 5})");
  // A million levels, read without recursion.
  std::string brackets = Padded(Nested(1 << 20));
  ASSERT_TRUE(ParseJsonInsituPruning(brackets.data(), &doc, &pruned).ok());
  EXPECT_TRUE(pruned);
  EXPECT_EQ(ToPyJson(doc), std::string(kMaxJsonDepth, '[') + "null" +
                               std::string(kMaxJsonDepth, ']'));
  // Invalid JSON is still refused.
  std::string open = Padded(std::string(1000, '['));
  EXPECT_THAT(ParseJsonInsituPruning(open.data(), &doc, &pruned).message(),
              HasSubstr("invalid JSON"));
}

TEST(ParseJsonTest, MegabyteOfBracketsDoesNotCrash) {
  const std::string brackets(1 << 20, '[');
  JsonDocument doc = NewJsonDocument();
  EXPECT_THAT(ParseJson(brackets, &doc).message(), HasSubstr("deeper than"));
  std::string insitu = Padded(brackets);
  EXPECT_THAT(ParseJsonInsitu(insitu.data(), &doc).message(),
              HasSubstr("deeper than"));
  // Even with the limit lifted the parser is iterative: a clean error.
  EXPECT_THAT(ParseJson(brackets, &doc, 1 << 30).message(),
              HasSubstr("invalid JSON"));
}

TEST(ParseJsonTest, InvalidJsonHasMessageAndOffset) {
  JsonDocument doc = NewJsonDocument();
  for (const char* bad : {"", "{", "[1,]", "{'a': 1}", "{} x", "nul",
                          "{\"a\" 1}", "\"\xff\"", "[1e999999]x"}) {
    absl::Status s = ParseJson(bad, &doc);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("invalid JSON at offset")) << bad;
  }
  EXPECT_THAT(ParseJson("{} x", &doc).message(),
              HasSubstr("offset 3: The document root must not be followed"));
  // The view's length is honoured: no reading past it.
  const std::string padded = "[1]garbage";
  EXPECT_TRUE(ParseJson(absl::string_view(padded.data(), 3), &doc).ok());
  EXPECT_EQ(ToPyJson(doc), "[1]");
}

TEST(ParseJsonTest, InsituStringsPointIntoTheBuffer) {
  std::string text = Padded(R"({"k": "v\u00e9"})");
  JsonDocument doc = NewJsonDocument();
  ASSERT_TRUE(ParseJsonInsitu(text.data(), &doc).ok());
  const char* v = doc["k"].GetString();
  EXPECT_TRUE(v >= text.data() && v < text.data() + text.size());
  EXPECT_EQ(std::string(v, doc["k"].GetStringLength()), "v\xc3\xa9");
}

}  // namespace
}  // namespace amqp::oslo
