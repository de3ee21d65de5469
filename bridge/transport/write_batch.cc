#include "bridge/transport/write_batch.h"

#include <glog/logging.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "bridge/transport/io_thread.h"

namespace amqp::transport {
namespace {

thread_local WriteBatch* this_threads_batch = nullptr;

// Every live batch, for Forget. Lock order: this, then a batch's mu_, then
// an IoThread's connection.
absl::Mutex registry_mu(absl::kConstInit);
absl::flat_hash_set<WriteBatch*>& Batches()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  static auto* batches = new absl::flat_hash_set<WriteBatch*>();
  return *batches;
}

}  // namespace

WriteBatch::WriteBatch() {
  CHECK(this_threads_batch == nullptr) << "WriteBatches do not nest";
  this_threads_batch = this;
  absl::MutexLock lock(&registry_mu);
  Batches().insert(this);
}

WriteBatch::~WriteBatch() {
  Flush();
  this_threads_batch = nullptr;
  absl::MutexLock lock(&registry_mu);
  Batches().erase(this);
}

WriteBatch* WriteBatch::OfThisThread() { return this_threads_batch; }

bool WriteBatch::empty() const {
  absl::MutexLock lock(&mu_);
  return held_.empty();
}

void WriteBatch::Flush() {
  absl::MutexLock lock(&mu_);
  for (IoThread* io : held_) io->FlushHeld();
  held_.clear();
}

void WriteBatch::Hold(IoThread* io) {
  absl::MutexLock lock(&mu_);
  if (std::find(held_.begin(), held_.end(), io) == held_.end()) {
    held_.push_back(io);
  }
}

void WriteBatch::Forget(IoThread* io) {
  absl::MutexLock registry_lock(&registry_mu);
  for (WriteBatch* batch : Batches()) {
    absl::MutexLock lock(&batch->mu_);
    batch->held_.erase(
        std::remove(batch->held_.begin(), batch->held_.end(), io),
        batch->held_.end());
  }
}

}  // namespace amqp::transport
