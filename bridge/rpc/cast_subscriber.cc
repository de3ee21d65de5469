#include "bridge/rpc/cast_subscriber.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/ids.h"

namespace amqp::rpc {

CastSubscriber::CastSubscriber(const Target& target,
                               const transport::RabbitOptions& rabbit,
                               std::string consumer_tag, Received on_cast)
    : exchange_(target.FanoutExchange()),
      topic_(target.topic),
      rabbit_(rabbit),
      on_cast_(std::move(on_cast)) {
  this->consumer_tag = std::move(consumer_tag);
  queue = absl::StrCat(exchange_, "_", oslo::NewUuid4Hex());
}

absl::Status CastSubscriber::Declare(transport::Connection& connection) {
  if (absl::Status s = connection.DeclareExchange(exchange_, "fanout",
                                                  /*durable=*/false,
                                                  /*auto_delete=*/true);
      !s.ok()) {
    return s;
  }
  const transport::QueueDeclaration declaration{
      queue, /*durable=*/false,
      /*auto_delete=*/true, /*exclusive=*/false,
      transport::TransientQueueArguments(rabbit_)};
  if (auto s = connection.DeclareQueue(declaration); !s.ok()) {
    return s.status();
  }
  if (absl::Status s = connection.BindQueue(queue, exchange_, topic_);
      !s.ok()) {
    return s;
  }
  return connection.Consume(queue, consumer_tag);
}

}  // namespace amqp::rpc
