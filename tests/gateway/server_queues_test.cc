// RunQueue against the real broker: what a completion queue's thread
// publishes while it runs an event waits in the thread's WriteBatch, and
// goes out as soon as the queue has no event at hand, not at the I/O
// thread's next turn.

#include "bridge/gateway/server_queues.h"

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bridge/transport/io_thread.h"
#include "bridge/transport/write_batch.h"
#include "tests/testing/broker.h"

namespace amqp::gateway {
namespace {

using transport::WriteBatch;

// A queue event that runs a function.
class FunctionTag final : public QueueTag {
 public:
  explicit FunctionTag(std::function<void()> run) : run_(std::move(run)) {}
  void Run(bool) override { run_(); }
  void* tag() { return static_cast<QueueTag*>(this); }

 private:
  std::function<void()> run_;
};

gpr_timespec After(absl::Duration wait) {
  return gpr_time_add(
      gpr_now(GPR_CLOCK_MONOTONIC),
      gpr_time_from_micros(absl::ToInt64Microseconds(wait), GPR_TIMESPAN));
}

TEST(RunQueueTest, PublishesOfAnEventGoOutWhenTheQueueRunsDry) {
  testing::RequireBroker();
  const std::string queue = testing::UniqueName("run_queue");
  absl::Notification delivered;
  transport::IoThread::Config in;
  in.url = testing::BrokerUrl();
  in.name = "run_queue_in";
  in.on_connect = [queue](transport::Connection& c) {
    absl::Status s = c.DeclareQueue({queue, false, true, false, {}}).status();
    if (s.ok()) s = c.Consume(queue, "1");
    return s;
  };
  in.on_delivery = [&delivered](transport::Delivery&) {
    if (!delivered.HasBeenNotified()) delivered.Notify();
    return true;
  };
  transport::IoThread consumer(std::move(in));
  ASSERT_TRUE(consumer.WaitConnected(absl::Seconds(10)));
  transport::IoThread publisher(
      {.url = testing::BrokerUrl(), .name = "run_queue_out"});
  ASSERT_TRUE(publisher.WaitConnected(absl::Seconds(10)));

  bool held = false;
  bool flushed_when_dry = false;
  FunctionTag publish([&] {
    // A publish joins the batch when it could use the connection directly
    // (its I/O thread was not busy); try until one did.
    for (int i = 0; i < 100 && !held; ++i) {
      transport::OutgoingMessage message;
      message.routing_key = queue;
      message.body = "{}";
      message.confirm = false;
      publisher.Publish(std::move(message), [](absl::Status) {});
      held = !WriteBatch::OfThisThread()->empty();
    }
  });
  FunctionTag check(
      [&] { flushed_when_dry = WriteBatch::OfThisThread()->empty(); });

  grpc::CompletionQueue cq;
  std::thread runner([&cq] { RunQueue(&cq); });
  grpc::Alarm first;
  grpc::Alarm second;
  first.Set(&cq, After(absl::ZeroDuration()), publish.tag());
  // Long after the queue ran dry behind the first.
  second.Set(&cq, After(absl::Milliseconds(300)), check.tag());
  EXPECT_TRUE(delivered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(500));
  cq.Shutdown();
  runner.join();
  EXPECT_TRUE(held) << "no publish was held for the batch";
  EXPECT_TRUE(flushed_when_dry)
      << "the queue ran dry and its thread still held messages";
}

}  // namespace
}  // namespace amqp::gateway
