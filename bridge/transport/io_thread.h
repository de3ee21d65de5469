// A thread that owns one broker connection and does all of its I/O.
//
// rabbitmq-c connections are not thread-safe: one mutex guards the connection,
// held by the I/O thread while it reads (never while it sleeps in poll()).
// Publish() uses the connection from the calling thread when it is free,
// nothing is queued and the message needs no answer from the broker first
// (an exchange declare, a consumer count), so a request or reply costs no
// thread hand-off and a caller never waits on the broker; otherwise it
// queues the message and wakes the thread through an eventfd, as Run()
// always does. Messages go out in bursts (Connection buffers them): what
// one turn of the I/O thread publishes is written at the turn's end, in one
// write; a direct Publish() is written before it returns, unless the
// calling thread holds a WriteBatch, which writes it later with the rest of
// its burst. Only the I/O thread connects and disconnects:
// it reconnects with oslo's backoff, walking the transport_url's hosts, and
// calls `on_connect` after each connect so its owner re-declares what it owns
// and resumes consuming.
//
//   IoThread io({.url = url, .rabbit = options, .name = "reply",
//                .on_connect = [](Connection& c) { return c.Consume(...); },
//                .on_delivery = [](Delivery& d) { ...; return true; }});
//   io.Publish({.exchange = "openstack", .routing_key = "compute", ...},
//              [](absl::Status confirmed) { ... });
//
// Callbacks run on the I/O thread (holding the connection) and must not
// block; they may Publish() and Run(), which then queue: the thread runs
// them before it waits again, with no eventfd wake-up of itself.

#ifndef BRIDGE_TRANSPORT_IO_THREAD_H_
#define BRIDGE_TRANSPORT_IO_THREAD_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/transport/connection.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

namespace amqp::transport {

// An exchange that must exist before a message is published to it.
struct ExchangeSpec {
  std::string name;
  std::string type = "topic";
  bool durable = false;
  bool auto_delete = false;
};

// One message to publish. Requests and replies carry oslo's properties.
struct OutgoingMessage {
  std::string exchange;
  std::string routing_key;
  std::string body;
  std::string expiration;  // ms as text, empty for none
  // Fail (UNAVAILABLE) instead of dropping the message when no queue is bound.
  bool mandatory = false;
  // Declared once per connection before the first publish that names it.
  std::optional<ExchangeSpec> declare;
  // Fail (UNAVAILABLE) at once when the queue named like the routing key has
  // no consumer: oslo's topic queues outlive their servers, and a request in
  // a dead server's queue would wait for its whole timeout. Consumer counts
  // come from a passive declare, cached for up to kConsumerCountTtl.
  bool require_consumer = false;
  // false: await no publisher confirm, for messages whose answer is their
  // confirmation (a call's request, a reply). `done` then runs with OK once
  // the message is written, and a mandatory message the broker returns goes
  // to Config::on_return. Saves the broker and both ends a frame per message.
  bool confirm = true;
};

// The default bound of message bodies that RpcServer and RpcClient accept.
inline constexpr uint64_t kDefaultMaxMessageBytes = 16 << 20;

// How long a queue's consumer count is trusted before it is asked again.
inline constexpr absl::Duration kConsumerCountTtl = absl::Seconds(1);

// The status of work an IoThread refuses or cuts short because it is being
// destroyed: UNAVAILABLE, like a lost link, but marked with a payload so
// that callers (and the thread's own logging) tell the two apart by
// IsShuttingDown, never by the message text.
absl::Status ShuttingDownError();
bool IsShuttingDown(const absl::Status& status);

class IoThread {
 public:
  // Runs on the I/O thread after each successful (re)connect; an error drops
  // the connection and retries later.
  using ConnectFn = std::function<absl::Status(Connection&)>;
  // Runs on the I/O thread per delivery; true acks it, false rejects it
  // (requeue=false), unless it set Delivery::settle_later or its consumer
  // takes no acks (Delivery::no_ack). The acks of the deliveries read in one
  // turn go out together at its end, in one frame. It may move the
  // body out. Deliveries over max_message_bytes never reach it.
  using DeliveryFn = std::function<bool(Delivery&)>;
  // Runs on the I/O thread right after each write of deferred acks (one per
  // turn, or one per delivery while one is held), before any other I/O:
  // work that must not start before its ack (oslo acks a request before
  // dispatching it) starts here. So when the connection fails, exactly the
  // deliveries whose acks were never written are left unstarted, and the
  // broker delivers them again.
  using SettledFn = std::function<void()>;
  // Runs on the I/O thread for each returned message that was published
  // without a confirm (OutgoingMessage::confirm false); it may move the body.
  using ReturnFn = std::function<void(ReturnedMessage&)>;
  // The broker's verdict on one publish: OK once confirmed, UNAVAILABLE when
  // it was unroutable, nacked, or the connection is down.
  using PublishDone = std::function<void(absl::Status)>;
  // Runs on the I/O thread with the live connection, or nullptr when there is
  // none at the moment.
  using Task = std::function<void(Connection*)>;
  // Runs on the I/O thread, holding the connection, after each connection
  // attempt (true once connected and on_connect succeeded, false when it
  // failed) and when the connection is lost (false): the moment the state
  // is known, for health reports. It must not block.
  using StateFn = std::function<void(bool connected)>;

  struct Config {
    TransportUrl url;
    RabbitOptions rabbit;
    std::string name;  // for logs and the broker's connection name
    ConnectFn on_connect;
    DeliveryFn on_delivery;
    ReturnFn on_return;  // unset: such returns are logged and dropped
    SettledFn on_settled;
    StateFn on_state;
    // A delivery whose body is larger is rejected (requeue=false) with one
    // log line, without reading the body into memory; 0 means no limit.
    uint64_t max_message_bytes = 0;
  };

  explicit IoThread(Config config);
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  // Stops the thread; pending publishes finish with UNAVAILABLE.
  ~IoThread();

  // Thread-safe and non-blocking. `done` runs exactly once: on the I/O
  // thread with the broker's verdict, or on the thread that published the
  // message (the caller's, before Publish() returns, or the I/O thread's)
  // when it awaits no confirm or cannot go out (no connection, no consumer,
  // the thread is stopping).
  void Publish(OutgoingMessage message, PublishDone done);
  // Thread-safe: runs `task` on the I/O thread.
  void Run(Task task);

  bool connected() const { return connected_.load(std::memory_order_acquire); }
  // What metrics report of the connection; each value read on its own.
  struct Stats {
    uint64_t reconnects = 0;   // connects after the first
    uint64_t returns = 0;      // messages the broker returned (no route)
    uint64_t unconfirmed = 0;  // publishes awaiting the broker's confirm
  };
  Stats stats() const;
  // Blocks until connected or `timeout` passed; true if connected.
  bool WaitConnected(absl::Duration timeout) const;

 private:
  friend class WriteBatch;
  // Writes what a WriteBatch held back on this connection.
  void FlushHeld();
  // Writes the connection's buffered publishes; a failure marks it broken_
  // for the I/O thread to drop.
  void WriteOutput() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // Drops the connection if a write found it broken; true while connected.
  bool KeepUnlessBroken() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);

  // A publish the broker has not confirmed yet. What basic.return needs to
  // find it (it carries no sequence number): exchange, key and the body's
  // hash, not the body.
  struct PendingPublish {
    std::string exchange;
    std::string routing_key;
    size_t body_hash = 0;
    PublishDone done;
    absl::Status returned;   // set by basic.return, reported at the confirm
    bool confirmed = false;  // confirmed out of order, not yet popped
  };
  struct Command {
    std::optional<OutgoingMessage> message;  // a publish, or else `task`
    PublishDone done;
    Task task;
  };
  // A publish settled while the connection was held (it failed, or it awaits
  // no confirm): its `done` runs once the connection is released.
  struct Verdict {
    PublishDone done;
    absl::Status status;
  };
  using Verdicts = std::vector<Verdict>;
  // A queue's consumer count, as a passive declare found it at `checked`.
  struct ConsumerCount {
    uint32_t consumers = 0;
    absl::Time checked;
  };

  void Loop();
  bool Connect() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void Disconnect(const absl::Status& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void RunCommands(Verdicts* verdicts) ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void DoPublish(OutgoingMessage& message, PublishDone& done,
                 Verdicts* verdicts) ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // True if publishing `message` asks the broker something first and waits
  // for the answer (an exchange to declare, a stale consumer count): that
  // wait is the I/O thread's, never a caller's.
  bool NeedsRoundTrip(const OutgoingMessage& message) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // `queue`'s consumer count if asked less than kConsumerCountTtl before
  // `now`; null when it must be asked again.
  const ConsumerCount* FreshConsumerCount(const std::string& queue,
                                          absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // OK, or UNAVAILABLE when `queue` is known to have no consumer.
  absl::Status CheckConsumers(const std::string& queue)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // Reads what input there is; false when the connection failed.
  bool ProcessInput() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // Writes the deferred acks, then runs on_settled; false (disconnected)
  // when the write failed.
  bool SettleDeferred() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void HandleEvent(ConnectionEvent& event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void Confirm(const PublisherConfirm& confirm)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void Wake();
  void WaitForWork(int fd, absl::Duration timeout);
  static void Report(Verdicts& verdicts);
  // Moves `command` to the I/O thread's queue; false (leaving it alone) when
  // the thread is stopping.
  bool Enqueue(Command& command);

  const Config config_;
  std::vector<BrokerHost> hosts_;  // shuffled once, like oslo
  size_t next_host_ = 0;
  int failed_attempts_ = 0;
  int wake_fd_ = -1;

  // Lock order: io_mu_, then mu_.
  mutable absl::Mutex mu_;
  std::vector<Command> commands_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<uint64_t> returns_{0};
  // unconfirmed_.size(), readable without io_mu_.
  std::atomic<uint64_t> unconfirmed_count_{0};

  // The connection and what goes with it: held by the I/O thread while it
  // works (not while it waits), or by a thread publishing directly.
  absl::Mutex io_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::unique_ptr<Connection> connection_ ABSL_GUARDED_BY(io_mu_);
  // Set when a publish found the connection broken; the I/O thread
  // disconnects (only it connects and disconnects).
  absl::Status broken_ ABSL_GUARDED_BY(io_mu_);
  // Publishes awaiting their confirm, in sequence order from
  // first_unconfirmed_ on (confirm sequence numbers are consecutive).
  std::deque<PendingPublish> unconfirmed_ ABSL_GUARDED_BY(io_mu_);
  uint64_t first_unconfirmed_ ABSL_GUARDED_BY(io_mu_) = 1;
  absl::flat_hash_map<std::string, ConsumerCount> consumer_counts_
      ABSL_GUARDED_BY(io_mu_);
  absl::Status last_error_ ABSL_GUARDED_BY(io_mu_) =
      absl::UnavailableError("not connected yet");
  // Set by the first connect: later connects are reconnects, always logged.
  bool connected_before_ ABSL_GUARDED_BY(io_mu_) = false;

  std::thread thread_;
};

}  // namespace amqp::transport

#endif  // BRIDGE_TRANSPORT_IO_THREAD_H_
