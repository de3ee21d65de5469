#include "bridge/gateway/oslo_client.h"

#include <utility>

namespace amqp::gateway {

OsloClient::CallId RpcClientAdapter::CallAsync(const rpc::CallSpec& spec,
                                               absl::string_view method,
                                               absl::string_view args_json,
                                               const rapidjson::Value* context,
                                               CallDone done) {
  return rpc_->CallAsync(spec, method, args_json, context, std::move(done));
}

void RpcClientAdapter::CastAsync(const rpc::CallSpec& spec,
                                 absl::string_view method,
                                 absl::string_view args_json,
                                 const rapidjson::Value* context,
                                 CastDone done) {
  rpc_->CastAsync(spec, method, args_json, context, std::move(done));
}

OsloClient::CallId RpcClientAdapter::GatherAsync(
    const rpc::CallSpec& spec, absl::string_view method,
    absl::string_view args_json, const rapidjson::Value* context,
    const GatherOptions& options, GatherReply on_reply, GatherDone done) {
  return rpc_->GatherAsync(spec, method, args_json, context, options,
                           std::move(on_reply), std::move(done));
}

void RpcClientAdapter::Cancel(const CallId& id) { rpc_->Cancel(id); }

std::unique_ptr<OsloClient::Subscription> RpcClientAdapter::Subscribe(
    const rpc::Target& target, CastReceived on_cast,
    std::function<void(absl::Status)> ready) {
  return rpc_->Subscribe(target, std::move(on_cast), std::move(ready));
}

void RpcClientAdapter::NotifyAsync(
    absl::string_view exchange, absl::string_view topic,
    const oslo::OutgoingNotification& notification, NotificationSent sent) {
  notifier_->NotifyAsync(exchange, topic, notification, std::move(sent));
}

std::unique_ptr<OsloClient::NotificationSubscription>
RpcClientAdapter::SubscribeNotifications(
    const NotificationFilter& filter, NotificationReceived on_notification,
    std::function<void(absl::Status)> ready) {
  return notifications_->Subscribe(filter, std::move(on_notification),
                                   std::move(ready));
}

}  // namespace amqp::gateway
