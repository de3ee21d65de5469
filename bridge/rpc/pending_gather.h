// One gather in flight on an RpcClient (a call to every server of a topic):
// every final reply goes to `on_reply` until the window closes, `expect`
// replies came, the publish failed or the caller cancelled; then `done` runs
// once with the summary. One mutex serialises the callbacks, so `on_reply`
// never runs after `done`.

#ifndef BRIDGE_RPC_PENDING_GATHER_H_
#define BRIDGE_RPC_PENDING_GATHER_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bridge/oslo/reply.h"
#include "bridge/rpc/deadline_timer.h"
#include "bridge/rpc/reply_waiter.h"

namespace amqp::rpc {

// How a gather went (RpcClient::GatherSummary).
struct GatherSummary {
  int replies = 0;   // every final reply, failures included
  int failures = 0;  // replies that carried an exception
};

class PendingGather : public ReplySink {
 public:
  // One server's reply; a failure reply arrives as its status.
  using Reply = std::function<void(absl::StatusOr<oslo::Reply>)>;
  using Done = std::function<void(absl::Status, GatherSummary)>;

  // `waiter` and `timer` must outlive the gather's window and replies.
  PendingGather(ReplyWaiter& waiter, DeadlineTimer& timer, std::string msg_id,
                int expect, Reply on_reply, Done done)
      : waiter_(waiter),
        timer_(timer),
        msg_id_(std::move(msg_id)),
        expect_(expect),
        on_reply_(std::move(on_reply)),
        done_(std::move(done)) {}

  // The timer that closes the window: cancelled when the gather finishes.
  void set_timer(DeadlineTimer::TimerId id) {
    absl::MutexLock lock(&mu_);
    timer_id_ = id;
  }

  void OnReply(oslo::Reply reply) override;
  // Finishes with `status` (OK: the window closed) unless finished.
  void Abort(absl::Status status) override;

 private:
  void FinishLocked(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ReplyWaiter& waiter_;
  DeadlineTimer& timer_;
  const std::string msg_id_;
  const int expect_;
  absl::Mutex mu_;
  Reply on_reply_ ABSL_GUARDED_BY(mu_);
  Done done_ ABSL_GUARDED_BY(mu_);
  DeadlineTimer::TimerId timer_id_ ABSL_GUARDED_BY(mu_) = 0;
  GatherSummary summary_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_PENDING_GATHER_H_
