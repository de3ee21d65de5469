// An oslo.messaging RPC client: call, cast and fanout cast over RabbitMQ,
// byte-compatible with oslo.messaging 14.0.3 servers.
//
// One RpcClient per process is the intent (oslo has one per transport): it
// owns `io_threads` broker connections, listens on one reply queue
// `reply_<uuid>` (on the first connection) whose replies are routed by
// `_msg_id`, and publishes round-robin across the other connections (on the
// only one when there is one). Every method is thread-safe and many calls may
// be in flight.
//
//   RpcClient client({.url = *ParseTransportUrl("rabbit://..."), ...});
//   client.WaitReady(absl::Seconds(5));
//   CallSpec spec{.target = {.topic = "compute"}};
//   absl::StatusOr<std::string> result =
//       client.Call(spec.Prepare("host1"), "get_info", R"({"id": 1})");
//
// Requests are published with the mandatory flag: a request that no queue
// receives fails at once with UNAVAILABLE instead of waiting for its timeout.
// A call's (or gather's) request awaits no publisher confirm: its reply
// confirms it, and the broker's basic.return finds the call by the returned
// body's `_msg_id`. So a request written just before its connection drops
// waits for its reply or its deadline (it may well have been delivered).
// Casts do await the confirm: it is all a cast's caller gets.
//
// Beyond oslo's client it can gather the replies of every server of a topic
// to one fanout request (GatherAsync) and stream the fanout casts of a topic
// (Subscribe); both are what the bridge's server-streaming methods use.

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
#include "bridge/oslo/reply.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/deadline_timer.h"
#include "bridge/rpc/pending_gather.h"
#include "bridge/rpc/reply_waiter.h"
#include "bridge/rpc/subscriber_queues.h"
#include "bridge/rpc/target.h"
#include "bridge/rpc/version.h"
#include "bridge/transport/io_thread.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

namespace amqp::rpc {

// A target plus per-call settings; Prepare() derives variants like oslo's
// RPCClient.prepare().
struct CallSpec {
  Target target;
  absl::Duration timeout = absl::Seconds(60);  // rpc_response_timeout
  // oslo's call_monitor_timeout (zero: off): sent as `_timeout` in seconds,
  // so the server sends a heartbeat every int(_timeout)/2 s while it works,
  // and a call fails with DEADLINE_EXCEEDED when neither a heartbeat nor the
  // reply came for that long (each heartbeat restarts the wait), however far
  // the overall `timeout` is.
  absl::Duration call_monitor_timeout = absl::ZeroDuration();
  // Sent instead of target.version when a version cap forbids that one
  // (RpcClient::Options::version_caps).
  std::optional<std::string> fallback_version;

  // A copy aimed at one server, with another version or namespace, another
  // timeout or call-monitor timeout. Empty/unset arguments keep the current
  // value.
  CallSpec Prepare(
      absl::string_view server,
      std::optional<std::string> version = std::nullopt,
      std::optional<absl::Duration> timeout = std::nullopt,
      std::optional<std::string> namespace_ = std::nullopt,
      std::optional<absl::Duration> call_monitor_timeout = std::nullopt) const;
};

class RpcClient {
 public:
  struct Options {
    transport::TransportUrl url;
    transport::RabbitOptions rabbit;
    int io_threads = 1;
    std::string name = "rpc_client";  // for logs and connection names
    // Calls fail at once (UNAVAILABLE) when their target queue exists but
    // has no consumer, instead of waiting for the timeout in a queue that
    // outlived its server. Casts still wait there for the server's return.
    bool fail_fast_no_consumer = false;
    // Larger replies (and subscription casts) are rejected unread with one
    // log line; 0: no limit.
    uint64_t max_message_bytes = transport::kDefaultMaxMessageBytes;
    // The highest version sent per topic: a call, cast or gather whose
    // target.version the cap forbids sends its fallback_version, or fails
    // with FAILED_PRECONDITION before anything is published.
    VersionCaps version_caps;
    // The state of the reply queue's connection, what WaitReady() waits for:
    // true once it consumes, false when an attempt failed or it was lost.
    // Runs on its I/O thread and must not block.
    transport::IoThread::StateFn on_connection_state;
  };
  // Runs once with the final reply (never a heartbeat); a failure reply
  // arrives as its status (see oslo::FailureToStatus).
  using CallDone = std::function<void(absl::StatusOr<oslo::Reply>)>;
  using CastDone = std::function<void(absl::Status)>;
  using CallId = std::string;  // the request's _msg_id

  struct GatherOptions {
    absl::Duration window = absl::Seconds(1);  // how long replies are taken
    int expect = 0;  // > 0: finish as soon as this many replies came
  };
  // replies: every final reply, failures included; failures: those that
  // carried an exception.
  using GatherSummary = rpc::GatherSummary;
  // One server's reply to a gather; a failure reply arrives as its status.
  using GatherReply = std::function<void(absl::StatusOr<oslo::Reply>)>;
  // OK when the window closed or `expect` replies came; UNAVAILABLE when the
  // request reached no server; CANCELLED after Cancel().
  using GatherDone = std::function<void(absl::Status, GatherSummary)>;

  // Receives the fanout casts of one topic while it lives; destroying it
  // stops the stream (neither `on_cast` nor `ready` runs after the
  // destructor returns) and deletes its queue.
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };
  // Runs on the I/O thread for each cast; it must not block.
  using CastReceived = std::function<void(const oslo::Request&)>;

  explicit RpcClient(Options options);
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;
  ~RpcClient();

  // True once the reply queue is consumed; false after `timeout`.
  bool WaitReady(absl::Duration timeout) const;

  // oslo's can_send_version: may `version` go to `topic` under the caps?
  bool CanSendVersion(absl::string_view topic,
                      absl::string_view version) const {
    return options_.version_caps.CanSendVersion(topic, version);
  }

  // Starts a call. `done` runs exactly once: on the reply queue's I/O thread
  // for a reply, on the timer thread for DEADLINE_EXCEEDED (the timeout or
  // the call monitor), on a publishing thread for UNAVAILABLE, or on the
  // caller's thread before CallAsync returns when nothing was published:
  // INVALID_ARGUMENT for a fanout target (oslo's InvalidTarget: a call
  // needs one server), FAILED_PRECONDITION for a version cap. `args_json` is a
  // JSON object's text; `context` an object whose members become `_context_*`
  // keys (may be null).
  CallId CallAsync(const CallSpec& spec, absl::string_view method,
                   absl::string_view args_json, const rapidjson::Value* context,
                   CallDone done);
  // Gives up on a call or gather: frees its reply slot and runs its `done`
  // with CANCELLED, unless it already finished. Not from inside a callback
  // of the same call.
  void Cancel(const CallId& id);
  // Blocking call; returns the result's JSON text.
  absl::StatusOr<std::string> Call(const CallSpec& spec,
                                   absl::string_view method,
                                   absl::string_view args_json = "{}",
                                   const rapidjson::Value* context = nullptr);

  // Publishes a cast (to every server if spec.target.fanout) and runs `done`
  // once the broker confirmed it, or with UNAVAILABLE, or (nothing published)
  // with FAILED_PRECONDITION when a version cap forbids it.
  void CastAsync(const CallSpec& spec, absl::string_view method,
                 absl::string_view args_json, const rapidjson::Value* context,
                 CastDone done);
  absl::Status Cast(const CallSpec& spec, absl::string_view method,
                    absl::string_view args_json = "{}",
                    const rapidjson::Value* context = nullptr);

  // Publishes a call to every server of spec.target.topic (its fanout
  // exchange) and hands each server's reply to `on_reply` until the window
  // closes or `expect` replies came, then runs `done`. The callbacks never
  // run concurrently, and `on_reply` never after `done`. When a version cap
  // forbids the call, `done` runs with FAILED_PRECONDITION on the caller's
  // thread before GatherAsync returns, and nothing is published.
  CallId GatherAsync(const CallSpec& spec, absl::string_view method,
                     absl::string_view args_json,
                     const rapidjson::Value* context,
                     const GatherOptions& options, GatherReply on_reply,
                     GatherDone done);

  // Binds a private queue to the topic's fanout exchange (as an oslo server
  // does, but auto-deleted) and hands every cast arriving there to
  // `on_cast`. `ready` runs once: OK when consuming, UNAVAILABLE when the
  // broker cannot be reached. The subscription is re-declared after a
  // reconnect.
  std::unique_ptr<Subscription> Subscribe(
      const Target& target, CastReceived on_cast,
      std::function<void(absl::Status)> ready);

  const std::string& reply_queue() const { return reply_queue_; }
  // Calls waiting for a reply right now.
  size_t pending_calls() const { return waiter_.size(); }
  // The broker connections (I/O threads), for metrics: the first consumes
  // replies and subscriptions.
  size_t connections() const { return io_threads_.size(); }
  const transport::IoThread& connection(size_t i) const {
    return *io_threads_[i];
  }
  // Replies no call waited for (it finished, timed out or was cancelled, or
  // the id was never ours): dropped, as oslo drops them.
  uint64_t dropped_replies() const {
    return dropped_replies_.load(std::memory_order_relaxed);
  }

 private:
  class SubscriptionImpl;

  transport::IoThread& NextPublisher();
  // The version `spec` sends under the caps (see Options::version_caps).
  absl::StatusOr<std::optional<std::string>> SendVersion(
      const CallSpec& spec, absl::string_view method) const;
  // What a request that awaits replies adds to the message.
  struct ReplyTo {
    absl::string_view msg_id;
    // The broker drops the request if no server took it by then.
    absl::Duration expires_after;
    // oslo's call_monitor_timeout (zero: off).
    absl::Duration call_monitor_timeout = absl::ZeroDuration();
  };
  // Every request's message, built here: the version the caps allow
  // (FAILED_PRECONDITION if none), oslo's fields, the body, the exchange
  // and routing key of `target`. With `reply_to` (a call or gather) it asks
  // for replies on the reply queue and awaits no publisher confirm: its
  // replies confirm it. Without it (a cast) it awaits the confirm.
  absl::StatusOr<transport::OutgoingMessage> RequestMessage(
      const CallSpec& spec, const Target& target, absl::string_view method,
      absl::string_view args_json, const rapidjson::Value* context,
      const ReplyTo* reply_to) const;
  bool OnDelivery(transport::Delivery& delivery);
  bool OnReplyDelivery(transport::Delivery& delivery);
  // A request that no queue took: fails its call or gather.
  void OnReturn(transport::ReturnedMessage& returned);
  // Runs on the reply queue's I/O thread after each (re)connect.
  absl::Status DeclareAndConsume(transport::Connection& connection);

  const Options options_;
  const std::string reply_queue_;
  ReplyWaiter waiter_;
  DeadlineTimer timer_;
  std::atomic<size_t> next_publisher_{0};
  // Subscriptions by consumer tag; looked up by the I/O thread per delivery
  // to a subscription and on reconnects, never on the call path.
  SubscriberQueues subscriptions_{"subscription"};
  std::atomic<uint64_t> next_subscription_{0};
  std::atomic<uint64_t> dropped_replies_{0};
  // Declared last: I/O threads stop first, while what they call still exists.
  std::vector<std::unique_ptr<transport::IoThread>> io_threads_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_RPC_CLIENT_H_
