#include "bridge/rpc/deadline_timer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace amqp::rpc {
namespace {

TEST(DeadlineTimerTest, RunsCallbacksInDeadlineOrder) {
  DeadlineTimer timer;
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification last;
  const absl::Time now = absl::Now();
  // Scheduled out of order on purpose.
  timer.Schedule(now + absl::Milliseconds(60), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(3);
    last.Notify();
  });
  timer.Schedule(now + absl::Milliseconds(20), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(1);
  });
  timer.Schedule(now + absl::Milliseconds(40), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(2);
  });
  ASSERT_TRUE(last.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(DeadlineTimerTest, PastDeadlinesRunAtOnce) {
  DeadlineTimer timer;
  absl::Notification ran;
  timer.Schedule(absl::InfinitePast(), [&] { ran.Notify(); });
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST(DeadlineTimerTest, CancelledCallbacksNeverRun) {
  DeadlineTimer timer;
  std::atomic<bool> cancelled_ran{false};
  absl::Notification later_ran;
  DeadlineTimer::TimerId id = timer.Schedule(
      absl::Now() + absl::Milliseconds(20), [&] { cancelled_ran = true; });
  EXPECT_TRUE(timer.Cancel(id));
  EXPECT_FALSE(timer.Cancel(id));  // already gone
  timer.Schedule(absl::Now() + absl::Milliseconds(50),
                 [&] { later_ran.Notify(); });
  ASSERT_TRUE(later_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_FALSE(cancelled_ran);
}

TEST(DeadlineTimerTest, CancelAfterRunReportsFalse) {
  DeadlineTimer timer;
  absl::Notification ran;
  DeadlineTimer::TimerId id =
      timer.Schedule(absl::Now(), [&] { ran.Notify(); });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_FALSE(timer.Cancel(id));
}

TEST(DeadlineTimerTest, DestructionDropsPendingCallbacks) {
  // Shared with the thread, which outlives this test if the destructor hangs.
  auto ran = std::make_shared<std::atomic<bool>>(false);
  auto destroyed = std::make_shared<absl::Notification>();
  std::thread destroyer([ran, destroyed] {
    {
      DeadlineTimer timer;
      timer.Schedule(absl::Now() + absl::Hours(1), [ran] { *ran = true; });
    }  // must neither wait an hour nor run the callback
    destroyed->Notify();
  });
  if (!destroyed->WaitForNotificationWithTimeout(absl::Seconds(5))) {
    destroyer.detach();  // stuck in ~DeadlineTimer; the process ends it
    FAIL() << "~DeadlineTimer waited for a callback due in an hour";
  }
  destroyer.join();
  EXPECT_FALSE(*ran);
}

}  // namespace
}  // namespace amqp::rpc
