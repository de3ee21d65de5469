#include "bridge/rpc/subscriber_queues.h"

#include <glog/logging.h>

namespace amqp::rpc {

absl::Status Subscriber::ConsumePrivateQueue(
    transport::Connection& connection, const transport::RabbitOptions& rabbit,
    absl::string_view exchange, absl::Span<const std::string> keys) {
  const transport::QueueDeclaration declaration{
      queue, /*durable=*/false, /*auto_delete=*/true, /*exclusive=*/false,
      transport::TransientQueueArguments(rabbit)};
  if (auto s = connection.DeclareQueue(declaration); !s.ok()) {
    return s.status();
  }
  for (const std::string& key : keys) {
    if (absl::Status s = connection.BindQueue(queue, exchange, key); !s.ok()) {
      return s;
    }
  }
  return connection.Consume(queue, consumer_tag);
}

absl::Status SubscriberQueues::DeclareAll(transport::Connection& connection) {
  absl::MutexLock lock(&mu_);
  for (const auto& [tag, subscriber] : subscribers_) {
    if (absl::Status s = subscriber->Declare(connection); !s.ok()) return s;
    subscriber->declared_ = true;
  }
  return absl::OkStatus();
}

std::shared_ptr<Subscriber> SubscriberQueues::Find(
    const std::string& consumer_tag) {
  absl::MutexLock lock(&mu_);
  auto it = subscribers_.find(consumer_tag);
  return it == subscribers_.end() ? nullptr : it->second;
}

void SubscriberQueues::Add(transport::IoThread& io,
                           std::shared_ptr<Subscriber> subscriber,
                           std::function<void(absl::Status)> ready,
                           absl::string_view unreachable) {
  {
    absl::MutexLock lock(&mu_);
    subscribers_[subscriber->consumer_tag] = subscriber;
  }
  io.Run([this, subscriber, ready = std::move(ready),
          unreachable =
              std::string(unreachable)](transport::Connection* connection) {
    // A connect since Add() may have declared it already.
    absl::Status status = subscriber->declared_ ? absl::OkStatus()
                          : connection == nullptr
                              ? absl::UnavailableError(unreachable)
                              : subscriber->Declare(*connection);
    subscriber->declared_ = status.ok();
    if (!status.ok()) {
      absl::MutexLock lock(&mu_);
      subscribers_.erase(subscriber->consumer_tag);
    }
    subscriber->RunIfOpen([&] { ready(std::move(status)); });
  });
}

void SubscriberQueues::Close(transport::IoThread& io, Subscriber& subscriber) {
  {
    absl::MutexLock lock(&subscriber.mu_);  // waits for a running callback
    subscriber.closed_ = true;
  }
  std::shared_ptr<Subscriber> closed;
  {
    absl::MutexLock lock(&mu_);
    auto it = subscribers_.find(subscriber.consumer_tag);
    if (it == subscribers_.end()) return;  // never consumed
    closed = std::move(it->second);
    subscribers_.erase(it);
  }
  io.Run([closed, log_name = log_name_](transport::Connection* connection) {
    if (connection == nullptr) return;  // the queue goes with the connection
    if (absl::Status s = connection->CancelConsumer(closed->consumer_tag);
        !s.ok()) {
      LOG(WARNING) << log_name << " " << closed->queue << ": " << s.message();
    }
    // auto_delete removes the queue with its consumer; delete it anyway in
    // case the cancel raced with the declare.
    (void)connection->DeleteQueue(closed->queue);
  });
}

}  // namespace amqp::rpc
