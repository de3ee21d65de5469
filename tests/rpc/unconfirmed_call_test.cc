// Calls and replies await no publisher confirm (bridge/rpc/rpc_client.h,
// rpc_server.h): the C++ client and server over the real broker, the client
// through a TcpProxy that breaks its connections. A call whose connection
// drops right after the write ends by its reply or its deadline and the
// client serves the next call; an unroutable call comes back at once and
// fails only its own call, found by `_msg_id`; a cast still awaits its
// confirm; a reply whose reply queue vanished is given up without harm; and
// a stalled broker never blocks the thread that starts a call.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/dispatcher.h"
#include "bridge/rpc/endpoint.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/rpc/rpc_server.h"
#include "bridge/transport/connection.h"
#include "bridge/transport/io_thread.h"
#include "tests/testing/broker.h"
#include "tests/testing/tcp_proxy.h"

namespace amqp::rpc {
namespace {

using ::testing::HasSubstr;

// The outcome of one CallAsync.
struct CallResult {
  absl::Notification done;
  absl::StatusOr<std::string> result = absl::UnknownError("not finished");
  absl::Time finished;
};

class UnconfirmedCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RequireBroker();
    topic_ = testing::UniqueName("unconfirmed");
    endpoint_.Add("add", [](CallContext&, const rapidjson::Value& args) {
      return absl::StatusOr<std::string>(
          absl::StrCat(args["a"].GetInt() + args["b"].GetInt()));
    });
    endpoint_.Add("sleep", [](CallContext&, const rapidjson::Value& args) {
      absl::SleepFor(absl::Milliseconds(args["ms"].GetInt()));
      return absl::StatusOr<std::string>("\"slept\"");
    });
    // Answers once the test lets it, so the test can act in between.
    endpoint_.Add("hold", [this](CallContext&, const rapidjson::Value&) {
      held_.Notify();
      release_.WaitForNotificationWithTimeout(absl::Seconds(30));
      return absl::StatusOr<std::string>("\"held\"");
    });
    endpoint_.Add("note", [this](CallContext&, const rapidjson::Value&) {
      notes_.fetch_add(1);
      return absl::StatusOr<std::string>("null");
    });
    dispatcher_.AddEndpoint(&endpoint_);
    server_ = std::make_unique<RpcServer>(ServerOptions("s1"), &dispatcher_);
    ASSERT_TRUE(server_->WaitReady(absl::Seconds(10)));

    absl::StatusOr<std::unique_ptr<testing::TcpProxy>> proxy =
        testing::TcpProxy::Start(testing::BrokerUrl().hosts[0].port);
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
    client_ = std::make_unique<RpcClient>(ProxiedClientOptions());
    ASSERT_TRUE(client_->WaitReady(absl::Seconds(10)));
    spec_.target.topic = topic_;
    spec_.timeout = absl::Seconds(10);
  }

  // A client through the proxy.
  RpcClient::Options ProxiedClientOptions() {
    RpcClient::Options options;
    options.url = *transport::ParseTransportUrl(
        absl::StrCat("rabbit://guest:guest@127.0.0.1:", proxy_->port(), "/"));
    // As the bridge: replies on the first connection, publishes on the other.
    options.io_threads = 2;
    return options;
  }

  RpcServer::Options ServerOptions(const std::string& server) {
    RpcServer::Options options;
    options.url = testing::BrokerUrl();
    options.target.topic = topic_;
    options.target.server = server;
    options.executor_threads = 4;
    return options;
  }

  static void StartCall(RpcClient& client, const CallSpec& spec,
                        const std::string& method, const std::string& args,
                        CallResult* call) {
    client.CallAsync(spec, method, args, nullptr,
                     [call](absl::StatusOr<oslo::Reply> reply) {
                       if (reply.ok()) {
                         call->result = oslo::ToPyJson(reply->result());
                       } else {
                         call->result = reply.status();
                       }
                       call->finished = absl::Now();
                       call->done.Notify();
                     });
  }

  // Waits until every connection of the client came back after a cut.
  void WaitReconnected() {
    for (size_t i = 0; i < client_->connections(); ++i) {
      const absl::Time give_up = absl::Now() + absl::Seconds(10);
      while (client_->connection(i).stats().reconnects == 0 &&
             absl::Now() < give_up) {
        absl::SleepFor(absl::Milliseconds(10));
      }
      ASSERT_GE(client_->connection(i).stats().reconnects, 1u)
          << "connection " << i << " did not notice the cut";
      ASSERT_TRUE(client_->connection(i).WaitConnected(absl::Seconds(10)))
          << "connection " << i << " did not come back";
    }
  }

  // The client serves calls as before.
  void ExpectServing() {
    absl::StatusOr<std::string> sum =
        client_->Call(spec_, "add", R"({"a": 2, "b": 40})");
    ASSERT_TRUE(sum.ok()) << sum.status();
    EXPECT_EQ(*sum, "42");
  }

  std::string topic_;
  FunctionEndpoint endpoint_;
  Dispatcher dispatcher_;
  absl::Notification held_;
  absl::Notification release_;
  std::atomic<int> notes_{0};
  std::unique_ptr<RpcServer> server_;
  std::unique_ptr<testing::TcpProxy> proxy_;
  std::unique_ptr<RpcClient> client_;
  CallSpec spec_;
};

TEST_F(UnconfirmedCallTest, CallWhoseConnectionDropsAfterTheWriteGetsItsReply) {
  CallResult call;
  StartCall(*client_, spec_, "hold", "{}", &call);
  // The request was written and delivered; no confirm was awaited.
  ASSERT_TRUE(held_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  proxy_->CutAll();
  WaitReconnected();
  EXPECT_FALSE(call.done.HasBeenNotified()) << call.result.status();
  // The server answers into the reply queue, which outlived the connection.
  release_.Notify();
  ASSERT_TRUE(call.done.WaitForNotificationWithTimeout(absl::Seconds(15)))
      << "the call hangs";
  ASSERT_TRUE(call.result.ok()) << call.result.status();
  EXPECT_EQ(*call.result, "\"held\"");
  ExpectServing();
}

TEST_F(UnconfirmedCallTest,
       CallWrittenJustBeforeItsConnectionDropsEndsByItsDeadline) {
  // A first call declares the exchange, which waits for the broker's answer.
  ExpectServing();
  // What the client writes now never reaches the broker, as when the
  // connection dies with the request in its socket buffers.
  proxy_->SetSwallow(true);
  CallSpec spec = spec_.Prepare("", std::nullopt, absl::Seconds(2));
  const absl::Time start = absl::Now();
  CallResult call;
  StartCall(*client_, spec, "add", R"({"a": 1, "b": 1})", &call);
  const absl::Time give_up = start + absl::Seconds(5);
  while (proxy_->swallowed_bytes() == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_GT(proxy_->swallowed_bytes(), 0u) << "the request was not written";
  // The write succeeded: without a confirm to wait for, nothing fails yet.
  EXPECT_FALSE(call.done.HasBeenNotified()) << call.result.status();
  proxy_->SetSwallow(false);
  proxy_->CutAll();
  ASSERT_TRUE(call.done.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "the call hangs";
  EXPECT_EQ(call.result.status().code(), absl::StatusCode::kDeadlineExceeded)
      << call.result.status();
  EXPECT_GE(call.finished - start, absl::Milliseconds(1900));
  EXPECT_LT(call.finished - start, absl::Seconds(6));
  EXPECT_EQ(client_->pending_calls(), 0u);
  WaitReconnected();
  ExpectServing();
}

TEST_F(UnconfirmedCallTest, UnroutableCallsFailAtOnceEachFoundByItsMsgId) {
  // A call in flight on the same connections is not disturbed.
  CallResult slow;
  StartCall(*client_, spec_, "sleep", R"({"ms": 500})", &slow);
  CallSpec nobody_a = spec_.Prepare("", std::nullopt, absl::Seconds(30));
  nobody_a.target.topic = testing::UniqueName("unconfirmed_nobody_a");
  CallSpec nobody_b = nobody_a;
  nobody_b.target.topic = testing::UniqueName("unconfirmed_nobody_b");
  const absl::Time start = absl::Now();
  CallResult a;
  CallResult b;
  StartCall(*client_, nobody_a, "add", "{}", &a);
  StartCall(*client_, nobody_b, "add", "{}", &b);
  for (auto [call, topic] : {std::pair(&a, nobody_a.target.topic),
                             std::pair(&b, nobody_b.target.topic)}) {
    ASSERT_TRUE(call->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_EQ(call->result.status().code(), absl::StatusCode::kUnavailable)
        << call->result.status();
    EXPECT_THAT(call->result.status().message(),
                HasSubstr(absl::StrCat("routing key '", topic, "'")));
    EXPECT_THAT(call->result.status().message(), HasSubstr("NO_ROUTE"));
    EXPECT_LT(call->finished - start, absl::Seconds(5));
  }
  ASSERT_TRUE(slow.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(slow.result.ok()) << slow.result.status();
  EXPECT_EQ(*slow.result, "\"slept\"");
  EXPECT_EQ(client_->pending_calls(), 0u);
  // A cast awaits its confirm, the only answer it gets: "no route" reaches
  // its caller too.
  EXPECT_EQ(client_->Cast(nobody_a, "add").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(client_->Cast(spec_, "note").ok());
}

TEST_F(UnconfirmedCallTest, ReplyToAVanishedReplyQueueIsDroppedWithoutHarm) {
  RpcServer::Options options = ServerOptions("s2");
  options.rabbit.kombu_missing_consumer_retry_timeout = 1;
  RpcServer s2(options, &dispatcher_);
  ASSERT_TRUE(s2.WaitReady(absl::Seconds(10)));
  // A caller that is gone: its reply queue does not exist.
  absl::StatusOr<std::unique_ptr<transport::Connection>> raw =
      testing::RawConnection();
  ASSERT_TRUE(raw.ok()) << raw.status();
  const std::string reply_q = testing::UniqueName("vanished_reply_q");
  oslo::OutgoingRequest request;
  request.method = "note";
  request.args_json = "{}";
  request.msg_id = "vanished-reply-msg-id";
  request.reply_q = reply_q;
  request.unique_id = "vanished-reply-unique-id";
  ASSERT_TRUE((*raw)
                  ->Publish("openstack", absl::StrCat(topic_, ".s2"), {},
                            oslo::EncodeRequest(request), true)
                  .ok());
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (notes_.load() == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(notes_.load(), 1) << "s2 did not get the request";
  // While its reply comes back and is retried, s2 answers calls as usual.
  const CallSpec to_s2 = spec_.Prepare("s2");
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<std::string> sum = client_->Call(
        to_s2, "add", absl::StrCat(R"({"a": )", i, R"(, "b": 1})"));
    ASSERT_TRUE(sum.ok()) << sum.status();
    EXPECT_EQ(*sum, absl::StrCat(i + 1));
    absl::SleepFor(absl::Milliseconds(100));
  }
  // Past kombu_missing_consumer_retry_timeout the reply is given up: a
  // reply queue declared now receives nothing.
  absl::SleepFor(absl::Seconds(2));
  ASSERT_TRUE((*raw)->DeclareQueue({reply_q, false, true, false, {}}).ok());
  ASSERT_TRUE((*raw)->Consume(reply_q, "late").ok());
  const absl::Time quiet_until = absl::Now() + absl::Milliseconds(1500);
  while (absl::Now() < quiet_until) {
    absl::StatusOr<transport::ConnectionEvent> event = (*raw)->NextEvent();
    ASSERT_TRUE(event.ok()) << event.status();
    ASSERT_FALSE(std::holds_alternative<transport::Delivery>(*event))
        << "a reply given up on was still published";
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(client_->Call(to_s2, "add", R"({"a": 1, "b": 1})").ok());
}

// A stalled link (what the client writes vanishes, the connection stays up)
// never blocks the thread that starts a call, not even when the call must
// first ask the broker something (its queue's consumer count, older than
// kConsumerCountTtl): the I/O thread waits for that answer, and the call
// ends at its deadline. Before, the calling thread (a gRPC thread, in the
// bridge) waited for the broker's answer for up to the connection's RPC
// timeout (10 s).
TEST_F(UnconfirmedCallTest, AStalledBrokerNeverBlocksTheCallingThread) {
  RpcClient::Options options = ProxiedClientOptions();
  options.fail_fast_no_consumer = true;  // as the bridge
  RpcClient client(options);
  ASSERT_TRUE(client.WaitReady(absl::Seconds(10)));
  ASSERT_TRUE(client.Call(spec_, "add", R"({"a": 1, "b": 1})").ok());
  absl::SleepFor(transport::kConsumerCountTtl + absl::Milliseconds(100));

  proxy_->SetSwallow(true);
  CallSpec spec = spec_;
  spec.timeout = absl::Milliseconds(500);
  CallResult call;
  const absl::Time start = absl::Now();
  StartCall(client, spec, "add", R"({"a": 2, "b": 2})", &call);
  const absl::Duration start_took = absl::Now() - start;
  ASSERT_TRUE(call.done.WaitForNotificationWithTimeout(absl::Seconds(9)))
      << "the call outlived its deadline";
  // Hang checks, far from the 10 s a broker round trip could wait.
  EXPECT_LT(start_took, absl::Seconds(2));
  EXPECT_LT(call.finished - start, absl::Seconds(3));
  EXPECT_EQ(call.result.status().code(), absl::StatusCode::kDeadlineExceeded)
      << call.result.status();

  proxy_->SetSwallow(false);
  proxy_->CutAll();
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  absl::StatusOr<std::string> sum = absl::UnknownError("no call yet");
  while (!sum.ok() && absl::Now() < give_up) {
    sum = client.Call(spec_, "add", R"({"a": 3, "b": 3})");
  }
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, "6");
}

}  // namespace
}  // namespace amqp::rpc
