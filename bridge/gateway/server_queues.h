// The threads that drive the bridge's gRPC server: one completion queue
// each, and every service of the bridge on the asynchronous API over them.
// gRPC 1.51's callback API serves from a queue of its own that at least two
// of its threads poll; with one call in flight each of them woke twice per
// call. Here the thread that polls is the one that runs the call's step, so
// a small call costs one wake-up on this side (bench/README.md), and what it
// publishes to the broker while events are at hand goes out in one write.
//
//   grpc::ServerBuilder builder;
//   ServerQueues queues(&builder, 1);    // before BuildAndStart
//   ... register the services ...
//   server = builder.BuildAndStart();
//   services.Arm(queues);                // ask for the first calls
//   queues.Start();
//   ...
//   server->Shutdown(deadline);          // ends every call
//   queues.Stop();                       // then drains and joins

#ifndef BRIDGE_GATEWAY_SERVER_QUEUES_H_
#define BRIDGE_GATEWAY_SERVER_QUEUES_H_

#include <grpcpp/completion_queue.h>
#include <grpcpp/server_builder.h>

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace amqp::gateway {

// What a completion queue event runs: every tag the bridge hands gRPC is
// one of these, and the queue's thread calls Run with the event's `ok`.
class QueueTag {
 public:
  virtual void Run(bool ok) = 0;

 protected:
  ~QueueTag() = default;
};

// A QueueTag that calls `(owner->*method)(ok)`: one per operation kind of
// a call, as a member of the call.
template <typename Owner, void (Owner::*method)(bool)>
class MemberTag final : public QueueTag {
 public:
  explicit MemberTag(Owner* owner) : owner_(owner) {}
  void Run(bool ok) override { (owner_->*method)(ok); }

 private:
  Owner* const owner_;
};

// Runs the tag of each event of `queue` until the queue is shut down and
// drained; the loop of every completion queue thread of the bridge. The
// thread's publishes wait in a transport::WriteBatch until the queue has no
// event at hand.
void RunQueue(grpc::CompletionQueue* queue);

class ServerQueues {
 public:
  // Adds `count` (at least 1) queues to `builder`.
  ServerQueues(grpc::ServerBuilder* builder, int count);
  ServerQueues(const ServerQueues&) = delete;
  ServerQueues& operator=(const ServerQueues&) = delete;
  // Stops, if Stop() was not called.
  ~ServerQueues();

  int size() const { return static_cast<int>(queues_.size()); }
  grpc::ServerCompletionQueue* queue(int index) const {
    return queues_[index].get();
  }

  // Starts one thread per queue ("grpc-cq-N").
  void Start();
  // After the server's Shutdown() returned: waits until every call object
  // is gone (the server failed the waiting requests and cancelled the
  // calls; their last steps still run here), then shuts the queues down
  // and joins the threads.
  void Stop();

  // Every object that hands a queue tags counts itself, from its
  // constructor to its destructor, so that Stop() never shuts a queue down
  // under an operation still to start.
  void AddCall();
  void RemoveCall();

 private:
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_SERVER_QUEUES_H_
