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
  return ConsumePrivateQueue(connection, rabbit_, exchange_, {topic_});
}

}  // namespace amqp::rpc
