#include "bridge/gateway/server_queues.h"

#include <grpc/support/time.h>
#include <pthread.h>

#include <algorithm>
#include <string>

#include "bridge/transport/write_batch.h"

namespace amqp::gateway {

void RunQueue(grpc::CompletionQueue* queue) {
  // The messages this thread publishes to the broker wait while events are
  // at hand, and go out together when the queue runs dry: a burst of calls
  // (or of replies, in the reverse direction) costs one write.
  transport::WriteBatch batch;
  const gpr_timespec now = gpr_time_0(GPR_CLOCK_MONOTONIC);
  void* tag = nullptr;
  bool ok = false;
  while (true) {
    if (batch.empty()) {
      if (!queue->Next(&tag, &ok)) break;
    } else {
      // Polls once without waiting: what arrived meanwhile joins the burst.
      const grpc::CompletionQueue::NextStatus next =
          queue->AsyncNext(&tag, &ok, now);
      if (next == grpc::CompletionQueue::TIMEOUT) {
        batch.Flush();
        continue;
      }
      if (next == grpc::CompletionQueue::SHUTDOWN) break;
    }
    static_cast<QueueTag*>(tag)->Run(ok);
  }
}

ServerQueues::ServerQueues(grpc::ServerBuilder* builder, int count) {
  for (int i = 0; i < std::max(count, 1); ++i) {
    queues_.push_back(builder->AddCompletionQueue());
  }
}

ServerQueues::~ServerQueues() { Stop(); }

void ServerQueues::Start() {
  for (size_t i = 0; i < queues_.size(); ++i) {
    threads_.emplace_back([queue = queues_[i].get(), i] {
      const std::string name = "grpc-cq-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      RunQueue(queue);
    });
  }
}

void ServerQueues::AddCall() {
  absl::MutexLock lock(&mu_);
  ++calls_;
}

void ServerQueues::RemoveCall() {
  absl::MutexLock lock(&mu_);
  --calls_;
}

void ServerQueues::Stop() {
  if (queues_.empty()) return;
  if (!threads_.empty()) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* calls) { return *calls == 0; }, &calls_));
  }
  for (auto& queue : queues_) queue->Shutdown();
  if (threads_.empty()) {
    // Never started: what was armed fails here.
    for (auto& queue : queues_) RunQueue(queue.get());
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  queues_.clear();
}

}  // namespace amqp::gateway
