// Sends oslo notifications as oslo_messaging.Notifier does with the
// "messagingv2" driver (or the v1 "messaging" one): to the topic exchange
// `exchange` with the routing key <topic>.<priority in lower case>, the
// priority upper case in the message, on a broker connection of its own.
//
//   Notifier notifier({.url = url, .rabbit = rabbit});
//   notifier.NotifyAsync("nova", "notifications",
//                        {.publisher_id = "compute.host1",
//                         .event_type = "compute.instance.create.end",
//                         .priority = "INFO", .payload_json = R"({"id":1})"},
//                        [](absl::Status sent) { ... });
//
// Unlike oslo it does not declare the <topic>.<priority> queue that keeps
// notifications nobody listens to: a notification is published with the
// mandatory flag, and one that no queue receives fails with UNAVAILABLE, as
// a cast does.

#ifndef BRIDGE_RPC_NOTIFIER_H_
#define BRIDGE_RPC_NOTIFIER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bridge/oslo/notification.h"
#include "bridge/transport/io_thread.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

namespace amqp::rpc {

class Notifier {
 public:
  struct Options {
    transport::TransportUrl url;
    transport::RabbitOptions rabbit;
    std::string name = "notifier";  // for logs and the connection name
  };
  // OK once the broker confirmed the notification; UNAVAILABLE when no
  // queue is bound to its routing key or the broker cannot be reached.
  using Sent = std::function<void(absl::Status)>;

  explicit Notifier(Options options);
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // True once connected; false after `timeout`.
  bool WaitReady(absl::Duration timeout) const;

  // Thread-safe and non-blocking; `sent` runs exactly once (see IoThread).
  void NotifyAsync(absl::string_view exchange, absl::string_view topic,
                   const oslo::OutgoingNotification& notification, Sent sent);
  absl::Status Notify(absl::string_view exchange, absl::string_view topic,
                      const oslo::OutgoingNotification& notification);

 private:
  const Options options_;
  transport::IoThread io_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_NOTIFIER_H_
