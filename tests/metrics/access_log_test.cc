#include "bridge/metrics/access_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace amqp::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

AccessLogEntry Entry() {
  AccessLogEntry entry;
  entry.time = absl::FromUnixMicros(1796638656123456);
  entry.method = "/examples.compute.Compute/GetInstance";
  entry.kind = "call";
  entry.exchange = "openstack";
  entry.routing_key = "compute.host1";
  entry.code = "NOT_FOUND";
  entry.duration = absl::Microseconds(1234);
  entry.request_id = "req-6f0c7f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
  entry.peer = "ipv4:127.0.0.1:40712";
  return entry;
}

std::string TestPath(absl::string_view name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

std::string ReadAll(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(AccessLogTest, OneLineWithEveryField) {
  EXPECT_EQ(FormatAccessLogLine(Entry()),
            "2026-12-07T10:17:36.123456Z "
            "method=/examples.compute.Compute/GetInstance kind=call "
            "exchange=openstack routing_key=compute.host1 code=NOT_FOUND "
            "duration=0.001234 "
            "request_id=req-6f0c7f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f "
            "peer=ipv4:127.0.0.1:40712");
}

TEST(AccessLogTest, OddValuesAreQuotedSoTheLineStaysOneLine) {
  AccessLogEntry entry = Entry();
  entry.routing_key = "";
  entry.request_id = "a b=\"c\"\\\nforged line";
  const std::string line = FormatAccessLogLine(entry);
  EXPECT_THAT(line, HasSubstr(" routing_key=\"\" "));
  EXPECT_THAT(line,
              HasSubstr(" request_id=\"a b=\\\"c\\\"\\\\\\x0aforged line\" "));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(AccessLogTest, WritesEveryLineBeforeItCloses) {
  const std::string path = TestPath("access.log");
  {
    absl::StatusOr<std::unique_ptr<AccessLog>> log = AccessLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = 0; i < 3000; ++i) (*log)->Write(absl::StrCat("line ", i));
    EXPECT_EQ((*log)->dropped(), 0u);
  }
  const std::vector<std::string> lines =
      absl::StrSplit(ReadAll(path), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3000u);
  EXPECT_EQ(lines.front(), "line 0");
  EXPECT_EQ(lines.back(), "line 2999");
}

TEST(AccessLogTest, LinesAppearWithoutClosing) {
  const std::string path = TestPath("live.log");
  absl::StatusOr<std::unique_ptr<AccessLog>> log = AccessLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status();
  (*log)->Write("first");
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (ReadAll(path).empty() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(ReadAll(path), "first\n");
}

TEST(AccessLogTest, AnUnopenablePathIsAnError) {
  absl::StatusOr<std::unique_ptr<AccessLog>> log =
      AccessLog::Open(TestPath("no/such/dir/access.log"));
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(log.status().message()),
              StartsWith("cannot open the access log "));
}

}  // namespace
}  // namespace amqp::metrics
