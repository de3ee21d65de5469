#include "bridge/rpc/pending_gather.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/failure.h"

namespace amqp::rpc {

void PendingGather::OnReply(oslo::Reply reply) {
  // Heartbeats say nothing about the result.
  if (!reply.ending() && reply.defect().ok()) return;
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  ++summary_.replies;
  if (!reply.defect().ok()) {
    ++summary_.failures;
    on_reply_(absl::InternalError(absl::StrCat(
        "a server's reply is malformed: ", reply.defect().message())));
  } else if (reply.failure().has_value()) {
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
