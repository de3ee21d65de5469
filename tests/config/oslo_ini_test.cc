#include "bridge/config/oslo_ini.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/config/test_files.h"

namespace amqp::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::vector<IniEntry> Parse(absl::string_view text) {
  absl::StatusOr<std::vector<IniEntry>> entries = ParseOsloIni(text);
  EXPECT_TRUE(entries.ok()) << entries.status();
  return entries.ok() ? *entries : std::vector<IniEntry>();
}

absl::Status ParseError(absl::string_view text) {
  absl::StatusOr<std::vector<IniEntry>> entries = ParseOsloIni(text);
  EXPECT_FALSE(entries.ok()) << "parsed: " << text;
  return entries.status();
}

TEST(OsloIniTest, SectionsKeysAndLines) {
  EXPECT_THAT(
      Parse("[DEFAULT]\n"
            "transport_url = rabbit://h/\n"
            "\n"
            "[oslo_messaging_rabbit]\n"
            "ssl=true\n"
            "heartbeat_timeout_threshold: 30\n"),
      ElementsAre(IniEntry{"DEFAULT", "transport_url", "rabbit://h/", 2},
                  IniEntry{"oslo_messaging_rabbit", "ssl", "true", 5},
                  IniEntry{"oslo_messaging_rabbit",
                           "heartbeat_timeout_threshold", "30", 6}));
}

TEST(OsloIniTest, EmptyTextAndCommentsOnly) {
  EXPECT_THAT(Parse(""), IsEmpty());
  EXPECT_THAT(Parse("# comment\n; comment\n\n"), IsEmpty());
}

TEST(OsloIniTest, FirstSeparatorSplitsKeyAndValue) {
  EXPECT_THAT(
      Parse("[s]\na: b=c\nd = e:f\ng =\n"),
      ElementsAre(IniEntry{"s", "a", "b=c", 2}, IniEntry{"s", "d", "e:f", 3},
                  IniEntry{"s", "g", "", 4}));
}

TEST(OsloIniTest, OnePairOfMatchingQuotesIsRemoved) {
  EXPECT_THAT(Parse("[s]\n"
                    "a = \"rabbit://u:p@h/\"\n"
                    "b = 'x y'\n"
                    "c = \"mismatched'\n"
                    "d = \"\n"
                    "e = \"\"quoted\"\"\n"),
              ElementsAre(IniEntry{"s", "a", "rabbit://u:p@h/", 2},
                          IniEntry{"s", "b", "x y", 3},
                          IniEntry{"s", "c", "\"mismatched'", 4},
                          IniEntry{"s", "d", "", 5},
                          IniEntry{"s", "e", "\"quoted\"", 6}));
}

TEST(OsloIniTest, NoInlineComments) {
  // oslo keeps everything after the separator: a ';' or '#' in a password
  // must survive.
  EXPECT_THAT(Parse("[s]\npassword = a ;b #c\n"),
              ElementsAre(IniEntry{"s", "password", "a ;b #c", 2}));
}

TEST(OsloIniTest, ContinuationLinesJoinWithNewlines) {
  EXPECT_THAT(
      Parse("[s]\n"
            "descriptor_set = a.pb\n"
            "    b.pb\n"
            "\tc.pb  \n"
            "\n"
            "next = 1\n"),
      ElementsAre(IniEntry{"s", "descriptor_set", "a.pb\nb.pb\nc.pb", 2},
                  IniEntry{"s", "next", "1", 6}));
}

TEST(OsloIniTest, CommentEndsAMultiLineValue) {
  EXPECT_THAT(
      Parse("[s]\na = 1\n# note\nb = 2\n"),
      ElementsAre(IniEntry{"s", "a", "1", 2}, IniEntry{"s", "b", "2", 4}));
}

TEST(OsloIniTest, SectionNamesAreLowercasedExceptDefault) {
  EXPECT_THAT(Parse("[GRPC_Amqp_Bridge]\na = 1\n[DEFAULT]\nb = 2\n"
                    "[Default]\nc = 3\n"),
              ElementsAre(IniEntry{"grpc_amqp_bridge", "a", "1", 2},
                          IniEntry{"DEFAULT", "b", "2", 4},
                          // oslo: only the exact name "DEFAULT" is DEFAULT.
                          IniEntry{"default", "c", "3", 6}));
}

TEST(OsloIniTest, KeysKeepTheirCase) {
  EXPECT_THAT(Parse("[s]\nSSL = 1\n"),
              ElementsAre(IniEntry{"s", "SSL", "1", 2}));
}

TEST(OsloIniTest, RepeatedKeysYieldOneEntryEach) {
  EXPECT_THAT(
      Parse("[s]\na = 1\na = 2\n"),
      ElementsAre(IniEntry{"s", "a", "1", 2}, IniEntry{"s", "a", "2", 3}));
}

TEST(OsloIniTest, CrLfAndByteOrderMark) {
  EXPECT_THAT(Parse("\xEF\xBB\xBF[DEFAULT]\r\na = 1\r\n  b\r\n"),
              ElementsAre(IniEntry{"DEFAULT", "a", "1\nb", 2}));
}

TEST(OsloIniTest, LongLinesAreKeptWhole) {
  // inih (Debian's build) splits lines at 200 bytes; oslo does not.
  std::string url = "rabbit://";
  for (int i = 0; i < 20; ++i) {
    absl::StrAppend(&url, i ? "," : "", "user:pass@host", i,
                    ".example.org:5672");
  }
  absl::StrAppend(&url, "/?ssl=true");
  ASSERT_GT(url.size(), 400u);
  EXPECT_THAT(Parse(absl::StrCat("[DEFAULT]\ntransport_url = ", url, "\n")),
              ElementsAre(IniEntry{"DEFAULT", "transport_url", url, 2}));
}

TEST(OsloIniTest, SyntaxErrorsNameTheLine) {
  absl::Status s = ParseError("[s]\n\nno separator here\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "line 3: no ':' or '=' found in assignment");

  EXPECT_EQ(ParseError("[s]\n= value\n").message(),
            "line 2: key cannot be empty");
  EXPECT_EQ(ParseError("[s\n").message(),
            "line 1: invalid section (must end with ])");
  EXPECT_EQ(ParseError("a = 1\n[]\n").message(),
            "line 1: section must be started before assignment");
  EXPECT_EQ(ParseError("[s]\n[]\n").message(), "line 2: empty section name");
  EXPECT_EQ(ParseError("  indented = 1\n").message(),
            "line 1: unexpected continuation line");
  EXPECT_EQ(ParseError("[s]\na = 1\n\n  b\n").message(),
            "line 4: unexpected continuation line");
  EXPECT_EQ(ParseError("x = 1").message(),
            "line 1: section must be started before assignment");
}

TEST(OsloIniTest, ErrorsNeverQuoteTheLine) {
  absl::Status s = ParseError("[database]\npassword TopSecret\n");
  EXPECT_THAT(s.message(), HasSubstr("line 2"));
  EXPECT_THAT(s.message(), Not(HasSubstr("TopSecret")));
}

TEST(OsloIniTest, ReadsFiles) {
  const std::string path =
      WriteTestFile("read.conf", "[DEFAULT]\ncontrol_exchange = nova\n");
  absl::StatusOr<std::vector<IniEntry>> entries = ReadOsloIniFile(path);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_THAT(*entries,
              ElementsAre(IniEntry{"DEFAULT", "control_exchange", "nova", 2}));
}

TEST(OsloIniTest, MissingFileNamesThePath) {
  const std::string path = WriteTestFile("x", "") + "-does-not-exist.conf";
  absl::StatusOr<std::vector<IniEntry>> entries = ReadOsloIniFile(path);
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(entries.status().message(), HasSubstr(path));
}

TEST(OsloIniTest, DirectoryIsNotAFile) {
  const std::string dir = ::testing::TempDir();
  absl::StatusOr<std::vector<IniEntry>> entries = ReadOsloIniFile(dir);
  EXPECT_FALSE(entries.ok());
  EXPECT_THAT(entries.status().message(), HasSubstr(dir));
}

TEST(OsloIniTest, FileSyntaxErrorsArePathColonLine) {
  const std::string path = WriteTestFile("bad.conf", "[DEFAULT]\n\nbroken\n");
  absl::StatusOr<std::vector<IniEntry>> entries = ReadOsloIniFile(path);
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(entries.status().message(),
            absl::StrCat(path, ":3: no ':' or '=' found in assignment"));
}

TEST(OsloIniTest, HugeFileIsRefused) {
  const std::string path = WriteTestFile(
      "huge.conf", absl::StrCat("[DEFAULT]\na = ",
                                std::string(kMaxIniFileBytes, 'x'), "\n"));
  absl::StatusOr<std::vector<IniEntry>> entries = ReadOsloIniFile(path);
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(entries.status().message(), HasSubstr("larger than"));
  EXPECT_THAT(entries.status().message(), HasSubstr(path));
}

TEST(OsloIniTest, DollarEscapes) {
  EXPECT_EQ(*UnescapeOsloValue("plain"), "plain");
  EXPECT_EQ(*UnescapeOsloValue("pa$$word"), "pa$word");
  EXPECT_EQ(*UnescapeOsloValue("$$$$"), "$$");
  // Not a placeholder: string.Template leaves these alone.
  EXPECT_EQ(*UnescapeOsloValue("cost$"), "cost$");
  EXPECT_EQ(*UnescapeOsloValue("a$1b$-c$@"), "a$1b$-c$@");
}

TEST(OsloIniTest, SubstitutionsAreRefused) {
  for (const char* value : {"$state_path/x", "${state_path}", "a$b", "$_x"}) {
    absl::StatusOr<std::string> out = UnescapeOsloValue(value);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_THAT(out.status().message(), HasSubstr("$$")) << value;
  }
}

}  // namespace
}  // namespace amqp::config
