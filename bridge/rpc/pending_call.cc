#include "bridge/rpc/pending_call.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/failure.h"

namespace amqp::rpc {

void PendingCall::set_timer(DeadlineTimer::TimerId id) {
  absl::MutexLock lock(&mu_);
  timer_id_ = id;
  if (finished_) timer_.Cancel(id);  // the reply was faster
}

void PendingCall::WatchHeartbeats(absl::Duration timeout,
                                  absl::Status expired) {
  absl::MutexLock lock(&mu_);
  monitor_timeout_ = timeout;
  monitor_expired_ = std::move(expired);
  last_heartbeat_ = absl::Now();
  ScheduleMonitorLocked(last_heartbeat_ + timeout);
}

void PendingCall::OnReply(oslo::Reply reply) {
  if (!reply.defect().ok()) {
    // The server answered, but not usably: no use waiting for the deadline.
    Fail(absl::InternalError(absl::StrCat("the server's reply is malformed: ",
                                          reply.defect().message())));
    return;
  }
  if (!reply.ending()) {
    if (reply.is_heartbeat()) {
      absl::MutexLock lock(&mu_);
      last_heartbeat_ = absl::Now();  // the monitor checks it when due
    } else {
      // A pre-Newton server's result before its "ending" message: keep
      // it, like oslo's client.
      early_result_ = std::move(reply);
    }
    return;
  }
  if (!waiter_.Unregister(msg_id_)) return;
  CancelTimers();
  if (reply.failure().has_value()) {
    done_(oslo::FailureToStatus(*reply.failure()));
  } else if (reply.result().IsNull() && early_result_.has_value()) {
    done_(*std::move(early_result_));
  } else {
    done_(std::move(reply));
  }
}

void PendingCall::Fail(absl::Status status) {
  if (!waiter_.Unregister(msg_id_)) return;
  CancelTimers();
  done_(std::move(status));
}

void PendingCall::ScheduleMonitorLocked(absl::Time due) {
  monitor_ = timer_.Schedule(
      due, [self = shared_from_this()] { self->CheckMonitor(); });
}

// Rescheduling here, not per heartbeat, keeps heartbeats off the timer.
void PendingCall::CheckMonitor() {
  absl::Status expired;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    const absl::Time due = last_heartbeat_ + monitor_timeout_;
    if (absl::Now() < due) {
      ScheduleMonitorLocked(due);
      return;
    }
    expired = monitor_expired_;
  }
  Fail(std::move(expired));
}

void PendingCall::CancelTimers() {
  absl::MutexLock lock(&mu_);
  finished_ = true;
  timer_.Cancel(timer_id_);
  if (monitor_ != 0) timer_.Cancel(monitor_);
}

}  // namespace amqp::rpc
