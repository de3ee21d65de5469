// The queues oslo.messaging servers of one topic consume by name, as
// `oslo_rpc queues` reports them: their consumer and message counts, and, on
// request, the deletion of those no consumer holds.
//
// oslo's topic queues ("topic", "topic.<server>") are durable in the broker's
// eyes and outlive their servers; a queue left by a server that is gone keeps
// collecting casts. AMQP has no way to list queues, so the names come from
// the caller (the topic and its servers' names); `rabbitmqctl list_queues`
// on the broker's host lists them all.

#ifndef BRIDGE_TOOLS_TOPIC_QUEUES_H_
#define BRIDGE_TOOLS_TOPIC_QUEUES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/transport/connection.h"

namespace amqp::tools {

struct TopicQueue {
  std::string name;
  // OK with the counts; NOT_FOUND when the queue does not exist.
  absl::Status status;
  transport::QueueStatus counts;
  // Set once deleted: the messages that went with it.
  std::optional<uint32_t> deleted_messages;
  // Why a deletion was asked for and not done (a consumer came back).
  absl::Status delete_status;
};

// "topic", then "topic.<server>" for each server, in order.
std::vector<std::string> TopicQueueNames(
    absl::string_view topic, const std::vector<std::string>& servers);

// Inspects each queue with a passive declare; with `delete_unused`, deletes
// the ones that exist and have no consumer (queue.delete if-unused, so a
// server that starts consuming in between keeps its queue).
std::vector<TopicQueue> InspectTopicQueues(
    transport::Connection& connection, const std::vector<std::string>& names,
    bool delete_unused);

// One line: "compute.host2  consumers=0 messages=3  deleted (3 messages
// dropped)".
std::string FormatTopicQueue(const TopicQueue& queue, size_t name_width);

}  // namespace amqp::tools

#endif  // BRIDGE_TOOLS_TOPIC_QUEUES_H_
