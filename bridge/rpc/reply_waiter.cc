#include "bridge/rpc/reply_waiter.h"

#include <utility>

#include "absl/hash/hash.h"

namespace amqp::rpc {

ReplyWaiter::Shard& ReplyWaiter::ShardFor(absl::string_view msg_id) {
  return shards_[absl::Hash<absl::string_view>()(msg_id) % kShards];
}

void ReplyWaiter::Register(absl::string_view msg_id,
                           std::shared_ptr<ReplySink> sink) {
  Shard& shard = ShardFor(msg_id);
  absl::MutexLock lock(&shard.mu);
  shard.sinks[msg_id] = std::move(sink);
}

bool ReplyWaiter::Unregister(absl::string_view msg_id) {
  Shard& shard = ShardFor(msg_id);
  absl::MutexLock lock(&shard.mu);
  return shard.sinks.erase(msg_id) > 0;
}

std::shared_ptr<ReplySink> ReplyWaiter::Find(absl::string_view msg_id) {
  Shard& shard = ShardFor(msg_id);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.sinks.find(msg_id);
  return it == shard.sinks.end() ? nullptr : it->second;
}

bool ReplyWaiter::Deliver(oslo::Reply reply) {
  std::shared_ptr<ReplySink> sink = Find(reply.msg_id());
  if (sink == nullptr) return false;
  sink->OnReply(std::move(reply));
  return true;
}

size_t ReplyWaiter::size() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    total += shard.sinks.size();
  }
  return total;
}

}  // namespace amqp::rpc
