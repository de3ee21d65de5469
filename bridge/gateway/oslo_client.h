// What the gateway's reactors need from oslo.messaging's side, and nothing
// more: of the RPC client a call, a cast (or fanout cast), a gather,
// cancelling one of them, and a subscription to a topic's fanout casts; of
// the notifier sending a notification, of the notification listener a
// subscription. The bridge gives them an RpcClientAdapter around its
// rpc::RpcClient, rpc::Notifier and rpc::NotificationListener; the
// reactors' unit tests (tests/gateway/reactor_test.cc) give them a fake, so
// deadlines, cancellation, error mapping, GATHER windows and max_inflight
// are tested without a broker.
//
// Why an interface here and an adapter, not a base class in bridge/rpc that
// RpcClient implements: the interface belongs to its user (it names what the
// gateway calls, not everything RpcClient offers: blocking calls, metrics,
// reply queues stay off it; it spans three rpc classes), rpc must not
// depend on gateway (bazel/layers.bzl), and RpcClient keeps its calls
// non-virtual for the typed clients the generator writes and the
// benchmarks. The adapter's forwarding costs one virtual call per call,
// nothing beside the broker.
//
//   gateway::RpcClientAdapter oslo(&rpc, &notifier, &notifications);
//   env.rpc = &oslo;

#ifndef BRIDGE_GATEWAY_OSLO_CLIENT_H_
#define BRIDGE_GATEWAY_OSLO_CLIENT_H_

#include <rapidjson/document.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/notification.h"
#include "bridge/rpc/notification_listener.h"
#include "bridge/rpc/notifier.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/rpc/target.h"

namespace amqp::gateway {

// The types are the rpc classes': the interface narrows what is called, not
// what is passed. Each method's contract is its rpc class's
// (rpc/rpc_client.h, rpc/notifier.h, rpc/notification_listener.h),
// including which thread runs each callback.
class OsloClient {
 public:
  using CallId = rpc::RpcClient::CallId;
  using CallDone = rpc::RpcClient::CallDone;
  using CastDone = rpc::RpcClient::CastDone;
  using GatherOptions = rpc::RpcClient::GatherOptions;
  using GatherSummary = rpc::RpcClient::GatherSummary;
  using GatherReply = rpc::RpcClient::GatherReply;
  using GatherDone = rpc::RpcClient::GatherDone;
  using Subscription = rpc::RpcClient::Subscription;
  using CastReceived = rpc::RpcClient::CastReceived;
  using NotificationSent = rpc::Notifier::Sent;
  using NotificationFilter = rpc::NotificationListener::Filter;
  using NotificationReceived = rpc::NotificationListener::Received;
  using NotificationSubscription = rpc::NotificationListener::Subscription;

  virtual ~OsloClient() = default;

  // spec.timeout is the reply wait: the gRPC deadline's remaining time.
  virtual CallId CallAsync(const rpc::CallSpec& spec, absl::string_view method,
                           absl::string_view args_json,
                           const rapidjson::Value* context, CallDone done) = 0;
  virtual void CastAsync(const rpc::CallSpec& spec, absl::string_view method,
                         absl::string_view args_json,
                         const rapidjson::Value* context, CastDone done) = 0;
  virtual CallId GatherAsync(const rpc::CallSpec& spec,
                             absl::string_view method,
                             absl::string_view args_json,
                             const rapidjson::Value* context,
                             const GatherOptions& options, GatherReply on_reply,
                             GatherDone done) = 0;
  // Gives up on a call or gather (its `done` runs with CANCELLED unless it
  // already finished).
  virtual void Cancel(const CallId& id) = 0;
  virtual std::unique_ptr<Subscription> Subscribe(
      const rpc::Target& target, CastReceived on_cast,
      std::function<void(absl::Status)> ready) = 0;

  // rpc::Notifier::NotifyAsync.
  virtual void NotifyAsync(absl::string_view exchange, absl::string_view topic,
                           const oslo::OutgoingNotification& notification,
                           NotificationSent sent) = 0;
  // rpc::NotificationListener::Subscribe.
  virtual std::unique_ptr<NotificationSubscription> SubscribeNotifications(
      const NotificationFilter& filter, NotificationReceived on_notification,
      std::function<void(absl::Status)> ready) = 0;
};

// The bridge's OsloClient: forwards to its rpc objects.
class RpcClientAdapter : public OsloClient {
 public:
  // They outlive the adapter.
  RpcClientAdapter(rpc::RpcClient* rpc, rpc::Notifier* notifier,
                   rpc::NotificationListener* notifications)
      : rpc_(rpc), notifier_(notifier), notifications_(notifications) {}

  CallId CallAsync(const rpc::CallSpec& spec, absl::string_view method,
                   absl::string_view args_json, const rapidjson::Value* context,
                   CallDone done) override;
  void CastAsync(const rpc::CallSpec& spec, absl::string_view method,
                 absl::string_view args_json, const rapidjson::Value* context,
                 CastDone done) override;
  CallId GatherAsync(const rpc::CallSpec& spec, absl::string_view method,
                     absl::string_view args_json,
                     const rapidjson::Value* context,
                     const GatherOptions& options, GatherReply on_reply,
                     GatherDone done) override;
  void Cancel(const CallId& id) override;
  std::unique_ptr<Subscription> Subscribe(
      const rpc::Target& target, CastReceived on_cast,
      std::function<void(absl::Status)> ready) override;
  void NotifyAsync(absl::string_view exchange, absl::string_view topic,
                   const oslo::OutgoingNotification& notification,
                   NotificationSent sent) override;
  std::unique_ptr<NotificationSubscription> SubscribeNotifications(
      const NotificationFilter& filter, NotificationReceived on_notification,
      std::function<void(absl::Status)> ready) override;

 private:
  rpc::RpcClient* const rpc_;
  rpc::Notifier* const notifier_;
  rpc::NotificationListener* const notifications_;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_OSLO_CLIENT_H_
