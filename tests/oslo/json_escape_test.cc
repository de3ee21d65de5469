// AppendPyJsonString (and PyJsonWriter's own copy of plain strings) against
// what Python's json.dumps writes (the expected strings were produced by
// Python 3.11's json module).

#include "bridge/oslo/json_escape.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "bridge/oslo/json_parse.h"
#include "bridge/oslo/py_json_writer.h"

namespace amqp::oslo {
namespace {

std::string PyString(absl::string_view utf8) {
  std::string out;
  AppendPyJsonString(utf8, &out);
  return out;
}

// `text` with the room after it that ParseJsonInsitu reads.

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

}  // namespace
}  // namespace amqp::oslo
