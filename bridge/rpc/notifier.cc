#include "bridge/rpc/notifier.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

namespace amqp::rpc {

Notifier::Notifier(Options options)
    : options_(std::move(options)),
      io_({options_.url, options_.rabbit, options_.name, nullptr, nullptr}) {}

bool Notifier::WaitReady(absl::Duration timeout) const {
  return io_.WaitConnected(timeout);
}

void Notifier::NotifyAsync(absl::string_view exchange, absl::string_view topic,
                           const oslo::OutgoingNotification& notification,
                           Sent sent) {
  transport::OutgoingMessage message;
  message.exchange = std::string(exchange);
  // oslo's messaging driver: '%s.%s' % (topic, priority.lower()).
  message.routing_key =
      absl::StrCat(topic, ".", absl::AsciiStrToLower(notification.priority));
  message.body = oslo::EncodeNotification(notification);
  message.mandatory = true;
  // oslo's notify_send: a topic exchange, durable as its queues.
  message.declare = transport::ExchangeSpec{
      message.exchange, "topic", transport::DurableQueues(options_.rabbit),
      options_.rabbit.amqp_auto_delete};
  io_.Publish(std::move(message), std::move(sent));
}

absl::Status Notifier::Notify(absl::string_view exchange,
                              absl::string_view topic,
                              const oslo::OutgoingNotification& notification) {
  absl::Notification finished;
  absl::Status status;
  NotifyAsync(exchange, topic, notification, [&](absl::Status s) {
    status = std::move(s);
    finished.Notify();
  });
  finished.WaitForNotification();
  return status;
}

}  // namespace amqp::rpc
