// Holds back the messages one thread publishes directly (IoThread::Publish
// from a thread that is not an I/O thread) in their connections' output
// buffers until Flush(): a burst of messages then costs each connection one
// write, one TCP segment and one wake-up of the broker, instead of one of
// each per message. A gRPC completion queue's thread keeps one and flushes
// it whenever its queue runs dry (gateway::RunQueue), so a message waits
// only while the thread has other events at hand.
//
//   WriteBatch batch;             // this thread's, until destroyed
//   io.Publish(request_a, done);  // buffered
//   io.Publish(request_b, done);  // buffered behind it
//   batch.Flush();                // one write
//
// At most one per thread at a time. An IoThread may be destroyed while a
// batch holds its messages: it leaves every batch first, and sends them as
// it closes its connection.

#ifndef BRIDGE_TRANSPORT_WRITE_BATCH_H_
#define BRIDGE_TRANSPORT_WRITE_BATCH_H_

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"

namespace amqp::transport {

class IoThread;

class WriteBatch {
 public:
  WriteBatch();
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;
  // Flushes.
  ~WriteBatch();

  // The calling thread's batch, or null.
  static WriteBatch* OfThisThread();

  // True when no connection holds messages for this batch.
  bool empty() const;
  // Writes every held message: one write per connection. A connection that
  // fails the write is dropped and reconnected by its I/O thread, as when
  // it fails any write.
  void Flush();

 private:
  friend class IoThread;
  // Notes that `io`'s connection holds messages until Flush().
  void Hold(IoThread* io);
  // Removes `io` from every batch; returns once no batch is flushing it.
  static void Forget(IoThread* io);

  mutable absl::Mutex mu_;
  absl::InlinedVector<IoThread*, 2> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace amqp::transport

#endif  // BRIDGE_TRANSPORT_WRITE_BATCH_H_
