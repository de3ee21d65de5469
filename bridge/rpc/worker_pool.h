// A fixed set of threads that run endpoint methods, like oslo's threading
// executor (executor_thread_pool_size). Methods may block; the I/O threads
// never do.

#ifndef BRIDGE_RPC_WORKER_POOL_H_
#define BRIDGE_RPC_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace amqp::rpc {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Runs what was queued, then joins.
  ~WorkerPool() { Shutdown(); }

  // Queues `task`; false once Shutdown() started.
  bool Submit(std::function<void()> task);
  // Finishes every queued task and joins the threads. Idempotent.
  void Shutdown();
  size_t queued() const;

 private:
  void Work();

  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_WORKER_POOL_H_
