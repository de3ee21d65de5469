// An RpcServer serving an AsyncEndpoint over the real broker: methods start
// on the I/O thread and finish later on another thread, with no worker
// thread at all; max_queued_requests bounds how many run at once; Stop()
// waits for those running and their replies; and Dispatcher::Dispatch gets
// an asynchronous result where it is called.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/deadline_timer.h"
#include "bridge/rpc/dispatcher.h"
#include "bridge/rpc/endpoint.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/rpc/rpc_server.h"
#include "tests/testing/broker.h"
#include "tests/testing/concurrency.h"

namespace amqp::rpc {
namespace {

// "echo" answers its `text` after `ms` milliseconds, from a timer thread;
// "fail" fails at once, before InvokeAsync returns. Counts the methods
// running (started and not answered), and the most at once.
class DelayedEndpoint : public AsyncEndpoint {
 public:
  bool HasMethod(absl::string_view method) const override {
    return method == "echo" || method == "fail";
  }
  void InvokeAsync(absl::string_view method, CallContext& context,
                   const rapidjson::Value& args, ResultCallback done) override {
    if (method == "fail") {
      done(absl::InvalidArgumentError("refused by the test endpoint"));
      return;
    }
    started_.fetch_add(1);
    running_.Enter();
    // Copied now: `args` is gone once InvokeAsync returns.
    std::string result = absl::StrCat("\"", args["text"].GetString(), "\"");
    auto shared = std::make_shared<ResultCallback>(std::move(done));
    timer_.Schedule(absl::Now() + absl::Milliseconds(args["ms"].GetInt()),
                    [this, shared, result = std::move(result)] {
                      running_.Leave();
                      finished_.fetch_add(1);
                      (*shared)(result);
                    });
  }

  int started() const { return started_.load(); }
  int finished() const { return finished_.load(); }
  int max_running() const { return running_.max(); }

 private:
  DeadlineTimer timer_;
  std::atomic<int> started_{0};
  std::atomic<int> finished_{0};
  testing::Concurrency running_;
};

class AsyncEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RequireBroker();
    topic_ = testing::UniqueName("async_endpoint_test");
    dispatcher_.AddEndpoint(&endpoint_);
    RpcClient::Options options;
    options.url = testing::BrokerUrl();
    client_ = std::make_unique<RpcClient>(options);
    ASSERT_TRUE(client_->WaitReady(absl::Seconds(10)));
    spec_.target.topic = topic_;
    spec_.timeout = absl::Seconds(20);
  }

  // No worker threads: whatever overlaps runs asynchronously.
  std::unique_ptr<RpcServer> StartServer(int max_queued_requests) {
    RpcServer::Options options;
    options.url = testing::BrokerUrl();
    options.target.topic = topic_;
    options.target.server = "s1";
    options.executor_threads = 0;
    options.max_queued_requests = max_queued_requests;
    auto server = std::make_unique<RpcServer>(options, &dispatcher_);
    EXPECT_TRUE(server->WaitReady(absl::Seconds(10)));
    return server;
  }

  static std::string Echo(absl::string_view text, int ms) {
    return absl::StrCat(R"({"text": ")", text, R"(", "ms": )", ms, "}");
  }

  std::string topic_;
  DelayedEndpoint endpoint_;
  Dispatcher dispatcher_;
  std::unique_ptr<RpcClient> client_;
  CallSpec spec_;
};

TEST_F(AsyncEndpointTest, AnswersAndFailuresComeBack) {
  std::unique_ptr<RpcServer> server = StartServer(8);
  absl::StatusOr<std::string> echo =
      client_->Call(spec_, "echo", Echo("hi", 10));
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(*echo, "\"hi\"");
  absl::StatusOr<std::string> failed = client_->Call(spec_, "fail");
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("refused by the test endpoint"),
            std::string::npos)
      << failed.status();
  // A method no endpoint has is answered too (on the I/O thread).
  absl::StatusOr<std::string> missing = client_->Call(spec_, "nope");
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(missing.status().message().find(
                "Endpoint does not support RPC method nope"),
            std::string::npos)
      << missing.status();
}

// 24 calls of 200 ms at once with no worker thread: they overlap (an I/O
// thread running them one by one would allow one at a time), never more
// than max_queued_requests of them, and every one succeeds.
TEST_F(AsyncEndpointTest, RunWithoutWorkersAndAtMostTheBoundAtOnce) {
  constexpr int kBound = 4;
  constexpr int kCalls = 24;
  std::unique_ptr<RpcServer> server = StartServer(kBound);
  absl::Mutex mu;
  int ok = 0, done = 0;
  for (int i = 0; i < kCalls; ++i) {
    client_->CallAsync(
        spec_, "echo", Echo(absl::StrCat("c", i), 200), nullptr,
        [&, i](absl::StatusOr<oslo::Reply> reply) {
          absl::MutexLock lock(&mu);
          ++done;
          if (reply.ok() && !reply->failure().has_value() &&
              reply->result().IsString() &&
              reply->result().GetString() == absl::StrCat("c", i)) {
            ++ok;
          }
        });
  }
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(
        mu.AwaitWithTimeout(absl::Condition(
                                +[](int* n) { return *n == kCalls; }, &done),
                            absl::Seconds(30)));
    EXPECT_EQ(ok, kCalls);
  }
  EXPECT_GE(endpoint_.max_running(), 2);
  EXPECT_LE(endpoint_.max_running(), kBound);
  const RpcServer::QueueStats stats = server->queue_stats();
  EXPECT_LE(stats.max_queued, kBound);
  EXPECT_GT(stats.max_parked, 0);  // the rest waited unacked, or in the broker
  EXPECT_EQ(stats.queued, 0);
}

// Stop() returns only after the method running when it was called has
// finished and its reply has gone out.
TEST_F(AsyncEndpointTest, StopWaitsForRunningMethodsAndTheirReplies) {
  std::unique_ptr<RpcServer> server = StartServer(8);
  absl::Notification replied;
  absl::StatusOr<oslo::Reply> reply = absl::UnknownError("none yet");
  client_->CallAsync(spec_, "echo", Echo("late", 500), nullptr,
                     [&](absl::StatusOr<oslo::Reply> r) {
                       reply = std::move(r);
                       replied.Notify();
                     });
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (endpoint_.started() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(endpoint_.started(), 1);
  server->Stop();
  EXPECT_EQ(endpoint_.finished(), 1);
  ASSERT_TRUE(replied.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_TRUE(reply->result().IsString());
  EXPECT_EQ(std::string(reply->result().GetString()), "late");
}

// No broker: Dispatch waits for the asynchronous result where it is called.
TEST(AsyncEndpointDispatchTest, DispatchWaitsForTheResult) {
  DelayedEndpoint endpoint;
  Dispatcher dispatcher;
  dispatcher.AddEndpoint(&endpoint);
  oslo::OutgoingRequest outgoing;
  outgoing.method = "echo";
  outgoing.args_json = R"({"text": "sync", "ms": 20})";
  outgoing.version = "1.0";
  absl::StatusOr<oslo::Request> request =
      oslo::Request::Decode(oslo::EncodeRequest(outgoing));
  ASSERT_TRUE(request.ok()) << request.status();
  absl::StatusOr<std::string> result = dispatcher.Dispatch(*request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "\"sync\"");
  EXPECT_EQ(endpoint.finished(), 1);
}

}  // namespace
}  // namespace amqp::rpc
