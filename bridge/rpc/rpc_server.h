// An oslo.messaging RPC server: consumes a target's three queues exactly as
// oslo does (topic, topic.server and a private fanout queue, consumer tags
// "1", "2", "3"), so C++ and Python servers can share a topic, and answers
// through a Dispatcher.
//
//   FunctionEndpoint endpoint;
//   endpoint.Add("ping", [](CallContext&, const rapidjson::Value&) {
//     return absl::StatusOr<std::string>("\"pong\"");
//   });
//   Dispatcher dispatcher;
//   dispatcher.AddEndpoint(&endpoint);
//   RpcServer server({.url = url, .target = {.topic = "t", .server = "h1"}},
//                    &dispatcher);
//
// Work taken from the broker is bounded: at most `max_queued_requests`
// requests wait for a worker or run on an AsyncEndpoint. Beyond that a delivery
// is parked unacked, and the channel's prefetch (rabbit_qos_prefetch_count, or
// max_queued_requests when that is 0) makes the broker stop delivering, so the
// rest wait in the queue. A parked request is acked once a slot is free,
// still before it is dispatched (oslo's at-most-once); if the connection drops
// first, the broker redelivers it. Bodies over `max_message_bytes` are rejected
// unread.
//
// An AsyncEndpoint's methods start on the I/O thread and reply from the
// thread that finishes them, with no worker in between; so do requests no
// endpoint takes (their failure replies).
//
// Like oslo: requests are acked on receipt, before they are dispatched (at
// most once; the acks of one read go out in one frame, and its requests are
// dispatched after it), duplicates of the
// last 16 `_unique_id`s are dropped, malformed messages are rejected with one
// log line, replies go to `_reply_q` with the mandatory flag and are retried
// every 0.25 s while the reply queue is missing (up to
// kombu_missing_consumer_retry_timeout), and calls carrying `_timeout` get
// heartbeats while the method runs. A reply's first attempt awaits no
// publisher confirm (the caller's receipt is what counts, and a missing reply
// queue shows up as basic.return); its retries do.

#ifndef BRIDGE_RPC_RPC_SERVER_H_
#define BRIDGE_RPC_RPC_SERVER_H_

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/deadline_timer.h"
#include "bridge/rpc/dispatcher.h"
#include "bridge/rpc/target.h"
#include "bridge/rpc/worker_pool.h"
#include "bridge/transport/io_thread.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

namespace amqp::rpc {

class RpcServer {
 public:
  struct Options {
    transport::TransportUrl url;
    transport::RabbitOptions rabbit;
    Target target;  // exchange, topic and server; version/namespace unused
    // Threads that run the methods (oslo's executor_thread_pool_size). 0
    // runs them on the I/O thread, one at a time: no thread hand-off per
    // request, for endpoints whose methods never block (a blocked method
    // stalls every request and the connection's heartbeats).
    int executor_threads = 64;
    std::string name = "rpc_server";
    // Requests acked and waiting for a worker, or running on an
    // AsyncEndpoint, at most; 0: no bound (oslo).
    int max_queued_requests = 64;
    // Larger message bodies are rejected (requeue=false) unread; 0: none.
    uint64_t max_message_bytes = transport::kDefaultMaxMessageBytes;
  };

  // The server's broker connection (its I/O thread), for its state and
  // stats, and its name in logs (Options::name).
  const transport::IoThread& connection() const { return *io_; }
  const std::string& name() const { return options_.name; }

  // The worker queue's state, for tests and monitoring.
  struct QueueStats {
    int queued = 0;      // acked, waiting for a worker or running async
    int parked = 0;      // delivered, not acked: waiting for a queue slot
    int max_queued = 0;  // high-water marks since start
    int max_parked = 0;
  };

  // Starts consuming at once (in the background); `dispatcher` must outlive
  // the server.
  RpcServer(Options options, const Dispatcher* dispatcher);
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;
  ~RpcServer() { Stop(); }

  // True once the three queues are consumed; false after `timeout`.
  bool WaitReady(absl::Duration timeout) const;
  // Stops consuming, deletes the fanout queue (as oslo's stop() does), lets
  // running methods (asynchronous ones too) finish and send their replies.
  // Idempotent.
  void Stop();

  const std::string& fanout_queue() const { return fanout_queue_; }
  QueueStats queue_stats() const;

 private:
  struct Heartbeat;
  // A decoded request, how it arrived, and the endpoint that runs it (or
  // the failure that answers it).
  struct Incoming {
    oslo::Request request;
    Arrival arrival;
    absl::StatusOr<Endpoint*> endpoint;
  };
  struct Parked {
    uint64_t delivery_tag;
    std::shared_ptr<Incoming> request;
  };

  absl::Status DeclareAndConsume(transport::Connection& connection);
  bool OnDelivery(transport::Delivery& delivery);
  bool IsDuplicate(absl::string_view unique_id);
  // True if `incoming` holds a max_queued_requests slot once accepted: it
  // waits for a worker, or runs asynchronously.
  bool TakesSlot(const Incoming& incoming) const;
  int SlotsInUse() const { return queued_.load() + async_slots_.load(); }
  // Runs an acked request: on a worker if its method may block, otherwise
  // here.
  void Accept(std::shared_ptr<Incoming> request);
  // Accepts the requests whose acks were just written (IoThread on_settled).
  void AcceptSettled();
  // Asks the I/O thread to accept parked requests while there is room.
  void ScheduleDrain();
  void Drain(transport::Connection* connection);
  // Runs the method, or starts an asynchronous one, and replies (Finish)
  // with its result, or with the failure of a request no endpoint takes.
  void Handle(std::shared_ptr<Incoming> incoming);
  // The reply (calls) or the log line (failed casts) for `result`.
  void Finish(const Incoming& incoming, Heartbeat* heartbeat,
              absl::StatusOr<std::string> result);
  // An asynchronous method's result is in: its slot is free before the
  // reply goes out (the caller's next request may come at once).
  void ReleaseAsyncSlot();
  // Its reply has gone out: Stop() need not wait for it any more.
  void EndAsync();
  void ScheduleHeartbeat(std::shared_ptr<Heartbeat> heartbeat);
  // When a reply published now stops being retried.
  absl::Time ReplyGiveUp() const;
  // Publishes a reply; with `confirm` false, awaiting no publisher confirm.
  void PublishReply(std::string reply_q, std::string body, absl::Time give_up,
                    bool confirm);
  // Publishes an undelivered reply again after kReplyRetryInterval, with a
  // confirm, unless `give_up` passed.
  void RetryReply(std::string reply_q, std::string body, absl::Time give_up,
                  const absl::Status& why);

  const Options options_;
  const Dispatcher* const dispatcher_;
  const std::string fanout_queue_;
  std::atomic<bool> stopping_{false};
  // The last `_unique_id`s seen; only the I/O thread touches them.
  std::array<std::string, 16> recent_ids_;
  size_t next_recent_ = 0;
  // Deliveries of the current connection waiting for a queue slot, unacked;
  // only the I/O thread touches the deque.
  std::deque<Parked> parked_;
  // Requests read and not yet acked, to be accepted once their ack is
  // written; only the I/O thread touches them.
  std::vector<std::shared_ptr<Incoming>> settling_;
  int settling_slots_ = 0;  // how many of them TakesSlot
  // Set by Stop() on the I/O thread once the consumers are cancelled; from
  // then on no asynchronous method starts.
  bool unsubscribed_ = false;
  std::atomic<int> parked_count_{0};
  std::atomic<int> queued_{0};
  std::atomic<int> async_slots_{0};    // async methods without a result
  std::atomic<int> async_running_{0};  // async methods not yet replied
  // Stop() waits on it for async_running_ to reach 0.
  absl::Mutex async_mu_;
  std::atomic<int> max_queued_{0};
  std::atomic<int> max_parked_{0};
  std::atomic<bool> drain_scheduled_{false};

  DeadlineTimer timer_;
  WorkerPool workers_;  // no threads when methods run on the I/O thread
  // Notified once io_ is set. The I/O thread starts (and may connect and
  // consume) inside IoThread's constructor, before the assignment to io_:
  // DeclareAndConsume waits for this, so no delivery, and no worker or
  // timer that uses io_, runs before io_ is there.
  absl::Notification io_set_;
  std::unique_ptr<transport::IoThread> io_;  // last: stops first
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_RPC_SERVER_H_
