// Notifications (messagingv2 and v1) against the captured ones.

#include "bridge/oslo/notification.h"

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

TEST(NotificationTest, DecodesAndReencodesBothDrivers) {
  for (const char* file :
       {"notification_v2_info.json", "notification_v1_info.json"}) {
    const std::string body = testing::VectorBody(file, 0);
    absl::StatusOr<Notification> n = Notification::Decode(body);
    ASSERT_TRUE(n.ok()) << file << ": " << n.status();
    EXPECT_EQ(n->enveloped(),
              absl::string_view(file).find("v2") != absl::string_view::npos);
    EXPECT_EQ(n->publisher_id(), "vectors.host1");
    EXPECT_EQ(n->event_type(), "vectors.thing.created");
    EXPECT_EQ(n->priority(), "INFO");
    EXPECT_EQ(n->message_id().size(), 36u);
    EXPECT_EQ(n->payload()["size"].GetInt(), 3);
    EXPECT_STREQ(n->context()["user_id"].GetString(), "u-1");
    EXPECT_FALSE(n->context().HasMember("custom_key"));  // sanitised by oslo

    EXPECT_EQ(testing::ReencodeNotification(*n), body) << file;
  }
}

TEST(NotificationTest, FillsInGeneratedFields) {
  OutgoingNotification out;
  out.publisher_id = "p";
  out.event_type = "e";
  absl::StatusOr<Notification> n =
      Notification::Decode(EncodeNotification(out));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->message_id().size(), 36u);
  EXPECT_EQ(n->unique_id().size(), 32u);
  EXPECT_EQ(n->priority(), "INFO");
  EXPECT_EQ(n->timestamp().size(), 26u);  // has microseconds (almost surely)
  EXPECT_TRUE(n->payload().IsObject());
}

TEST(NotificationTest, TimestampLikePythonStrUtcnow) {
  absl::Time t = absl::FromUnixMicros(
      1795977324903355);  // from Python: datetime.utcfromtimestamp
  EXPECT_EQ(NotificationTimestamp(t), "2026-11-29 18:35:24.903355");
  EXPECT_EQ(NotificationTimestamp(absl::FromUnixSeconds(0)),
            "1970-01-01 00:00:00");
  EXPECT_EQ(NotificationTimestamp(absl::FromUnixMicros(1)),
            "1970-01-01 00:00:00.000001");
}

TEST(NotificationTest, ErrorsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"priority": "INFO"})", "no \"event_type\""},
      {R"({"event_type": "e"})", "no \"priority\""},
      {R"({"event_type": 1, "priority": "INFO"})",
       "\"event_type\" is a number"},
      {R"({"event_type": "e", "priority": "INFO", "message_id": []})",
       "\"message_id\" is an array"},
      {"[]", "not a JSON object"},
  };
  for (const auto& [body, want] : cases) {
    absl::StatusOr<Notification> n = Notification::Decode(body);
    ASSERT_FALSE(n.ok()) << body;
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(n.status().message(), HasSubstr(want)) << body;
  }
}

}  // namespace
}  // namespace amqp::oslo
