// The generated typed client's `notify` methods, received by the C++
// notification listener on a real RabbitMQ.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/json.h"
#include "bridge/rpc/notification_listener.h"
#include "bridge/rpc/notifier.h"
#include "events.amqp.h"
#include "tests/testing/broker.h"

namespace events {
namespace {

TEST(TypedNotifyTest, NotifyMethodsSendTheirNotification) {
  amqp::testing::RequireBroker();
  // The service's exchange, made unique to this run; a queue of our own
  // there for both methods' keys.
  amqp::rpc::CallSpec spec = EventsClient::DefaultSpec();
  EXPECT_EQ(spec.target.exchange, "typed_notify_test");
  spec.target.exchange = amqp::testing::UniqueName("typed_notify_test");
  amqp::rpc::NotificationListener listener({.url = amqp::testing::BrokerUrl()});
  absl::Mutex mu;
  std::vector<std::string> received;
  absl::Notification ready;
  absl::Status ready_status;
  auto subscription = listener.Subscribe(
      {.exchange = spec.target.exchange,
       .routing_keys = {"notifications.info", "versioned_notifications.error"}},
      [&](const amqp::oslo::Notification& n) {
        absl::MutexLock lock(&mu);
        received.push_back(absl::StrCat(n.priority(), " ", n.event_type(), " ",
                                        n.publisher_id(), " ",
                                        amqp::oslo::ToPyJson(n.payload()), " ",
                                        amqp::oslo::ToPyJson(n.context())));
      },
      [&](absl::Status status) {
        ready_status = status;
        ready.Notify();
      });
  ASSERT_TRUE(ready.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(ready_status.ok()) << ready_status;

  amqp::rpc::RpcClient rpc({.url = amqp::testing::BrokerUrl()});
  amqp::rpc::Notifier notifier({.url = amqp::testing::BrokerUrl()});
  EventsClient client(&rpc, spec);
  InstancePayload payload;
  payload.set_instance_id("i1");
  payload.set_memory_mb(int64_t{1} << 40);
  amqp::oslo::JsonDocument context = amqp::oslo::NewJsonDocument();
  ASSERT_TRUE(amqp::oslo::ParseJson(R"({"user_id": "u1"})", &context).ok());
  absl::Status sent =
      client.InstanceCreated(notifier, payload, "cpp.host1", &context);
  ASSERT_TRUE(sent.ok()) << sent;
  sent = client.InstanceFailed(notifier, payload, "cpp.host1");
  ASSERT_TRUE(sent.ok()) << sent;

  absl::MutexLock lock(&mu);
  auto both = [&] { return received.size() >= 2; };
  mu.AwaitWithTimeout(absl::Condition(&both), absl::Seconds(10));
  EXPECT_EQ(received,
            (std::vector<std::string>{
                "INFO compute.instance.create.end cpp.host1 "
                R"({"instance_id": "i1", "memory_mb": 1099511627776} )"
                R"({"user_id": "u1"})",
                "ERROR compute.instance.create.error cpp.host1 "
                R"({"instance_id": "i1", "memory_mb": 1099511627776} {})"}));
}

}  // namespace
}  // namespace events
