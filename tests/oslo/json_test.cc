// PyJsonWriter and friends against what Python's json.dumps writes (the
// expected strings were produced by Python 3.11's json module), and the
// parser's limits.

#include "bridge/oslo/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bridge/oslo/ids.h"
#include "tests/oslo/test_util.h"

namespace amqp::oslo {
namespace {

using ::testing::HasSubstr;

std::string PyString(absl::string_view utf8) {
  std::string out;
  AppendPyJsonString(utf8, &out);
  return out;
}

// `text` with the room after it that ParseJsonInsitu reads.
std::string Padded(std::string text) {
  text.reserve(text.size() + kInsituPadding);
  return text;
}

std::string Reencode(absl::string_view json) {
  JsonDocument doc = NewJsonDocument();
  const absl::Status s = ParseJson(json, &doc);
  EXPECT_TRUE(s.ok()) << s;
  return ToPyJson(doc);
}

TEST(PyJsonStringTest, EscapesLikeEnsureAscii) {
  EXPECT_EQ(PyString("plain"), "\"plain\"");
  EXPECT_EQ(PyString(""), "\"\"");
  EXPECT_EQ(PyString("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x90\x8d"),
            R"("h\u00e9llo \u2713 \ud83d\udc0d")");
  EXPECT_EQ(PyString(std::string("\x00\x01\x1f\x7f\"\\/\n\r\t\b\f", 12)),
            R"("\u0000\u0001\u001f\u007f\"\\/\n\r\t\b\f")");
  // Japanese, as in call_basic.
  EXPECT_EQ(PyString("\xe6\x97\xa5\xe6\x9c\xac"), R"("\u65e5\u672c")");
}

TEST(PyJsonStringTest, EscapesAtEveryPlace) {
  // The plain runs are found sixteen bytes at a time, the last few too:
  // every length around that, every place of the byte to escape.
  const std::pair<std::string, std::string> escapes[] = {
      {"\"", R"(\")"},       {"\\", R"(\\)"},           {"\x1f", R"(\u001f)"},
      {"\x7f", R"(\u007f)"}, {"\xc3\xa9", R"(\u00e9)"}, {"\xff", R"(\ufffd)"}};
  for (size_t size = 0; size <= 40; ++size) {
    const std::string plain(size, 'p');
    EXPECT_EQ(PyString(plain), "\"" + plain + "\"");
    for (size_t at = 0; at < size; ++at) {
      for (const auto& [raw, escaped] : escapes) {
        const std::string text = plain.substr(0, at) + raw + plain.substr(at);
        const std::string want =
            "\"" + plain.substr(0, at) + escaped + plain.substr(at) + "\"";
        EXPECT_EQ(PyString(text), want) << size << " " << at;
        std::string written;
        PyJsonWriter writer(&written);
        writer.String(text);
        EXPECT_EQ(written, want) << size << " " << at;
      }
    }
  }
}

TEST(PyJsonStringTest, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(PyString("a\xff"
                     "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(PyString("\xc3"), R"("\ufffd")");            // truncated
  EXPECT_EQ(PyString("\xc0\xaf"), R"("\ufffd\ufffd")");  // overlong
}

TEST(PyJsonStringTest, EncodedSurrogatesStayParsable) {
  // A lone low surrogate is what RapidJSON stores for "\udc00": kept.
  EXPECT_EQ(PyString("\xed\xb0\x80"), R"("\udc00")");
  // A high one only with a low one after it (found by fuzzing: a lone
  // "\ud924" made a failure text that DecodeFailure refused).
  EXPECT_EQ(PyString("\xed\xa0\x80\xed\xb0\x80"), R"("\ud800\udc00")");
  EXPECT_EQ(PyString("\xed\xa4\xa4n"), R"("\ufffdn")");
  EXPECT_EQ(PyString("\xed\xa4\xa4"), R"("\ufffd")");
  EXPECT_EQ(PyString("\xed\xa4\xa4\xed\xa4\xa4\xed\xb0\x80"),
            R"("\ufffd\ud924\udc00")");
  for (const std::string text :
       {"\xed\xb0\x80", "\xed\xa0\x80\xed\xb0\x80", "\xed\xa4\xa4n",
        "a\xed\xa4\xa4\xed\xa4\xa4\xed\xb0\x80", "\xed\xbf\xbf\xed\xa0\x80"}) {
    std::string json;
    AppendPyJsonString(text, &json);
    JsonDocument doc = NewJsonDocument();
    EXPECT_TRUE(ParseJson(json, &doc).ok()) << json;
  }
}

TEST(PyFloatTest, MatchesPythonReprForEveryGolden) {
  const std::string text =
      testing::ReadFileOrDie(testing::TestdataPath("float_repr.txt"));
  int checked = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    ASSERT_EQ(parts.size(), 2u) << line;
    uint64_t bits = 0;
    ASSERT_TRUE(absl::SimpleHexAtoi(parts[0], &bits)) << line;
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    std::string out;
    AppendPyFloat(value, &out);
    EXPECT_EQ(out, parts[1]) << "bits " << parts[0];
    ++checked;
  }
  EXPECT_GT(checked, 800);
}

TEST(PyFloatTest, SpecialValuesAndFormatBoundaries) {
  const auto repr = [](double d) {
    std::string out;
    AppendPyFloat(d, &out);
    return out;
  };
  EXPECT_EQ(repr(1.0), "1.0");
  EXPECT_EQ(repr(1e-07), "1e-07");
  EXPECT_EQ(repr(0.0001), "0.0001");
  EXPECT_EQ(repr(0.00001), "1e-05");
  EXPECT_EQ(repr(1e16), "1e+16");
  EXPECT_EQ(repr(1e15), "1000000000000000.0");
  EXPECT_EQ(repr(1.5e300), "1.5e+300");
  EXPECT_EQ(repr(-0.0), "-0.0");
  EXPECT_EQ(repr(std::nan("")), "NaN");
  EXPECT_EQ(repr(HUGE_VAL), "Infinity");
  EXPECT_EQ(repr(-HUGE_VAL), "-Infinity");
}

TEST(PyJsonWriterTest, ReencodesLikeJsonDumps) {
  // Compact input comes out with Python's separators; order is kept.
  EXPECT_EQ(Reencode(R"({"a":[1,2.5,{"b":null}],"c":{},"d":[],"e":true,)"
                     R"("f":"\u00fc"})"),
            R"({"a": [1, 2.5, {"b": null}], "c": {}, "d": [], "e": true, )"
            R"("f": "\u00fc"})");
  EXPECT_EQ(Reencode("[NaN, Infinity, -Infinity, 1000000000000000000, "
                     "-9223372036854775808, 18446744073709551615]"),
            "[NaN, Infinity, -Infinity, 1000000000000000000, "
            "-9223372036854775808, 18446744073709551615]");
  // Raw UTF-8 in is escaped out; floats keep Python's repr.
  EXPECT_EQ(Reencode("[\"\xe2\x9c\x93\", 9007199254740993, 3.14159, 1e-07, "
                     "1E2, -0, 2.0]"),
            R"(["\u2713", 9007199254740993, 3.14159, 1e-07, 100.0, 0, 2.0])");
  EXPECT_EQ(Reencode(R"("\ud83d\udc0d")"), R"("\ud83d\udc0d")");
  EXPECT_EQ(Reencode("\"a\\u0000b\""), R"("a\u0000b")");
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

TEST(PyJsonWriterTest, DrivenByHandInsertsSeparators) {
  JsonDocument args = NewJsonDocument();
  ASSERT_TRUE(ParseJson(R"({"x": [1, {"y": "z"}]})", &args).ok());
  std::string out;
  PyJsonWriter writer(&out);
  writer.StartObject();
  writer.Key("method");
  writer.String("echo");
  writer.Key("args");
  args.Accept(writer);
  writer.Key("raw");
  writer.RawValue(R"({"pre": "encoded"})");
  writer.Key("list");
  writer.StartArray();
  writer.Int(-1);
  writer.Uint64(18446744073709551615u);
  writer.Double(0.5);
  writer.Bool(false);
  writer.Null();
  writer.RawValue("[]");
  writer.EndArray();
  writer.EndObject();
  EXPECT_TRUE(writer.IsComplete());
  EXPECT_EQ(out,
            R"({"method": "echo", "args": {"x": [1, {"y": "z"}]}, )"
            R"("raw": {"pre": "encoded"}, )"
            R"("list": [-1, 18446744073709551615, 0.5, false, null, []]})");
}

TEST(PyJsonWriterTest, RefusesMisplacedKeysAndEnds) {
  std::string out;
  PyJsonWriter writer(&out);
  EXPECT_FALSE(writer.Key("top-level key"));
  EXPECT_FALSE(writer.EndObject());
  writer.StartArray();
  EXPECT_FALSE(writer.Key("in an array"));
  EXPECT_FALSE(writer.EndObject());
  EXPECT_FALSE(writer.IsComplete());
  EXPECT_TRUE(writer.EndArray());
  EXPECT_TRUE(writer.IsComplete());
}

TEST(PyJsonWriterTest, PlainKeysAreWrittenAsTheyAre) {
  std::string out;
  PyJsonWriter writer(&out);
  EXPECT_FALSE(writer.PlainKey("top_level"));
  writer.StartObject();
  EXPECT_TRUE(writer.PlainKey("instance_uuid"));
  EXPECT_FALSE(writer.PlainKey("twice"));
  writer.Int(1);
  writer.PlainKey("b");
  writer.StartArray();
  EXPECT_FALSE(writer.PlainKey("in_an_array"));
  writer.EndArray();
  writer.EndObject();
  EXPECT_EQ(out, R"({"instance_uuid": 1, "b": []})");
}

TEST(PyJsonWriterTest, PlainKeysAtEveryPlaceOfTheGatheredText) {
  // A plain key and its separators are written after one look at the room
  // left: keys of many sizes at every place in the buffer, at its end, and
  // longer than it.
  std::string want = "{";
  std::string out;
  PyJsonWriter writer(&out);
  writer.StartObject();
  for (int round = 0; round < 40; ++round) {
    for (size_t size : {0, 1, 3, 7, 8, 15, 16, 17, 31, 600}) {
      const std::string key(size, static_cast<char>('a' + round % 26));
      EXPECT_TRUE(writer.PlainKey(key));
      writer.Int(round);
      want +=
          absl::StrCat(want.size() == 1 ? "" : ", ", "\"", key, "\": ", round);
    }
  }
  writer.EndObject();
  want += "}";
  EXPECT_EQ(out, want);
}

TEST(PyJsonWriterTest, PlainStringsAreValuesAsTheyAre) {
  std::string out;
  PyJsonWriter writer(&out);
  writer.StartArray();
  writer.PlainString("RUNNING");
  writer.StartObject();
  writer.PlainKey("at");
  writer.PlainString("2026-11-25T16:00:00Z");
  writer.EndObject();
  writer.PlainString("");
  writer.EndArray();
  EXPECT_EQ(out, R"(["RUNNING", {"at": "2026-11-25T16:00:00Z"}, ""])");
  // Alone, it is the whole text as soon as it is written.
  std::string alone;
  PyJsonWriter alone_writer(&alone);
  alone_writer.PlainString("1.5s");
  EXPECT_EQ(alone, R"("1.5s")");
}

TEST(PyJsonWriterTest, StringsAtEveryPlaceOfTheGatheredText) {
  // Short strings are copied into the writer's buffer and scanned there,
  // with loads past their end over what earlier tokens left (quotes,
  // commas): every size around the scan's sixteen bytes and the copy's
  // limit, at every place in the buffer up to its end. Plain strings
  // first, which never empty the buffer early; then ones to escape (which
  // do), each after plain strings that take it to some other place.
  std::string want = "[";
  std::string out;
  PyJsonWriter writer(&out);
  writer.StartArray();
  bool first = true;
  auto add = [&](const std::string& text, const std::string& json) {
    writer.String(text);
    want += (first ? "" : ", ") + json;
    first = false;
  };
  auto add_plain = [&](const std::string& text) {
    add(text, "\"" + text + "\"");
  };
  for (size_t pad = 0; pad < 24; ++pad) {
    for (size_t size = 0; size <= 140; ++size) {
      add_plain(std::string(pad, 'p'));
      add_plain(std::string(size, static_cast<char>('a' + size % 26)));
    }
  }
  for (size_t size = 1; size <= 140; ++size) {
    const std::string plain(size, static_cast<char>('a' + size % 26));
    for (size_t at : {size_t{0}, size / 2, size - 1}) {
      for (size_t i = 0; i < (size + at) % 5; ++i) {
        add_plain(std::string(98, 'f'));
      }
      add_plain(std::string((size * 7 + at) % 100, 'g'));
      std::string text = plain;
      text[at] = '\x01';
      std::string json = "\"" + plain + "\"";
      json.replace(at + 1, 1, R"(\u0001)");
      add(text, json);
    }
  }
  writer.EndArray();
  want += "]";
  EXPECT_EQ(out, want);
}

TEST(PyJsonWriterTest, TheTextIsWholeOnceTheValueIsComplete) {
  std::string want = "[";
  std::string out;
  PyJsonWriter writer(&out);
  writer.StartArray();
  const std::string big(5000, 'b');
  for (int i = 0; i < 1000; ++i) {
    if (i > 0) want += ", ";
    if (i % 250 == 7) {
      writer.String(big);  // longer than what the writer gathers
      want += "\"" + big + "\"";
    } else if (i % 3 == 0) {
      writer.String("caf\xc3\xa9");  // escaped
      want += R"("caf\u00e9")";
    } else {
      writer.Int(-i);
      want += std::to_string(-i);
    }
  }
  writer.EndArray();
  want += "]";
  ASSERT_TRUE(writer.IsComplete());
  EXPECT_EQ(out, want);  // the writer still alive
  writer.Null();         // a second top-level value: appended at once
  EXPECT_EQ(out, want + "null");
}

std::string Nested(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
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

TEST(IdsTest, Uuid4Format) {
  const std::string hex = NewUuid4Hex();
  ASSERT_EQ(hex.size(), 32u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(hex[12], '4');
  EXPECT_NE(std::string("89ab").find(hex[16]), std::string::npos);
  const std::string dashed = NewUuid4();
  ASSERT_EQ(dashed.size(), 36u);
  for (int i : {8, 13, 18, 23}) EXPECT_EQ(dashed[i], '-') << dashed;
  EXPECT_EQ(dashed[14], '4');
  EXPECT_NE(std::string("89ab").find(dashed[19]), std::string::npos);
}

TEST(IdsTest, UniqueAcrossThreads) {
  std::vector<std::vector<std::string>> ids(4);
  std::vector<std::thread> threads;
  for (auto& out : ids) {
    threads.emplace_back([&out] {
      for (int i = 0; i < 5000; ++i) out.push_back(NewUuid4Hex());
    });
  }
  for (std::thread& t : threads) t.join();
  absl::flat_hash_set<std::string> seen;
  for (const auto& out : ids) seen.insert(out.begin(), out.end());
  EXPECT_EQ(seen.size(), 20000u);
}

}  // namespace
}  // namespace amqp::oslo
