// One stream of a topic's fanout casts (RpcClient::Subscribe): a private
// queue bound to the topic's fanout exchange, as an oslo server's fanout
// queue is, but deleted with its consumer, since it belongs to one stream.

#ifndef BRIDGE_RPC_CAST_SUBSCRIBER_H_
#define BRIDGE_RPC_CAST_SUBSCRIBER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/subscriber_queues.h"
#include "bridge/rpc/target.h"
#include "bridge/transport/connection.h"
#include "bridge/transport/rabbit_options.h"

namespace amqp::rpc {

class CastSubscriber : public Subscriber {
 public:
  // Runs on the I/O thread for each cast; it must not block.
  using Received = std::function<void(const oslo::Request&)>;

  // `rabbit` must outlive the subscriber.
  CastSubscriber(const Target& target, const transport::RabbitOptions& rabbit,
                 std::string consumer_tag, Received on_cast);

  absl::Status Declare(transport::Connection& connection) override;

  void Deliver(const oslo::Request& request) {
    RunIfOpen([&] { on_cast_(request); });
  }

 private:
  const std::string exchange_;  // the topic's fanout exchange
  const std::string topic_;
  const transport::RabbitOptions& rabbit_;
  const Received on_cast_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_CAST_SUBSCRIBER_H_
