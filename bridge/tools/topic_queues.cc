#include "bridge/tools/topic_queues.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace amqp::tools {

std::vector<std::string> TopicQueueNames(
    absl::string_view topic, const std::vector<std::string>& servers) {
  std::vector<std::string> names = {std::string(topic)};
  for (const std::string& server : servers) {
    names.push_back(absl::StrCat(topic, ".", server));
  }
  return names;
}

std::vector<TopicQueue> InspectTopicQueues(
    transport::Connection& connection, const std::vector<std::string>& names,
    bool delete_unused) {
  std::vector<TopicQueue> queues;
  for (const std::string& name : names) {
    TopicQueue& queue = queues.emplace_back();
    queue.name = name;
    absl::StatusOr<transport::QueueStatus> counts =
        connection.InspectQueue(name);
    queue.status = counts.status();
    if (!counts.ok()) continue;
    queue.counts = *counts;
    if (!delete_unused || counts->consumer_count > 0) continue;
    absl::StatusOr<uint32_t> deleted = connection.DeleteUnusedQueue(name);
    if (deleted.ok()) {
      queue.deleted_messages = *deleted;
    } else {
      queue.delete_status = deleted.status();
    }
  }
  return queues;
}

std::string FormatTopicQueue(const TopicQueue& queue, size_t name_width) {
  std::string line = absl::StrFormat("%-*s  ", name_width, queue.name);
  if (absl::IsNotFound(queue.status)) return absl::StrCat(line, "missing");
  if (!queue.status.ok()) {
    return absl::StrCat(line, "error: ", queue.status.message());
  }
  absl::StrAppend(&line, "consumers=", queue.counts.consumer_count,
                  " messages=", queue.counts.message_count);
  if (queue.deleted_messages.has_value()) {
    absl::StrAppend(
        &line, "  deleted (dropped messages=", *queue.deleted_messages, ")");
  } else if (absl::IsFailedPrecondition(queue.delete_status)) {
    absl::StrAppend(&line, "  kept: a consumer came back");
  } else if (!queue.delete_status.ok()) {
    absl::StrAppend(&line, "  not deleted: ", queue.delete_status.message());
  } else if (queue.counts.consumer_count == 0) {
    absl::StrAppend(&line, "  no consumer");
  }
  return line;
}

}  // namespace amqp::tools
