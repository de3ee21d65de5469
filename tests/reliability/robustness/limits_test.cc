// Limits of the C++ runtime over the real broker: the RPC server's bounded
// worker queue (beyond it deliveries stay in the broker: prefetch), and
// max_message_bytes on a server's queues and a client's reply queue (larger
// bodies are rejected unread, and serving goes on).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/dispatcher.h"
#include "bridge/rpc/endpoint.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/rpc/rpc_server.h"
#include "bridge/transport/connection.h"
#include "tests/testing/broker.h"
#include "tests/testing/concurrency.h"

namespace amqp::rpc {
namespace {

constexpr absl::Duration kSlowCall = absl::Milliseconds(100);

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RequireBroker();
    topic_ = testing::UniqueName("limits_test");
    endpoint_.Add("slow", [this](CallContext&, const rapidjson::Value&) {
      slow_running_.Enter();
      absl::SleepFor(kSlowCall);
      slow_running_.Leave();
      return absl::StatusOr<std::string>("\"done\"");
    });
    endpoint_.Add("count", [this](CallContext&, const rapidjson::Value&) {
      counted_.fetch_add(1);
      return absl::StatusOr<std::string>("null");
    });
    endpoint_.Add("big", [](CallContext&, const rapidjson::Value& args) {
      return absl::StatusOr<std::string>(
          absl::StrCat("\"", std::string(args["bytes"].GetInt(), 'x'), "\""));
    });
    dispatcher_.AddEndpoint(&endpoint_);
    spec_.target.topic = topic_;
    spec_.timeout = absl::Seconds(30);
  }

  std::unique_ptr<RpcServer> StartServer(RpcServer::Options options) {
    options.url = testing::BrokerUrl();
    options.target.topic = topic_;
    options.target.server = "s1";
    auto server = std::make_unique<RpcServer>(options, &dispatcher_);
    EXPECT_TRUE(server->WaitReady(absl::Seconds(10)));
    return server;
  }

  std::unique_ptr<RpcClient> StartClient(uint64_t max_message_bytes = 0) {
    RpcClient::Options options;
    options.url = testing::BrokerUrl();
    options.max_message_bytes = max_message_bytes;
    auto client = std::make_unique<RpcClient>(options);
    EXPECT_TRUE(client->WaitReady(absl::Seconds(10)));
    return client;
  }

  // A connection of the test's own, to publish raw bodies and look at
  // queues.
  std::unique_ptr<transport::Connection> Raw() {
    const transport::TransportUrl url = testing::BrokerUrl();
    absl::StatusOr<std::unique_ptr<transport::Connection>> raw =
        transport::Connection::Open(url.hosts[0], url.vhost,
                                    transport::RabbitOptions(),
                                    transport::Connection::Options());
    EXPECT_TRUE(raw.ok()) << raw.status();
    return raw.ok() ? *std::move(raw) : nullptr;
  }

  // A valid cast of `count` whose body is exactly `bytes` long.
  static std::string CountCastOfSize(size_t bytes) {
    auto encode = [](size_t pad) {
      const std::string args =
          absl::StrCat(R"({"pad": ")", std::string(pad, 'p'), "\"}");
      oslo::OutgoingRequest request;
      request.method = "count";
      request.args_json = args;
      return oslo::EncodeRequest(request);
    };
    const size_t overhead = encode(0).size();
    EXPECT_GE(bytes, overhead);
    std::string body = encode(bytes - overhead);
    EXPECT_EQ(body.size(), bytes);
    return body;
  }

  void WaitForCount(int n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (counted_.load() < n && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  std::string topic_;
  FunctionEndpoint endpoint_;
  Dispatcher dispatcher_;
  CallSpec spec_;
  testing::Concurrency slow_running_;
  std::atomic<int> counted_{0};
};

// One worker and a queue of two: 30 slow calls never put more than two
// requests in the queue and two parked (unacked, the prefetch) in memory;
// the rest wait in the broker's queue, and every call still succeeds.
TEST_F(LimitsTest, WorkerQueueIsBoundedAndTheRestWaitsInTheBroker) {
  std::unique_ptr<RpcServer> server =
      StartServer({.executor_threads = 1, .max_queued_requests = 2});
  std::unique_ptr<RpcClient> client = StartClient();
  constexpr int kCalls = 30;
  absl::Mutex mu;
  int ok = 0, done = 0;
  for (int i = 0; i < kCalls; ++i) {
    client->CallAsync(spec_, "slow", "{}", nullptr,
                      [&](absl::StatusOr<oslo::Reply> reply) {
                        absl::MutexLock lock(&mu);
                        ++done;
                        if (reply.ok()) ++ok;
                      });
  }
  // Saturated: the broker holds what the server does not.
  absl::SleepFor(absl::Milliseconds(500));
  RpcServer::QueueStats stats = server->queue_stats();
  EXPECT_LE(stats.queued, 2);
  EXPECT_LE(stats.parked, 2);
  std::unique_ptr<transport::Connection> raw = Raw();
  ASSERT_NE(raw, nullptr);
  absl::StatusOr<transport::QueueStatus> queue = raw->InspectQueue(topic_);
  ASSERT_TRUE(queue.ok()) << queue.status();
  EXPECT_GT(queue->message_count, 10u)
      << "the server took more than its bound from the broker";

  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(
        absl::Condition(
            +[](int* done) { return *done == kCalls; }, &done),
        absl::Seconds(20)));
    EXPECT_EQ(ok, kCalls);
  }
  stats = server->queue_stats();
  EXPECT_EQ(stats.queued, 0);
  EXPECT_EQ(stats.parked, 0);
  EXPECT_LE(stats.max_queued, 2);
  EXPECT_LE(stats.max_parked, 2);
  EXPECT_GE(stats.max_parked, 1) << "nothing was ever parked";
  EXPECT_EQ(slow_running_.max(), 1);
  std::cout << "worker queue high-water marks: queued " << stats.max_queued
            << ", parked " << stats.max_parked << "; broker queue depth "
            << queue->message_count << " while saturated\n";
}

// An explicit rabbit_qos_prefetch_count is honoured as the parking bound.
TEST_F(LimitsTest, ExplicitPrefetchBoundsWhatIsParked) {
  RpcServer::Options options{.executor_threads = 1, .max_queued_requests = 1};
  options.rabbit.rabbit_qos_prefetch_count = 3;
  std::unique_ptr<RpcServer> server = StartServer(options);
  std::unique_ptr<RpcClient> client = StartClient();
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(client->Cast(spec_, "slow").ok());
  }
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(server->queue_stats().max_parked, 3);
  EXPECT_LE(server->queue_stats().max_queued, 1);
  // Casts drain too; then calls go through.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (server->queue_stats().parked + server->queue_stats().queued > 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(client->Call(spec_, "slow").ok());
}

// A server's max_message_bytes: a body one byte over is rejected without
// being dispatched (and not requeued); one of exactly the limit is served.
TEST_F(LimitsTest, OversizedRequestIsRejectedUnreadAndServingGoesOn) {
  std::unique_ptr<RpcServer> server = StartServer({.max_message_bytes = 4096});
  std::unique_ptr<RpcClient> client = StartClient();
  std::unique_ptr<transport::Connection> raw = Raw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(
      raw->Publish("openstack", topic_, {}, CountCastOfSize(4097), true).ok());
  ASSERT_TRUE(
      raw->Publish("openstack", topic_, {}, CountCastOfSize(1 << 20), true)
          .ok());
  ASSERT_TRUE(
      raw->Publish("openstack", topic_, {}, CountCastOfSize(4096), true).ok());
  WaitForCount(1);
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(counted_.load(), 1) << "only the body within the limit runs";
  absl::StatusOr<transport::QueueStatus> queue = raw->InspectQueue(topic_);
  ASSERT_TRUE(queue.ok()) << queue.status();
  EXPECT_EQ(queue->message_count, 0u) << "rejected bodies were requeued";
  EXPECT_TRUE(client->Call(spec_, "count").ok());
}

// A client's max_message_bytes on its reply queue: an oversized reply is
// dropped (the call times out) and the next reply gets through.
TEST_F(LimitsTest, OversizedReplyIsRejectedAndTheClientKeepsWorking) {
  std::unique_ptr<RpcServer> server = StartServer({});
  std::unique_ptr<RpcClient> client = StartClient(/*max_message_bytes=*/2048);
  CallSpec quick = spec_.Prepare("", std::nullopt, absl::Seconds(1));
  absl::StatusOr<std::string> big =
      client->Call(quick, "big", R"({"bytes": 4096})");
  EXPECT_EQ(big.status().code(), absl::StatusCode::kDeadlineExceeded)
      << big.status();
  absl::StatusOr<std::string> small =
      client->Call(spec_, "big", R"({"bytes": 100})");
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->size(), 102u);
  EXPECT_EQ(client->pending_calls(), 0u);
}

// Bodies within the limit but over one AMQP frame (128 KiB) are read whole,
// both ways: a 1 MiB request and a 3 MiB reply.
TEST_F(LimitsTest, LargeMessagesWithinTheLimitSpanManyFrames) {
  std::unique_ptr<RpcServer> server = StartServer({});
  std::unique_ptr<RpcClient> client =
      StartClient(transport::kDefaultMaxMessageBytes);
  const std::string pad(1 << 20, 'q');
  absl::StatusOr<std::string> reply = client->Call(
      spec_, "big", absl::StrCat(R"({"bytes": 3145728, "pad": ")", pad, "\"}"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->size(), 3145728u + 2);
  EXPECT_EQ(reply->find_first_not_of('x', 1), reply->size() - 1);
}

}  // namespace
}  // namespace amqp::rpc
