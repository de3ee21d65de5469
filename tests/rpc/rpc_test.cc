// The C++ RPC client against the C++ RPC server over the real broker:
// results, context, failures, dispatch errors, timeouts, cancellation, no
// listener, an unreachable broker, fanout, concurrency, malformed input,
// replies retried until their reply queue exists, the call monitor and
// version caps.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/reply.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/dispatcher.h"
#include "bridge/rpc/endpoint.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/rpc/rpc_server.h"
#include "bridge/rpc/version.h"
#include "bridge/transport/connection.h"
#include "tests/testing/broker.h"
#include "tests/testing/concurrency.h"

namespace amqp::rpc {
namespace {

using ::testing::HasSubstr;

// Serves one topic with a version 1.2 endpoint in the default namespace and
// a version 2.0 endpoint in namespace "admin".
class RpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RequireBroker();
    topic_ = testing::UniqueName("rpc_test");
    endpoint_.Add(
        "add",
        [](CallContext&,
           const rapidjson::Value& args) -> absl::StatusOr<std::string> {
          if (!args.HasMember("a") || !args["a"].IsInt() ||
              !args.HasMember("b") || !args["b"].IsInt()) {
            return absl::InvalidArgumentError("add needs integers a and b");
          }
          return absl::StrCat(args["a"].GetInt() + args["b"].GetInt());
        });
    endpoint_.Add(
        "whoami", [this](CallContext& context, const rapidjson::Value&) {
          std::optional<absl::string_view> user = context.GetString("user");
          calls_.fetch_add(1);
          return absl::StatusOr<std::string>(
              absl::StrCat("\"", user.value_or("nobody"), "\""));
        });
    endpoint_.Add("nothing", [](CallContext&, const rapidjson::Value&) {
      return absl::StatusOr<std::string>("null");
    });
    endpoint_.Add("sleep", [](CallContext&, const rapidjson::Value& args) {
      absl::SleepFor(absl::Milliseconds(args["ms"].GetInt()));
      return absl::StatusOr<std::string>("\"slept\"");
    });
    endpoint_.Add("count", [this](CallContext&, const rapidjson::Value&) {
      calls_.fetch_add(1);
      return absl::StatusOr<std::string>("null");
    });
    endpoint_.Add("where", [this](CallContext&, const rapidjson::Value&) {
      where_running_.Enter();
      absl::SleepFor(absl::Milliseconds(1));
      where_running_.Leave();
      return absl::StatusOr<std::string>(absl::StrCat(
          "\"", std::hash<std::thread::id>()(std::this_thread::get_id()),
          "\""));
    });
    admin_.Add("reset", [](CallContext&, const rapidjson::Value&) {
      return absl::StatusOr<std::string>("\"reset\"");
    });
    dispatcher_.AddEndpoint(&endpoint_);
    dispatcher_.AddEndpoint(&admin_);
    server_ = StartServer("s1");
    client_ = std::make_unique<RpcClient>(ClientOptions());
    ASSERT_TRUE(client_->WaitReady(absl::Seconds(10)));
    spec_.target.topic = topic_;
    spec_.timeout = absl::Seconds(10);
  }

  RpcClient::Options ClientOptions() {
    RpcClient::Options options;
    options.url = testing::BrokerUrl();
    options.io_threads = 2;
    return options;
  }

  std::unique_ptr<RpcServer> StartServer(const std::string& server,
                                         int executor_threads = 8) {
    RpcServer::Options options;
    options.url = testing::BrokerUrl();
    options.target.topic = topic_;
    options.target.server = server;
    options.executor_threads = executor_threads;
    auto rpc_server = std::make_unique<RpcServer>(options, &dispatcher_);
    EXPECT_TRUE(rpc_server->WaitReady(absl::Seconds(10)));
    return rpc_server;
  }

  std::string topic_;
  FunctionEndpoint endpoint_{"1.2"};
  FunctionEndpoint admin_{"2.0", "admin"};
  Dispatcher dispatcher_;
  std::atomic<int> calls_{0};
  testing::Concurrency where_running_;  // "where" calls
  std::unique_ptr<RpcServer> server_;
  std::unique_ptr<RpcClient> client_;
  CallSpec spec_;
};

TEST_F(RpcTest, CallReturnsTheResultAndCarriesTheContext) {
  absl::StatusOr<std::string> sum =
      client_->Call(spec_, "add", R"({"a": 2, "b": 40})");
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, "42");

  oslo::JsonDocument context = oslo::NewJsonDocument();
  ASSERT_TRUE(oslo::ParseJson(R"({"user": "alice"})", &context).ok());
  absl::StatusOr<std::string> user =
      client_->Call(spec_, "whoami", "{}", &context);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(*user, "\"alice\"");

  absl::StatusOr<std::string> none = client_->Call(spec_, "nothing");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, "null");
}

TEST_F(RpcTest, HandlerErrorsComeBackAsFailures) {
  absl::StatusOr<std::string> r = client_->Call(spec_, "add", R"({"a": "x"})");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("add needs integers a and b"));
  EXPECT_TRUE(oslo::FailureFromStatus(r.status()).has_value());
}

TEST_F(RpcTest, DispatchFollowsOslosVersionAndNamespaceRules) {
  absl::StatusOr<std::string> missing = client_->Call(spec_, "no_such");
  ASSERT_FALSE(missing.ok());
  std::optional<oslo::Failure> failure =
      oslo::FailureFromStatus(missing.status());
  ASSERT_TRUE(failure.has_value()) << missing.status();
  EXPECT_EQ(failure->class_name, "NoSuchMethod");

  // 1.1 is served by the 1.2 endpoint; 1.3 and 2.0 are not.
  EXPECT_TRUE(
      client_->Call(spec_.Prepare("", "1.1"), "add", R"({"a": 1, "b": 1})")
          .ok());
  absl::StatusOr<std::string> newer =
      client_->Call(spec_.Prepare("", "1.3"), "add", R"({"a": 1, "b": 1})");
  failure = oslo::FailureFromStatus(newer.status());
  ASSERT_TRUE(failure.has_value()) << newer.status();
  EXPECT_EQ(failure->class_name, "UnsupportedVersion");

  CallSpec admin = spec_.Prepare("", "2.0", std::nullopt, "admin");
  absl::StatusOr<std::string> reset = client_->Call(admin, "reset");
  ASSERT_TRUE(reset.ok()) << reset.status();
  EXPECT_EQ(*reset, "\"reset\"");
  // "add" lives in the default namespace only.
  EXPECT_FALSE(client_->Call(admin, "add", R"({"a": 1, "b": 1})").ok());
}

TEST_F(RpcTest, SlowCallTimesOutAndTheClientKeepsWorking) {
  CallSpec quick = spec_.Prepare("", std::nullopt, absl::Milliseconds(300));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> r =
      client_->Call(quick, "sleep", R"({"ms": 1500})");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(client_->pending_calls(), 0u);
  EXPECT_TRUE(client_->Call(spec_, "add", R"({"a": 1, "b": 2})").ok());
}

TEST_F(RpcTest, HeartbeatsKeepASlowCallAliveUnderTheCallMonitor) {
  // _timeout 2: the C++ server heartbeats every second, so a 3 s method
  // outlives the 2 s monitor.
  CallSpec monitored =
      spec_.Prepare("", std::nullopt, absl::Seconds(20), std::nullopt,
                    /*call_monitor_timeout=*/absl::Seconds(2));
  absl::StatusOr<std::string> r =
      client_->Call(monitored, "sleep", R"({"ms": 3000})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "\"slept\"");
}

TEST_F(RpcTest, CallMonitorFailsLongBeforeTheTimeoutWithoutHeartbeats) {
  // _timeout 1: int(1)/2 = 0, so (as in oslo) the server sends no
  // heartbeat and the 1 s monitor expires, far before the 20 s timeout.
  CallSpec monitored =
      spec_.Prepare("", std::nullopt, absl::Seconds(20), std::nullopt,
                    /*call_monitor_timeout=*/absl::Seconds(1));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> r =
      client_->Call(monitored, "sleep", R"({"ms": 2500})");
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(),
              HasSubstr("no heartbeat or reply from the server of 'sleep'"));
  EXPECT_THAT(r.status().message(), HasSubstr("within 1s"));
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_LT(took, absl::Seconds(2));
  EXPECT_EQ(client_->pending_calls(), 0u);
  absl::SleepFor(absl::Seconds(2));  // the late reply is dropped
  EXPECT_TRUE(client_->Call(spec_, "add", R"({"a": 1, "b": 2})").ok());
}

TEST_F(RpcTest, VersionCapPicksTheFallbackOrRefusesBeforePublishing) {
  RpcClient::Options options = ClientOptions();
  ASSERT_TRUE(options.version_caps.Set(topic_, "1.0").ok());
  RpcClient capped(options);
  ASSERT_TRUE(capped.WaitReady(absl::Seconds(10)));
  EXPECT_TRUE(capped.CanSendVersion(topic_, "1.0"));
  EXPECT_FALSE(capped.CanSendVersion(topic_, "1.1"));
  EXPECT_TRUE(capped.CanSendVersion("other_topic", "9.0"));

  // 1.3 is capped; its fallback 1.0 is sent. The 1.2 endpoint would
  // refuse 1.3 (UnsupportedVersion), so success shows 1.0 went out.
  CallSpec fallback = spec_.Prepare("", "1.3");
  fallback.fallback_version = "1.0";
  absl::StatusOr<std::string> sum =
      capped.Call(fallback, "add", R"({"a": 1, "b": 2})");
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, "3");
  EXPECT_FALSE(
      client_->Call(spec_.Prepare("", "1.3"), "add", R"({"a": 1, "b": 2})")
          .ok());

  // No fallback: FAILED_PRECONDITION at once, and nothing reached the
  // server (it would have served 1.1).
  CallSpec no_fallback = spec_.Prepare("", "1.1");
  const int before = calls_.load();
  absl::StatusOr<std::string> refused = capped.Call(no_fallback, "count");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("'count' needs version 1.1 but topic '",
                                     topic_, "' is capped at 1.0")));
  EXPECT_EQ(refused.status().GetPayload(kErrorReasonPayloadUrl),
            absl::Cord(kVersionCappedReason));
  absl::Status cast = capped.Cast(no_fallback, "count");
  EXPECT_EQ(cast.code(), absl::StatusCode::kFailedPrecondition);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(calls_.load(), before);
  EXPECT_EQ(capped.pending_calls(), 0u);
}

TEST_F(RpcTest, CancelFreesTheReplySlot) {
  absl::Notification done;
  absl::Status status;
  RpcClient::CallId id =
      client_->CallAsync(spec_, "sleep", R"({"ms": 500})", nullptr,
                         [&](absl::StatusOr<oslo::Reply> reply) {
                           status = reply.status();
                           done.Notify();
                         });
  client_->Cancel(id);
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(client_->pending_calls(), 0u);
}

TEST_F(RpcTest, NoListenerFailsAtOnceNotAtTheTimeout) {
  CallSpec nobody = spec_;
  nobody.target.topic = testing::UniqueName("rpc_nobody");
  nobody.timeout = absl::Seconds(30);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> r = client_->Call(nobody, "add");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(client_->Cast(nobody, "add").code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(RpcTest, UnreachableBrokerNeverHangsPastTheTimeout) {
  RpcClient::Options options = ClientOptions();
  options.url =
      *transport::ParseTransportUrl("rabbit://guest:guest@127.0.0.1:1/");
  RpcClient client(options);
  CallSpec spec = spec_.Prepare("", std::nullopt, absl::Seconds(2));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> r = client.Call(spec, "add");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.status().code(),
              ::testing::AnyOf(absl::StatusCode::kUnavailable,
                               absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(RpcTest, ServerTargetedCallsAndFanoutCasts) {
  std::unique_ptr<RpcServer> second = StartServer("s2");
  calls_ = 0;
  // Aimed at s2 only: exactly one server runs it.
  ASSERT_TRUE(client_->Call(spec_.Prepare("s2"), "count").ok());
  EXPECT_EQ(calls_.load(), 1);

  calls_ = 0;
  CallSpec fanout = spec_;
  fanout.target.fanout = true;
  ASSERT_TRUE(client_->Cast(fanout, "count").ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (calls_.load() < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(calls_.load(), 2);  // both servers
}

// Collects what GatherAsync hands over, for the gather tests.
struct GatherResult {
  absl::Notification done;
  absl::Status status;
  RpcClient::GatherSummary summary;
  std::vector<std::string> results;  // JSON of each OK reply
  std::vector<absl::Status> failures;
  absl::Time finished;
};

void StartGather(RpcClient& client, const CallSpec& spec,
                 absl::string_view method, absl::string_view args,
                 const RpcClient::GatherOptions& options,
                 GatherResult* result) {
  client.GatherAsync(
      spec, method, args, nullptr, options,
      [result](absl::StatusOr<oslo::Reply> reply) {
        if (reply.ok()) {
          result->results.push_back(oslo::ToPyJson(reply->result()));
        } else {
          result->failures.push_back(reply.status());
        }
      },
      [result](absl::Status status, RpcClient::GatherSummary summary) {
        result->status = std::move(status);
        result->summary = summary;
        result->finished = absl::Now();
        result->done.Notify();
      });
}

TEST_F(RpcTest, GatherCollectsOneReplyPerServerUntilTheWindowCloses) {
  std::unique_ptr<RpcServer> second = StartServer("s2");
  GatherResult gather;
  const absl::Time start = absl::Now();
  StartGather(*client_, spec_, "whoami", "{}", {.window = absl::Seconds(1)},
              &gather);
  ASSERT_TRUE(gather.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(gather.status.ok()) << gather.status;
  EXPECT_EQ(gather.summary.replies, 2);
  EXPECT_EQ(gather.summary.failures, 0);
  EXPECT_THAT(gather.results,
              ::testing::ElementsAre("\"nobody\"", "\"nobody\""));
  EXPECT_GE(gather.finished - start, absl::Milliseconds(900));
}

TEST_F(RpcTest, GatherEndsEarlyOnceTheExpectedRepliesCame) {
  std::unique_ptr<RpcServer> second = StartServer("s2");
  GatherResult gather;
  const absl::Time start = absl::Now();
  StartGather(*client_, spec_, "whoami", "{}",
              {.window = absl::Seconds(20), .expect = 2}, &gather);
  ASSERT_TRUE(gather.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(gather.status.ok()) << gather.status;
  EXPECT_EQ(gather.summary.replies, 2);
  EXPECT_LT(gather.finished - start, absl::Seconds(5));
}

TEST_F(RpcTest, GatherCountsFailuresAndKeepsGoing) {
  std::unique_ptr<RpcServer> second = StartServer("s2");
  GatherResult gather;
  StartGather(*client_, spec_, "add", R"({"a": "x"})",
              {.window = absl::Seconds(10), .expect = 2}, &gather);
  ASSERT_TRUE(gather.done.WaitForNotificationWithTimeout(absl::Seconds(15)));
  EXPECT_TRUE(gather.status.ok()) << gather.status;
  EXPECT_EQ(gather.summary.replies, 2);
  EXPECT_EQ(gather.summary.failures, 2);
  ASSERT_EQ(gather.failures.size(), 2u);
  EXPECT_THAT(gather.failures[0].message(), HasSubstr("add needs integers"));
}

TEST_F(RpcTest, GatherToATopicWithNoServerFailsAtOnce) {
  CallSpec nobody = spec_;
  nobody.target.topic = testing::UniqueName("rpc_nobody");
  GatherResult gather;
  const absl::Time start = absl::Now();
  StartGather(*client_, nobody, "whoami", "{}", {.window = absl::Seconds(20)},
              &gather);
  ASSERT_TRUE(gather.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(gather.status.code(), absl::StatusCode::kUnavailable)
      << gather.status;
  EXPECT_LT(gather.finished - start, absl::Seconds(5));
}

TEST_F(RpcTest, CancelEndsAGather) {
  GatherResult gather;
  const RpcClient::CallId id = client_->GatherAsync(
      spec_, "whoami", "{}", nullptr, {.window = absl::Seconds(30)},
      [](absl::StatusOr<oslo::Reply>) {},
      [&](absl::Status status, RpcClient::GatherSummary) {
        gather.status = std::move(status);
        gather.done.Notify();
      });
  client_->Cancel(id);
  ASSERT_TRUE(gather.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(gather.status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(client_->pending_calls(), 0u);
}

// The fanout casts one subscription received, as "method args".
class CastLog {
 public:
  // Subscribes `client` to `target`'s fanout casts; fails the test unless
  // the subscription is ready within 10 s.
  std::unique_ptr<RpcClient::Subscription> Subscribe(RpcClient& client,
                                                     const Target& target) {
    absl::Notification ready;
    absl::Status ready_status;
    auto subscription = client.Subscribe(
        target,
        [this](const oslo::Request& cast) {
          absl::MutexLock lock(&mu_);
          received_.push_back(
              absl::StrCat(cast.method(), " ", oslo::ToPyJson(cast.args())));
        },
        [&](absl::Status status) {
          ready_status = std::move(status);
          ready.Notify();
        });
    EXPECT_TRUE(ready.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_TRUE(ready_status.ok()) << ready_status;
    return subscription;
  }

  // The casts received once `n` came, or after 10 s.
  std::vector<std::string> WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return received_.size() >= n;
    };
    mu_.AwaitWithTimeout(absl::Condition(&arrived), absl::Seconds(10));
    return received_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> received_ ABSL_GUARDED_BY(mu_);
};

TEST_F(RpcTest, SubscriptionReceivesFanoutCastsUntilDestroyed) {
  CastLog log;
  std::unique_ptr<RpcClient::Subscription> subscription =
      log.Subscribe(*client_, spec_.target);
  CallSpec fanout = spec_;
  fanout.target.fanout = true;
  ASSERT_TRUE(client_->Cast(fanout, "count", R"({"n": 1})").ok());
  EXPECT_THAT(log.WaitFor(1), ::testing::ElementsAre(R"(count {"n": 1})"));
  subscription.reset();
  ASSERT_TRUE(client_->Cast(fanout, "count", R"({"n": 2})").ok());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(log.WaitFor(0).size(), 1u);  // nothing after the subscription ended
}

TEST_F(RpcTest, ASecondSubscriptionWorksAfterTheFanoutExchangeWentAway) {
  // No server listens on this topic: when the first subscription's queue
  // goes, RabbitMQ deletes the auto-delete fanout exchange with its last
  // binding, and the second subscription must declare it again.
  CallSpec fanout;
  fanout.target.topic = testing::UniqueName("rpc_test_lonely");
  fanout.target.fanout = true;
  fanout.timeout = absl::Seconds(10);
  for (int round = 1; round <= 2; ++round) {
    CastLog log;
    std::unique_ptr<RpcClient::Subscription> subscription =
        log.Subscribe(*client_, fanout.target);
    const std::string args = absl::StrCat(R"({"round": )", round, "}");
    ASSERT_TRUE(client_->Cast(fanout, "event", args).ok()) << "round " << round;
    EXPECT_THAT(log.WaitFor(1), ::testing::ElementsAre("event " + args));
  }
}

TEST_F(RpcTest, AFanoutCastAfterItsExchangeWentAwayFailsCleanly) {
  // The client's publishing connections declared the fanout exchange. With
  // the last subscriber gone RabbitMQ deletes it, and a publish to it would
  // make the broker close the channel, and with it the connection and all
  // it carries. A fanout cast to nobody fails at once with NO_ROUTE instead
  // (docs/mapping.md), and the client goes on.
  CallSpec fanout;
  fanout.target.topic = testing::UniqueName("rpc_test_vanished");
  fanout.target.fanout = true;
  fanout.timeout = absl::Seconds(10);
  {
    CastLog log;
    std::unique_ptr<RpcClient::Subscription> subscription =
        log.Subscribe(*client_, fanout.target);
    // Through every publishing connection, so that each has declared it.
    for (int n = 1; n <= 4; ++n) {
      ASSERT_TRUE(
          client_->Cast(fanout, "event", absl::StrCat(R"({"n": )", n, "}"))
              .ok());
    }
    EXPECT_EQ(log.WaitFor(4).size(), 4u);
  }
  // RabbitMQ deletes the queue and then the exchange right after the
  // subscription ends, but on its own time: a publish racing that deletion
  // still finds the exchange declared and then gone (docs/mapping.md).
  absl::SleepFor(absl::Seconds(1));
  absl::Status cast = client_->Cast(fanout, "event", "{}");
  for (int n = 0; n < 4; ++n) {
    EXPECT_EQ(cast.code(), absl::StatusCode::kUnavailable) << cast;
    EXPECT_THAT(cast.message(), HasSubstr("(312 NO_ROUTE)")) << cast;
    cast = client_->Cast(fanout, "event", "{}");
  }
  // The same connections still carry calls and subscriptions.
  EXPECT_TRUE(client_->Call(spec_, "count").ok());
  CastLog log;
  std::unique_ptr<RpcClient::Subscription> subscription =
      log.Subscribe(*client_, fanout.target);
  ASSERT_TRUE(client_->Cast(fanout, "event", R"({"n": 5})").ok());
  EXPECT_THAT(log.WaitFor(1), ::testing::ElementsAre(R"(event {"n": 5})"));
}

TEST_F(RpcTest, CallToAQueueWhoseServerStoppedFailsFast) {
  RpcClient::Options options = ClientOptions();
  options.fail_fast_no_consumer = true;
  RpcClient client(options);
  ASSERT_TRUE(client.WaitReady(absl::Seconds(10)));
  // topic.s3 outlives its server, as oslo's queues do.
  StartServer("s3").reset();
  CallSpec dead = spec_.Prepare("s3", std::nullopt, absl::Seconds(30));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> r = client.Call(dead, "count");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("has no consumer"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // A live server's queue is fine.
  EXPECT_TRUE(client.Call(spec_.Prepare("s1"), "count").ok());
}

TEST_F(RpcTest, ManyConcurrentCallsFromManyThreads) {
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 50;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        absl::StatusOr<std::string> sum = client_->Call(
            spec_, "add", absl::StrCat(R"({"a": )", t, R"(, "b": )", i, "}"));
        if (!sum.ok() || *sum != absl::StrCat(t + i)) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(client_->pending_calls(), 0u);
}

TEST_F(RpcTest, WithoutWorkerThreadsMethodsRunOneAtATimeOnTheIoThread) {
  server_.reset();
  server_ = StartServer("s1", /*executor_threads=*/0);
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 20;
  absl::Mutex mu;
  std::set<std::string> threads_seen;
  std::atomic<int> failed{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        absl::StatusOr<std::string> where = client_->Call(spec_, "where");
        if (!where.ok()) {
          failed.fetch_add(1);
          continue;
        }
        absl::MutexLock lock(&mu);
        threads_seen.insert(*where);
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(threads_seen.size(), 1u);
  EXPECT_EQ(where_running_.max(), 1);
  // Casts and the server's own queue go the same way.
  ASSERT_TRUE(client_->Cast(spec_.Prepare("s1"), "count").ok());
  absl::StatusOr<std::string> sum =
      client_->Call(spec_.Prepare("s1"), "add", R"({"a": 1, "b": 2})");
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, "3");
  EXPECT_EQ(calls_.load(), 1);  // the cast ran before the call on one thread
}

TEST_F(RpcTest, MalformedMessagesAreDroppedAndServingGoesOn) {
  absl::StatusOr<std::unique_ptr<transport::Connection>> raw =
      testing::RawConnection();
  ASSERT_TRUE(raw.ok()) << raw.status();
  const std::vector<std::string> bodies = {
      "this is not json",
      R"({"oslo.version": "3.0", "oslo.message": "{}"})",
      R"({"oslo.version": "2.0", "oslo.message": 7})",
      R"({"args": {}})",
      R"({"method": "add", "args": [1, 2]})",
      std::string(100000, '['),
  };
  for (const std::string& body : bodies) {
    ASSERT_TRUE((*raw)->Publish("openstack", topic_, {}, body, true).ok());
  }
  transport::MessageProperties not_json;
  not_json.content_type = "text/plain";
  ASSERT_TRUE((*raw)
                  ->Publish("openstack", topic_, not_json,
                            R"({"method": "add", "args": {}})", true)
                  .ok());
  absl::StatusOr<std::string> sum =
      client_->Call(spec_, "add", R"({"a": 20, "b": 22})");
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, "42");
}

TEST_F(RpcTest, ReplyIsRetriedUntilItsReplyQueueExists) {
  // A caller whose reply queue appears only after the server answered (as
  // after a broker restart): the returned reply is published again.
  absl::StatusOr<std::unique_ptr<transport::Connection>> raw =
      testing::RawConnection();
  ASSERT_TRUE(raw.ok()) << raw.status();
  const std::string reply_q = testing::UniqueName("late_reply_q");
  oslo::OutgoingRequest request;
  request.method = "add";
  request.args_json = R"({"a": 1, "b": 2})";
  request.msg_id = "late-reply-msg-id";
  request.reply_q = reply_q;
  request.unique_id = "late-reply-unique-id";
  ASSERT_TRUE(
      (*raw)
          ->Publish("openstack", topic_, {}, oslo::EncodeRequest(request), true)
          .ok());
  absl::SleepFor(absl::Milliseconds(600));  // the first attempts come back
  ASSERT_TRUE((*raw)->DeclareQueue({reply_q, false, true, false, {}}).ok());
  ASSERT_TRUE((*raw)->Consume(reply_q, "late").ok());
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  std::optional<transport::Delivery> delivery;
  while (!delivery.has_value() && absl::Now() < give_up) {
    absl::StatusOr<transport::ConnectionEvent> event = (*raw)->NextEvent();
    ASSERT_TRUE(event.ok()) << event.status();
    if (auto* d = std::get_if<transport::Delivery>(&*event)) {
      delivery = std::move(*d);
    } else {
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  ASSERT_TRUE(delivery.has_value()) << "no reply within 10 s";
  absl::StatusOr<oslo::Reply> reply =
      oslo::Reply::Decode(std::move(delivery->body));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->msg_id(), "late-reply-msg-id");
  EXPECT_EQ(oslo::ToPyJson(reply->result()), "3");
}

}  // namespace
}  // namespace amqp::rpc
