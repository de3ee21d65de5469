// PyJsonWriter against what Python's json.dumps writes (the expected
// strings were produced by Python 3.11's json module): re-encoding parsed
// documents, driving it by hand, and the text it gathers before a flush.

#include "bridge/oslo/py_json_writer.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/json_parse.h"
#include "tests/oslo/test_util.h"

namespace amqp::oslo {
namespace {

using ::amqp::oslo::testing::Reencode;

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

}  // namespace
}  // namespace amqp::oslo
