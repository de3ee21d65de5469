// The private queues of streaming subscribers, consumed on one I/O thread:
// what RpcClient::Subscribe (a topic's fanout casts) and NotificationListener
// (a notification exchange's topics) share. Each subscriber has a queue of
// its own, auto-deleted with its consumer, found by its consumer tag when a
// delivery arrives, declared again after every reconnect, and cancelled and
// deleted when its handle goes.
//
// A subscriber's callbacks run under its lock, which closing the handle
// takes: none runs after the handle's destructor returns.

#ifndef BRIDGE_RPC_SUBSCRIBER_QUEUES_H_
#define BRIDGE_RPC_SUBSCRIBER_QUEUES_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "bridge/transport/connection.h"
#include "bridge/transport/io_thread.h"
#include "bridge/transport/rabbit_options.h"

namespace amqp::rpc {

// One subscriber's queue; owners derive from it to add what they deliver.
class Subscriber {
 public:
  virtual ~Subscriber() = default;

  // Declares the queue and what it binds to, and consumes it as
  // consumer_tag. Runs on the I/O thread.
  virtual absl::Status Declare(transport::Connection& connection) = 0;

  // Runs `deliver` (a callback of the subscriber's) unless its handle is
  // gone, holding the lock that closing the handle waits for.
  template <typename Deliver>
  void RunIfOpen(Deliver&& deliver) {
    absl::MutexLock lock(&mu_);
    if (!closed_) std::forward<Deliver>(deliver)();
  }

  std::string consumer_tag;
  std::string queue;

 protected:
  // What every Declare ends with, once its exchange is declared: `queue`,
  // private to this subscriber (auto-deleted with its consumer, transient
  // arguments as `rabbit` says), bound to `exchange` with each of `keys`,
  // consumed as consumer_tag.
  absl::Status ConsumePrivateQueue(transport::Connection& connection,
                                   const transport::RabbitOptions& rabbit,
                                   absl::string_view exchange,
                                   absl::Span<const std::string> keys);

 private:
  friend class SubscriberQueues;

  // Consumed on some connection: every later connect declares it again.
  // Only the I/O thread touches it.
  bool declared_ = false;
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

class SubscriberQueues {
 public:
  // `log_name` starts the log lines about a queue ("subscription").
  explicit SubscriberQueues(std::string log_name)
      : log_name_(std::move(log_name)) {}

  const std::string& log_name() const { return log_name_; }

  // Declares every subscriber's queue again; on the I/O thread after each
  // (re)connect.
  absl::Status DeclareAll(transport::Connection& connection);

  // The subscriber a delivery with this consumer tag is for, or null when
  // its stream just ended.
  std::shared_ptr<Subscriber> Find(const std::string& consumer_tag);

  // Adds `subscriber` (consumer_tag and queue set) and declares its queue on
  // `io`. `ready` runs once on the I/O thread, unless the subscriber closed
  // first: OK when consuming, else why not (UNAVAILABLE with `unreachable`
  // when the broker cannot be reached); a failed subscriber is dropped.
  void Add(transport::IoThread& io, std::shared_ptr<Subscriber> subscriber,
           std::function<void(absl::Status)> ready,
           absl::string_view unreachable);

  // Closes `subscriber` (waiting for a callback that is running) and, on
  // `io`, cancels its consumer and deletes its queue. For handle
  // destructors.
  void Close(transport::IoThread& io, Subscriber& subscriber);

 private:
  const std::string log_name_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Subscriber>> subscribers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_SUBSCRIBER_QUEUES_H_
