#include "bridge/gateway/server_queues.h"

#include <pthread.h>

#include <algorithm>
#include <string>

namespace amqp::gateway {

void RunQueue(grpc::CompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) static_cast<QueueTag*>(tag)->Run(ok);
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
