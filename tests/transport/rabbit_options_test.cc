#include "bridge/transport/rabbit_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace amqp::transport {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

RabbitOptions FromUrl(const char* text) {
  absl::StatusOr<TransportUrl> url = ParseTransportUrl(text);
  EXPECT_TRUE(url.ok()) << url.status();
  RabbitOptions options;
  absl::Status s = ApplyUrlQuery(*url, &options);
  EXPECT_TRUE(s.ok()) << s;
  return options;
}

TEST(RabbitOptionsTest, DefaultsAreOslos) {
  RabbitOptions options;
  EXPECT_EQ(options.heartbeat_timeout_threshold, 60);
  EXPECT_EQ(options.rabbit_retry_interval, 1);
  EXPECT_EQ(options.rabbit_retry_backoff, 2);
  EXPECT_EQ(options.rabbit_interval_max, 30);
  EXPECT_EQ(options.kombu_missing_consumer_retry_timeout, 60);
  EXPECT_EQ(options.rabbit_transient_queues_ttl, 1800);
  EXPECT_FALSE(DurableQueues(options));
  EXPECT_THAT(TopicQueueArguments(options), IsEmpty());
  EXPECT_THAT(TransientQueueArguments(options),
              ElementsAre(QueueArgument{"x-expires", int64_t{1800000}}));
}

// tests/oslo/testdata/vectors/url_query_override.json: quorum topic queues
// (durable), a classic fanout queue with x-expires=60000, prefetch 7,
// heartbeat 20.
TEST(RabbitOptionsTest, UrlQueryOverridesLikeOslo) {
  RabbitOptions options = FromUrl(
      "rabbit://u:p@127.0.0.1:5672/?rabbit_quorum_queue=true&"
      "rabbit_qos_prefetch_count=7&rabbit_transient_queues_ttl=60&"
      "heartbeat_timeout_threshold=20");
  EXPECT_TRUE(DurableQueues(options));
  EXPECT_EQ(options.rabbit_qos_prefetch_count, 7);
  EXPECT_EQ(options.heartbeat_timeout_threshold, 20);
  EXPECT_THAT(TopicQueueArguments(options),
              ElementsAre(QueueArgument{"x-queue-type", "quorum"}));
  EXPECT_THAT(TransientQueueArguments(options),
              ElementsAre(QueueArgument{"x-expires", int64_t{60000}}));
}

TEST(RabbitOptionsTest, HaAndQuorumLimits) {
  RabbitOptions ha = FromUrl("rabbit://h/?rabbit_ha_queues=yes");
  EXPECT_THAT(TopicQueueArguments(ha),
              ElementsAre(QueueArgument{"x-ha-policy", "all"}));
  RabbitOptions quorum = FromUrl(
      "rabbit://h/?rabbit_quorum_queue=1&rabbit_quorum_delivery_limit=3&"
      "rabbit_quroum_max_memory_length=10&rabbit_quroum_max_memory_bytes=99");
  EXPECT_THAT(TopicQueueArguments(quorum),
              ElementsAre(QueueArgument{"x-queue-type", "quorum"},
                          QueueArgument{"x-delivery-limit", int64_t{3}},
                          QueueArgument{"x-max-in-memory-length", int64_t{10}},
                          QueueArgument{"x-max-in-memory-bytes", int64_t{99}}));
}

TEST(RabbitOptionsTest, BooleansParseLikeOsloConfig) {
  for (const char* yes : {"1", "t", "TRUE", "On", "y", "yes"}) {
    RabbitOptions options;
    ASSERT_TRUE(SetRabbitOption("ssl", yes, &options).ok()) << yes;
    EXPECT_TRUE(options.ssl) << yes;
  }
  RabbitOptions options;
  options.ssl = true;
  ASSERT_TRUE(SetRabbitOption("ssl", "off", &options).ok());
  EXPECT_FALSE(options.ssl);
}

TEST(RabbitOptionsTest, OptionsOfThePythonRuntimeAreAccepted) {
  RabbitOptions options;
  EXPECT_TRUE(SetRabbitOption("heartbeat_in_pthread", "true", &options).ok());
  EXPECT_TRUE(SetRabbitOption("kombu_reconnect_delay", "2", &options).ok());
}

// What the INI reader asks to tell an unknown key from a bad value.
TEST(RabbitOptionsTest, IsRabbitOptionKnowsEveryOptionSetTakes) {
  EXPECT_TRUE(IsRabbitOption("ssl"));
  EXPECT_TRUE(IsRabbitOption("heartbeat_timeout_threshold"));
  EXPECT_TRUE(IsRabbitOption("heartbeat_in_pthread"));  // accepted, no effect
  EXPECT_FALSE(IsRabbitOption("no_such_option"));
  EXPECT_FALSE(IsRabbitOption("transport_url"));
}

TEST(RabbitOptionsTest, BadOptionsAreClearErrors) {
  struct Case {
    const char* name;
    const char* value;
    const char* message;
  };
  for (const Case& c : {
           Case{"no_such_option", "1",
                "unknown [oslo_messaging_rabbit] option"},
           Case{"ssl", "maybe", "is not a boolean"},
           Case{"rabbit_qos_prefetch_count", "ten", "is not an integer"},
           Case{"rabbit_transient_queues_ttl", "0", "at least 1"},
       }) {
    RabbitOptions options;
    absl::Status s = SetRabbitOption(c.name, c.value, &options);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(s.message(), HasSubstr(c.message)) << c.name;
  }
}

TEST(RabbitOptionsTest, ConflictingOptionsAreRejected) {
  absl::StatusOr<TransportUrl> url = ParseTransportUrl(
      "rabbit://h/?rabbit_quorum_queue=true&rabbit_ha_queues=true");
  ASSERT_TRUE(url.ok());
  RabbitOptions options;
  absl::Status s = ApplyUrlQuery(*url, &options);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("not both"));

  options = RabbitOptions();
  options.rabbit_login_method = "EXTERNAL";
  EXPECT_THAT(ValidateRabbitOptions(options).message(),
              HasSubstr("rabbit_login_method 'EXTERNAL'"));
}

}  // namespace
}  // namespace amqp::transport
