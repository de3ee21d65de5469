// PendingCall and PendingGather without a broker: replies delivered through
// a real ReplyWaiter, deadlines on a real DeadlineTimer. A call finishes
// exactly once, keeps a pre-Newton early result, and fails when its server
// stops sending heartbeats; a gather counts replies and failures and never
// hands over a reply after it finished.

#include "bridge/rpc/pending_call.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/reply.h"
#include "bridge/rpc/deadline_timer.h"
#include "bridge/rpc/pending_gather.h"
#include "bridge/rpc/reply_waiter.h"

namespace amqp::rpc {
namespace {

constexpr absl::string_view kMsgId = "0123456789abcdef0123456789abcdef";

bool Deliver(ReplyWaiter& waiter, absl::string_view result_json,
             bool ending = true, const oslo::Failure* failure = nullptr) {
  oslo::OutgoingReply reply;
  reply.result_json = result_json;
  reply.ending = ending;
  reply.failure = failure;
  reply.msg_id = kMsgId;
  absl::StatusOr<oslo::Reply> decoded =
      oslo::Reply::Decode(oslo::EncodeReply(reply));
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  return waiter.Deliver(*std::move(decoded));
}

bool DeliverHeartbeat(ReplyWaiter& waiter) {
  absl::StatusOr<oslo::Reply> heartbeat =
      oslo::Reply::Decode(oslo::EncodeHeartbeat(kMsgId, ""));
  EXPECT_TRUE(heartbeat.ok()) << heartbeat.status();
  return waiter.Deliver(*std::move(heartbeat));
}

// What a call finished with, and how often.
struct Outcome {
  absl::Mutex mu;
  int calls = 0;
  absl::StatusOr<std::string> result = absl::UnknownError("not finished");
  absl::Notification finished;

  PendingCall::Done Done() {
    return [this](absl::StatusOr<oslo::Reply> reply) {
      absl::MutexLock lock(&mu);
      ++calls;
      result =
          reply.ok()
              ? absl::StatusOr<std::string>(oslo::ToPyJson(reply->result()))
              : reply.status();
      if (!finished.HasBeenNotified()) finished.Notify();
    };
  }
};

class PendingCallTest : public ::testing::Test {
 protected:
  // A call registered with the waiter, as RpcClient::CallAsync starts one.
  std::shared_ptr<PendingCall> Start() {
    auto call = std::make_shared<PendingCall>(
        waiter_, timer_, std::string(kMsgId), outcome_.Done());
    waiter_.Register(kMsgId, call);
    return call;
  }

  ReplyWaiter waiter_;
  DeadlineTimer timer_;
  Outcome outcome_;
};

TEST_F(PendingCallTest, FinishesOnceWithTheReply) {
  std::shared_ptr<PendingCall> call = Start();
  call->set_timer(timer_.Schedule(absl::Now() + absl::Seconds(30), [call] {
    call->Fail(absl::DeadlineExceededError("late"));
  }));
  EXPECT_TRUE(Deliver(waiter_, R"({"x": 1})"));
  call->Fail(absl::CancelledError("too late to matter"));
  EXPECT_FALSE(Deliver(waiter_, "2"));  // unregistered: nobody waits
  absl::MutexLock lock(&outcome_.mu);
  EXPECT_EQ(outcome_.calls, 1);
  ASSERT_TRUE(outcome_.result.ok()) << outcome_.result.status();
  EXPECT_EQ(*outcome_.result, R"({"x": 1})");
}

TEST_F(PendingCallTest, KeepsAPreNewtonResultSentBeforeTheEnding) {
  std::shared_ptr<PendingCall> call = Start();
  EXPECT_TRUE(Deliver(waiter_, R"("early")", /*ending=*/false));
  EXPECT_TRUE(Deliver(waiter_, "null"));
  absl::MutexLock lock(&outcome_.mu);
  ASSERT_TRUE(outcome_.result.ok()) << outcome_.result.status();
  EXPECT_EQ(*outcome_.result, R"("early")");
}

TEST_F(PendingCallTest, FailureReplyArrivesAsItsStatus) {
  std::shared_ptr<PendingCall> call = Start();
  const oslo::Failure failure = oslo::BuiltinFailure("ValueError", "bad id");
  EXPECT_TRUE(Deliver(waiter_, "null", /*ending=*/true, &failure));
  absl::MutexLock lock(&outcome_.mu);
  EXPECT_FALSE(outcome_.result.ok());
  EXPECT_NE(outcome_.result.status().message().find("bad id"),
            absl::string_view::npos)
      << outcome_.result.status();
}

TEST_F(PendingCallTest, AMalformedReplyEndsTheCallWithWhy) {
  std::shared_ptr<PendingCall> call = Start();
  // Not ending, so without the check it would wait for the deadline.
  absl::StatusOr<oslo::Reply> reply = oslo::Reply::Decode(absl::StrCat(
      R"({"_msg_id": ")", kMsgId, R"(", "ending": "soon", "result": null})"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(waiter_.Deliver(*std::move(reply)));
  absl::MutexLock lock(&outcome_.mu);
  EXPECT_EQ(outcome_.calls, 1);
  EXPECT_EQ(outcome_.result.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(outcome_.result.status().message()),
              ::testing::HasSubstr("the server's reply is malformed: reply "
                                   "field \"ending\" is a string"));
}

TEST_F(PendingCallTest, HeartbeatsKeepTheCallMonitorQuietUntilTheyStop) {
  std::shared_ptr<PendingCall> call = Start();
  const absl::Duration monitor = absl::Seconds(1);
  call->WatchHeartbeats(monitor, absl::DeadlineExceededError("no heartbeat"));
  // Heartbeats for over two monitor periods: the call stays open.
  for (int i = 0; i < 25; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    EXPECT_TRUE(DeliverHeartbeat(waiter_)) << "failed after " << i;
  }
  const absl::Time last_heartbeat = absl::Now();
  ASSERT_TRUE(
      outcome_.finished.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_GE(absl::Now() - last_heartbeat, monitor - absl::Milliseconds(20));
  absl::MutexLock lock(&outcome_.mu);
  EXPECT_EQ(outcome_.result.status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(PendingGatherTest, CountsRepliesAndFailuresAndStopsAtExpect) {
  ReplyWaiter waiter;
  DeadlineTimer timer;
  std::vector<std::string> replies;
  absl::Status done_status = absl::UnknownError("not done");
  GatherSummary summary;
  int done_calls = 0;
  auto gather = std::make_shared<PendingGather>(
      waiter, timer, std::string(kMsgId), /*expect=*/2,
      [&](absl::StatusOr<oslo::Reply> reply) {
        replies.push_back(reply.ok() ? oslo::ToPyJson(reply->result())
                                     : std::string(reply.status().message()));
      },
      [&](absl::Status status, GatherSummary s) {
        ++done_calls;
        done_status = status;
        summary = s;
      });
  waiter.Register(kMsgId, gather);
  const oslo::Failure failure = oslo::BuiltinFailure("ValueError", "no");
  EXPECT_TRUE(DeliverHeartbeat(waiter));  // says nothing: not counted
  EXPECT_TRUE(Deliver(waiter, "1"));
  EXPECT_TRUE(Deliver(waiter, "null", /*ending=*/true, &failure));
  EXPECT_FALSE(Deliver(waiter, "3"));  // after `expect`: nobody waits
  gather->Abort(absl::CancelledError("after the end"));
  EXPECT_EQ(done_calls, 1);
  EXPECT_TRUE(done_status.ok()) << done_status;
  EXPECT_EQ(summary.replies, 2);
  EXPECT_EQ(summary.failures, 1);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0], "1");
}

}  // namespace
}  // namespace amqp::rpc
