#include "bridge/rpc/deadline_timer.h"

#include <pthread.h>

namespace amqp::rpc {

DeadlineTimer::DeadlineTimer()
    : thread_([this] {
        pthread_setname_np(pthread_self(), "rpc-timer");
        Loop();
      }) {}

DeadlineTimer::~DeadlineTimer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    changed_.Signal();
  }
  thread_.join();
}

DeadlineTimer::TimerId DeadlineTimer::Schedule(absl::Time when,
                                               std::function<void()> callback) {
  absl::MutexLock lock(&mu_);
  const TimerId id = next_id_++;
  queue_.emplace(std::make_pair(when, id), std::move(callback));
  when_.emplace(id, when);
  if (when < wake_at_) {
    wake_at_ = when;
    changed_.Signal();
  }
  return id;
}

bool DeadlineTimer::Cancel(TimerId id) {
  absl::MutexLock lock(&mu_);
  auto it = when_.find(id);
  if (it == when_.end()) return false;
  queue_.erase(std::make_pair(it->second, id));
  when_.erase(it);
  return true;
}

void DeadlineTimer::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time next =
        queue_.empty() ? absl::InfiniteFuture() : queue_.begin()->first.first;
    if (queue_.empty() || absl::Now() < next) {
      wake_at_ = next;
      changed_.WaitWithDeadline(&mu_, next);
      continue;
    }
    auto first = queue_.begin();
    std::function<void()> callback = std::move(first->second);
    when_.erase(first->first.second);
    queue_.erase(first);
    mu_.Unlock();
    callback();
    mu_.Lock();
  }
}

}  // namespace amqp::rpc
