// Where an RPC goes and which endpoint version it asks for: oslo's Target.

#ifndef BRIDGE_RPC_TARGET_H_
#define BRIDGE_RPC_TARGET_H_

#include <optional>
#include <string>

namespace amqp::rpc {

struct Target {
  std::string exchange = "openstack";  // oslo's default control_exchange
  std::string topic;
  std::string server;                     // empty: any server of the topic
  std::optional<std::string> version;     // sent only when set
  std::optional<std::string> namespace_;  // sent only when set
  bool fanout = false;  // casts go to every server of the topic

  // The queue a request lands in: "topic" or "topic.server".
  std::string RoutingKey() const {
    return server.empty() ? topic : topic + "." + server;
  }
  std::string FanoutExchange() const { return topic + "_fanout"; }
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_TARGET_H_
