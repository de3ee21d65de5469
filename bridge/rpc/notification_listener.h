// Receives oslo notifications for many subscribers on one broker connection
// of its own. Each subscription gets a PRIVATE queue (auto-deleted with its
// consumer), bound to the topic exchange with its routing keys
// (<notification_topic>.<priority>), so it sees every notification sent
// there while it lives without taking any from oslo's shared
// <topic>.<priority> queues, which belong to consumers like ceilometer.
//
//   NotificationListener listener({.url = url, .rabbit = rabbit});
//   auto subscription = listener.Subscribe(
//       {.exchange = "nova", .routing_keys = {"notifications.info"},
//        .event_type = "compute.instance.*"},
//       [](const oslo::Notification& n) { ... },
//       [](absl::Status ready) { ... });
//
// Both envelopes arrive (messagingv2's and the v1 driver's bare dict). A
// message that is not a notification (not JSON, no event_type...) is
// dropped with one log line and counted; the subscription goes on. After a
// reconnect every subscription's queue is declared and bound again and the
// notifications resume: those sent while no queue was bound are lost, as
// they are for an oslo listener's auto-deleted pool queue.

#ifndef BRIDGE_RPC_NOTIFICATION_LISTENER_H_
#define BRIDGE_RPC_NOTIFICATION_LISTENER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bridge/oslo/notification.h"
#include "bridge/rpc/subscriber_queues.h"

namespace amqp::rpc {

// Python's fnmatch.fnmatchcase(name, pattern): `*` any run, `?` any one
// character, `[seq]`/`[!seq]` a set (ranges allowed), all else literal.
bool EventTypeMatches(absl::string_view pattern, absl::string_view name);

class NotificationListener {
 public:
  struct Options {
    transport::TransportUrl url;
    transport::RabbitOptions rabbit;
    std::string name = "notifications";  // for logs and the connection name
    // Larger messages are rejected unread with one log line; 0: no limit.
    uint64_t max_message_bytes = transport::kDefaultMaxMessageBytes;
  };
  // What a subscription listens to.
  struct Filter {
    std::string exchange;
    std::vector<std::string> routing_keys;
    std::string event_type = "*";  // fnmatch pattern
  };
  // Runs on the I/O thread for each matching notification; must not block.
  using Received = std::function<void(const oslo::Notification&)>;

  // Destroying it stops the stream (no callback runs after the destructor
  // returns) and deletes its queue.
  class Subscription {
   public:
    virtual ~Subscription() = default;
    // Messages of its queue that were no notification.
    virtual int64_t malformed() const = 0;
  };

  explicit NotificationListener(Options options);
  NotificationListener(const NotificationListener&) = delete;
  NotificationListener& operator=(const NotificationListener&) = delete;
  ~NotificationListener();

  bool WaitReady(absl::Duration timeout) const;

  // `ready` runs once: OK when the queue is consumed, UNAVAILABLE when the
  // broker cannot be reached at the moment.
  std::unique_ptr<Subscription> Subscribe(
      const Filter& filter, Received on_notification,
      std::function<void(absl::Status)> ready);

  // Malformed messages of every subscription so far.
  int64_t malformed() const { return malformed_.load(); }

 private:
  struct State;
  class SubscriptionImpl;

  bool OnDelivery(transport::Delivery& delivery);

  const Options options_;
  std::atomic<int64_t> malformed_{0};
  std::atomic<uint64_t> next_subscription_{0};
  SubscriberQueues subscribers_{"notification queue"};
  // Declared last: the I/O thread stops first, while what it calls exists.
  std::unique_ptr<transport::IoThread> io_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_NOTIFICATION_LISTENER_H_
