// An oslo.messaging RPC client: call, cast and fanout cast over RabbitMQ,
// byte-compatible with oslo.messaging 14.0.3 servers.
//
// One RpcClient per process is the intent (oslo has one per transport): it
// owns `io_threads` broker connections, publishes round-robin across them, and
// listens on one reply queue `reply_<uuid>` whose replies are routed by
// `_msg_id`. Every method is thread-safe and many calls may be in flight.
//
//   RpcClient client({.url = *ParseTransportUrl("rabbit://..."), ...});
//   client.WaitReady(absl::Seconds(5));
//   CallSpec spec{.target = {.topic = "compute"}};
//   absl::StatusOr<std::string> result =
//       client.Call(spec.Prepare("host1"), "get_info", R"({"id": 1})");
//
// Requests are published with the mandatory flag: a request that no queue
// receives fails at once with UNAVAILABLE instead of waiting for its timeout.

#ifndef BRIDGE_RPC_RPC_CLIENT_H_
#define BRIDGE_RPC_RPC_CLIENT_H_

#include <rapidjson/document.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bridge/amqp/io_thread.h"
#include "bridge/amqp/rabbit_options.h"
#include "bridge/amqp/transport_url.h"
#include "bridge/oslo/reply.h"
#include "bridge/rpc/deadline_timer.h"
#include "bridge/rpc/reply_waiter.h"
#include "bridge/rpc/target.h"

namespace amqp::rpc {

// A target plus per-call settings; Prepare() derives variants like oslo's
// RPCClient.prepare().
struct CallSpec {
  Target target;
  absl::Duration timeout = absl::Seconds(60);  // rpc_response_timeout
  // Sent as `_timeout`: the server then sends heartbeats while it works.
  std::optional<double> call_monitor_timeout;

  // A copy aimed at one server, with another version or namespace, or
  // another timeout. Empty/unset arguments keep the current value.
  CallSpec Prepare(absl::string_view server,
                   std::optional<std::string> version = std::nullopt,
                   std::optional<absl::Duration> timeout = std::nullopt,
                   std::optional<std::string> namespace_ = std::nullopt) const;
};

class RpcClient {
 public:
  struct Options {
    transport::TransportUrl url;
    transport::RabbitOptions rabbit;
    int io_threads = 1;
    std::string name = "rpc_client";  // for logs and connection names
  };
  // Runs once with the final reply (never a heartbeat); a failure reply
  // arrives as its status (see oslo::FailureToStatus).
  using CallDone = std::function<void(absl::StatusOr<oslo::Reply>)>;
  using CastDone = std::function<void(absl::Status)>;
  using CallId = std::string;  // the request's _msg_id

  explicit RpcClient(Options options);
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;
  ~RpcClient();

  // True once the reply queue is consumed; false after `timeout`.
  bool WaitReady(absl::Duration timeout) const;

  // Starts a call. `done` runs exactly once: on the reply queue's I/O thread
  // for a reply, on the timer thread for DEADLINE_EXCEEDED, or on a publishing
  // thread for UNAVAILABLE. `args_json` is a JSON object's text; `context` an
  // object whose members become `_context_*` keys (may be null).
  CallId CallAsync(const CallSpec& spec, absl::string_view method,
                   absl::string_view args_json, const rapidjson::Value* context,
                   CallDone done);
  // Gives up on a call: frees its reply slot and runs its `done` with
  // CANCELLED, unless it already finished.
  void Cancel(const CallId& id);
  // Blocking call; returns the result's JSON text.
  absl::StatusOr<std::string> Call(const CallSpec& spec,
                                   absl::string_view method,
                                   absl::string_view args_json = "{}",
                                   const rapidjson::Value* context = nullptr);

  // Publishes a cast (to every server if spec.target.fanout) and runs `done`
  // once the broker confirmed it, or with UNAVAILABLE.
  void CastAsync(const CallSpec& spec, absl::string_view method,
                 absl::string_view args_json, const rapidjson::Value* context,
                 CastDone done);
  absl::Status Cast(const CallSpec& spec, absl::string_view method,
                    absl::string_view args_json = "{}",
                    const rapidjson::Value* context = nullptr);

  const std::string& reply_queue() const { return reply_queue_; }
  // Calls waiting for a reply right now.
  size_t pending_calls() const { return waiter_.size(); }

 private:
  class PendingCall;

  transport::IoThread& NextPublisher();
  transport::OutgoingMessage RequestMessage(const CallSpec& spec,
                                            std::string body) const;
  bool OnReplyDelivery(transport::Delivery& delivery);

  const Options options_;
  const std::string reply_queue_;
  ReplyWaiter waiter_;
  DeadlineTimer timer_;
  std::atomic<size_t> next_publisher_{0};
  // Declared last: I/O threads stop first, while what they call still exists.
  std::vector<std::unique_ptr<transport::IoThread>> io_threads_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_RPC_CLIENT_H_
