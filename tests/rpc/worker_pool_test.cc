#include "bridge/rpc/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace amqp::rpc {
namespace {

TEST(WorkerPoolTest, RunsTasksConcurrently) {
  WorkerPool pool(2);
  // Each task waits, at most 5 s, for the other one to start: only when two
  // workers run them at the same time do both see the other. A pool that ran
  // them one after the other lets the first one give up (and fails here in
  // 5 s, not at the test's timeout).
  absl::Mutex mu;
  int started = 0;
  int finished = 0;
  int saw_the_other = 0;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(pool.Submit([&] {
      absl::MutexLock lock(&mu);
      ++started;
      auto both_started = [&] { return started == 2; };
      if (mu.AwaitWithTimeout(absl::Condition(&both_started),
                              absl::Seconds(5))) {
        ++saw_the_other;
      }
      ++finished;
    }));
  }
  absl::MutexLock lock(&mu);
  auto both_finished = [&] { return finished == 2; };
  ASSERT_TRUE(
      mu.AwaitWithTimeout(absl::Condition(&both_finished), absl::Seconds(15)))
      << "the tasks did not finish";
  EXPECT_EQ(saw_the_other, 2) << "the two tasks did not run at the same time";
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
