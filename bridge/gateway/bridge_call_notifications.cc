// BridgeCall's NOTIFICATIONS streams: a private queue of the bridge's
// NotificationListener per call, each matching notification one response
// message, and a bounded buffer towards a slow reader.

#include <glog/logging.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "bridge/gateway/bridge_call.h"
#include "bridge/gateway/notification_steps.h"

namespace amqp::gateway {

void BridgeCall::StartNotifications() {
  const schema::NotificationMap& map = *route_->method.notification;
  OsloClient::NotificationFilter filter;
  filter.exchange = route_->target.exchange;
  filter.routing_keys = map.RoutingKeys();
  filter.event_type = map.event_type;
  const size_t limit = env_.notification_buffer;
  // Set on overflow: until gRPC finishes the call (after the write in
  // flight), what still arrives is dropped before any work. Only the
  // listener's callbacks, which never run concurrently, touch it.
  auto overflowed = std::make_shared<bool>(false);
  std::unique_ptr<OsloClient::NotificationSubscription> subscription =
      env_.rpc->SubscribeNotifications(
          filter,
          [this, limit, overflowed](const oslo::Notification& notification) {
            if (*overflowed) return;
            absl::StatusOr<std::string> response = NotificationResponse(
                *route_->response_prototype->GetDescriptor(), notification);
            if (!response.ok()) {
              LOG_EVERY_N(WARNING, 100)
                  << context_->method()
                  << ": skipping: " << response.status().message();
              return;
            }
            if (Send(ToByteBuffer(*response), limit)) {
              if (env_.stats != nullptr) {
                env_.stats->notifications_streamed.fetch_add(
                    1, std::memory_order_relaxed);
              }
            } else {
              *overflowed = true;
              LOG(WARNING) << context_->method()
                           << ": the client reads too slowly; ending the "
                              "stream with "
                           << limit << " notifications buffered";
              FinishWhenFlushed(absl::ResourceExhaustedError(absl::StrCat(
                  "the client read too slowly: ", limit,
                  " notifications were buffered (the bridge's "
                  "--notification_buffer); those not sent are dropped, "
                  "subscribe again")));
            }
          },
          [this](absl::Status ready) { Subscribed(ready); });
  Keep(std::move(subscription), &notifications_);
}

}  // namespace amqp::gateway
