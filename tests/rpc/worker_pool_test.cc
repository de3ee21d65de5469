#include "bridge/rpc/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"

namespace amqp::rpc {
namespace {

TEST(WorkerPoolTest, RunsTasksConcurrently) {
  WorkerPool pool(2);
  // Both tasks must run at the same time to get past the barrier.
  absl::BlockingCounter both_started(2);
  absl::Notification release;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(pool.Submit([&] {
      both_started.DecrementCount();
      release.WaitForNotification();
    }));
  }
  both_started.Wait();
  release.Notify();
}

TEST(WorkerPoolTest, ShutdownFinishesQueuedTasksThenRefusesNewOnes) {
  std::atomic<int> done{0};
  WorkerPool pool(1);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(pool.Submit([&] { done.fetch_add(1); }));
  }
  pool.Shutdown();
  EXPECT_EQ(done.load(), 100);
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_FALSE(pool.Submit([&] { done.fetch_add(1); }));
  pool.Shutdown();  // idempotent
  EXPECT_EQ(done.load(), 100);
}

}  // namespace
}  // namespace amqp::rpc
