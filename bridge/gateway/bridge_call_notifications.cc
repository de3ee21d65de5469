// BridgeCall's NOTIFICATIONS streams: a private queue of the bridge's
// NotificationListener per call, each matching notification one response
// message, and a bounded buffer towards a slow reader.

#include <glog/logging.h>

#include "absl/strings/str_cat.h"
#include "bridge/gateway/bridge_call.h"
#include "bridge/gateway/notification_steps.h"

namespace amqp::gateway {

void BridgeCall::StartNotifications() {
  const schema::NotificationMap& map = *route_->method.notification;
  rpc::NotificationListener::Filter filter;
  filter.exchange = route_->target.exchange;
  filter.routing_keys = map.RoutingKeys();
  filter.event_type = map.event_type;
  const size_t limit = env_.notification_buffer;
  std::unique_ptr<rpc::NotificationListener::Subscription> subscription =
      env_.notifications->Subscribe(
          filter,
          [this, limit](const oslo::Notification& notification) {
            absl::StatusOr<std::string> response = NotificationResponse(
                *route_->response_prototype->GetDescriptor(), notification);
            if (!response.ok()) {
              LOG_EVERY_N(WARNING, 100)
                  << context_->method()
                  << ": skipping: " << response.status().message();
              return;
            }
            if (!Send(ToByteBuffer(*response), limit)) {
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
          [this](absl::Status ready) {
            // Runs under the subscription's lock: OnCancel destroys the
            // subscription before finishing, so `this` is alive here.
            if (!ready.ok()) {
              FinishWhenFlushed(ready);
              return;
            }
            // Tells the client that notifications from now on reach it.
            StartSendInitialMetadata();
          });
  std::unique_ptr<rpc::NotificationListener::Subscription> too_late;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_ || finished_) {
      too_late = std::move(subscription);
    } else {
      notifications_ = std::move(subscription);
    }
  }
}

}  // namespace amqp::gateway
