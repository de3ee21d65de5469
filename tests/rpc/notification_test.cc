// The C++ notifier and notification listener (bridge/rpc) with a real
// RabbitMQ, and the event type patterns the listener filters with.

#include "absl/synchronization/notification.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bridge/oslo/json.h"
#include "bridge/rpc/notification_listener.h"
#include "bridge/rpc/notifier.h"
#include "tests/testing/broker.h"

namespace amqp::rpc {
namespace {

TEST(EventTypeMatchesTest, FollowsPythonFnmatch) {
  EXPECT_TRUE(EventTypeMatches("*", "compute.instance.create.end"));
  EXPECT_TRUE(EventTypeMatches("*", ""));
  EXPECT_TRUE(EventTypeMatches("compute.instance.*", "compute.instance.x"));
  EXPECT_FALSE(EventTypeMatches("compute.instance.*", "compute.instancex"));
  EXPECT_TRUE(EventTypeMatches("*.end", "compute.instance.create.end"));
  EXPECT_FALSE(EventTypeMatches("*.end", "compute.instance.create.start"));
  EXPECT_TRUE(EventTypeMatches("*.create.*", "compute.instance.create.end"));
  EXPECT_TRUE(EventTypeMatches("volume.?", "volume.a"));
  EXPECT_FALSE(EventTypeMatches("volume.?", "volume.ab"));
  EXPECT_TRUE(EventTypeMatches("a[bc]d", "acd"));
  EXPECT_FALSE(EventTypeMatches("a[!bc]d", "acd"));
  EXPECT_TRUE(EventTypeMatches("a[!bc]d", "aed"));
  EXPECT_TRUE(EventTypeMatches("v[0-9]", "v7"));
  EXPECT_TRUE(EventTypeMatches("a[]]b", "a]b"));
  EXPECT_TRUE(EventTypeMatches("a[b", "a[b"));  // no closing ']': literal
  EXPECT_FALSE(EventTypeMatches("Compute.*", "compute.x"));  // case matters
  EXPECT_TRUE(EventTypeMatches("**a*", "xxa"));
  EXPECT_FALSE(EventTypeMatches("exact", "exact.more"));
}

// What one subscription received.
class Received {
 public:
  void Add(const oslo::Notification& n) {
    absl::MutexLock lock(&mu_);
    events_.push_back(absl::StrCat(
        n.priority(), " ", n.event_type(), " ", n.publisher_id(), " ",
        oslo::ToPyJson(n.payload()), " ", oslo::ToPyJson(n.context())));
  }
  std::vector<std::string> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return events_.size() >= count;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
    return events_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

TEST(NotificationTest, NotifierToListenerWithFilters) {
  testing::RequireBroker();
  const std::string exchange = testing::UniqueName("notify_x");
  const std::string topic = testing::UniqueName("notifications");
  NotificationListener listener({.url = testing::BrokerUrl()});
  Notifier notifier({.url = testing::BrokerUrl()});

  Received received;
  absl::Notification ready;
  absl::Status ready_status;
  auto subscription = listener.Subscribe(
      {.exchange = exchange,
       .routing_keys = {topic + ".info", topic + ".error"},
       .event_type = "compute.*"},
      [&](const oslo::Notification& n) { received.Add(n); },
      [&](absl::Status s) {
        ready_status = s;
        ready.Notify();
      });
  ASSERT_TRUE(ready.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(ready_status.ok()) << ready_status;

  oslo::JsonDocument context = oslo::NewJsonDocument();
  ASSERT_TRUE(oslo::ParseJson(R"({"user_id": "u1"})", &context).ok());
  EXPECT_TRUE(notifier
                  .Notify(exchange, topic,
                          {.publisher_id = "cpp.host",
                           .event_type = "compute.instance.create.end",
                           .priority = "INFO",
                           .payload_json = R"({"memory_mb": 1099511627776})",
                           .context = &context})
                  .ok());
  // Another event type: bound, but filtered out by the pattern.
  EXPECT_TRUE(notifier
                  .Notify(exchange, topic,
                          {.publisher_id = "cpp.host",
                           .event_type = "volume.delete.end",
                           .priority = "INFO"})
                  .ok());
  // The v1 driver's bare dict.
  EXPECT_TRUE(notifier
                  .Notify(exchange, topic,
                          {.publisher_id = "cpp.host",
                           .event_type = "compute.instance.delete.error",
                           .priority = "ERROR",
                           .payload_json = "[1, 2]",
                           .envelope = false})
                  .ok());
  // No queue is bound to <topic>.warn: the broker returns it.
  absl::Status unheard = notifier.Notify(exchange, topic,
                                         {.publisher_id = "cpp.host",
                                          .event_type = "compute.x",
                                          .priority = "WARN"});
  EXPECT_EQ(unheard.code(), absl::StatusCode::kUnavailable) << unheard;

  EXPECT_EQ(received.WaitFor(2),
            (std::vector<std::string>{
                "INFO compute.instance.create.end cpp.host "
                R"({"memory_mb": 1099511627776} {"user_id": "u1"})",
                "ERROR compute.instance.delete.error cpp.host [1, 2] {}"}));
  EXPECT_EQ(subscription->malformed(), 0);
}

}  // namespace
}  // namespace amqp::rpc
