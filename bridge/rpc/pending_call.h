// One RPC call in flight on an RpcClient: it waits for its reply in the
// client's ReplyWaiter and finishes exactly once, with the reply or with the
// first failure: its deadline, oslo's call monitor (no heartbeat for too
// long), a failed publish, or cancellation. Whoever unregisters it from the
// waiter first finishes it.

#ifndef BRIDGE_RPC_PENDING_CALL_H_
#define BRIDGE_RPC_PENDING_CALL_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/oslo/reply.h"
#include "bridge/rpc/deadline_timer.h"
#include "bridge/rpc/reply_waiter.h"

namespace amqp::rpc {

class PendingCall : public ReplySink,
                    public std::enable_shared_from_this<PendingCall> {
 public:
  // Runs once with the final reply; a failure reply arrives as its status.
  using Done = std::function<void(absl::StatusOr<oslo::Reply>)>;

  // `waiter` and `timer` must outlive the call's timers and replies.
  PendingCall(ReplyWaiter& waiter, DeadlineTimer& timer, std::string msg_id,
              Done done)
      : waiter_(waiter),
        timer_(timer),
        msg_id_(std::move(msg_id)),
        done_(std::move(done)) {}

  // The timer that fails the call at its deadline: cancelled when the call
  // finishes (at once if it already has).
  void set_timer(DeadlineTimer::TimerId id);

  // oslo's call monitor: fails the call with `expired` when neither a
  // heartbeat nor the reply came within `timeout`, measured from now and
  // from each heartbeat.
  void WatchHeartbeats(absl::Duration timeout, absl::Status expired);

  void OnReply(oslo::Reply reply) override;
  void Abort(absl::Status status) override { Fail(std::move(status)); }

  // Finishes with an error unless the call already finished.
  void Fail(absl::Status status);

 private:
  void ScheduleMonitorLocked(absl::Time due) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CheckMonitor();
  void CancelTimers();

  ReplyWaiter& waiter_;
  DeadlineTimer& timer_;
  const std::string msg_id_;
  Done done_;
  std::optional<oslo::Reply> early_result_;  // only touched by the I/O thread
  absl::Mutex mu_;
  DeadlineTimer::TimerId timer_id_ ABSL_GUARDED_BY(mu_) = 0;
  DeadlineTimer::TimerId monitor_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration monitor_timeout_ ABSL_GUARDED_BY(mu_);
  absl::Time last_heartbeat_ ABSL_GUARDED_BY(mu_);
  absl::Status monitor_expired_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_PENDING_CALL_H_
