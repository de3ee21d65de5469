#include "bridge/rpc/pending_gather.h"

#include <utility>

#include "bridge/oslo/failure.h"

namespace amqp::rpc {

void PendingGather::OnReply(oslo::Reply reply) {
  if (!reply.ending()) return;  // heartbeats say nothing about the result
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  ++summary_.replies;
  if (reply.failure().has_value()) {
    ++summary_.failures;
    on_reply_(oslo::FailureToStatus(*reply.failure()));
  } else {
    on_reply_(std::move(reply));
  }
  if (expect_ > 0 && summary_.replies >= expect_) {
    FinishLocked(absl::OkStatus());
  }
}

void PendingGather::Abort(absl::Status status) {
  absl::MutexLock lock(&mu_);
  FinishLocked(std::move(status));
}

void PendingGather::FinishLocked(absl::Status status) {
  if (finished_) return;
  finished_ = true;
  waiter_.Unregister(msg_id_);
  timer_.Cancel(timer_id_);
  done_(std::move(status), summary_);
}

}  // namespace amqp::rpc
