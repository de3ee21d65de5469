// Routes the replies arriving on a client's reply queue to the calls waiting
// for them, by `_msg_id`. Sharded so that many threads starting calls and the
// I/O thread delivering replies rarely meet on one lock.

#ifndef BRIDGE_RPC_REPLY_WAITER_H_
#define BRIDGE_RPC_REPLY_WAITER_H_

#include <array>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "bridge/oslo/reply.h"

namespace amqp::rpc {

// What waits for the replies of one request: a call, or a scatter-gather.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // Runs on the I/O thread of the reply queue, once per reply.
  virtual void OnReply(oslo::Reply reply) = 0;
  // Gives up waiting (cancellation): finishes with `status` unless finished.
  virtual void Abort(absl::Status status) = 0;
};

class ReplyWaiter {
 public:
  void Register(absl::string_view msg_id, std::shared_ptr<ReplySink> sink);
  // Removes the waiter; true if it was there, so exactly one of "reply
  // arrived", "timed out" and "cancelled" wins a race to finish a call.
  bool Unregister(absl::string_view msg_id);
  // The waiter for `msg_id`, or null.
  std::shared_ptr<ReplySink> Find(absl::string_view msg_id);
  // Hands a reply to its waiter; false (and the reply is dropped, like oslo)
  // when nobody waits for that `_msg_id`.
  bool Deliver(oslo::Reply reply);
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, std::shared_ptr<ReplySink>> sinks
        ABSL_GUARDED_BY(mu);
  };
  Shard& ShardFor(absl::string_view msg_id);

  std::array<Shard, kShards> shards_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_REPLY_WAITER_H_
