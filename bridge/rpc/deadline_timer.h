// A single thread that runs callbacks at given times: call timeouts, reply
// retries and call-monitor heartbeats. One heap for all of them, so a call
// costs one heap entry, not a thread or a sleeping worker.

#ifndef BRIDGE_RPC_DEADLINE_TIMER_H_
#define BRIDGE_RPC_DEADLINE_TIMER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace amqp::rpc {

class DeadlineTimer {
 public:
  using TimerId = uint64_t;

  DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;
  // Drops the callbacks that have not run yet.
  ~DeadlineTimer();

  // Runs `callback` on the timer thread at `when` (at once if it passed).
  TimerId Schedule(absl::Time when, std::function<void()> callback);
  // True if the callback was removed before it started to run.
  bool Cancel(TimerId id);

 private:
  void Loop();

  absl::Mutex mu_;
  absl::CondVar changed_;  // an earlier entry arrived, or stopping
  // Ordered by (time, id): the first entry is the next to run.
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> queue_
      ABSL_GUARDED_BY(mu_);
  std::map<TimerId, absl::Time> when_ ABSL_GUARDED_BY(mu_);
  // When the thread wakes up next (it does not for cancellations). A new
  // entry wakes it only when due before that: a call's timeout, scheduled
  // and cancelled per call, costs no wake-up.
  absl::Time wake_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_DEADLINE_TIMER_H_
