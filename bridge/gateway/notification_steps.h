// The gateway's steps for oslo notifications (design "Notifications"): a
// `notify` call's request sent as a notification, and a received
// notification turned into a NOTIFICATIONS stream's response message.

#ifndef BRIDGE_GATEWAY_NOTIFICATION_STEPS_H_
#define BRIDGE_GATEWAY_NOTIFICATION_STEPS_H_

#include <google/protobuf/descriptor.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/gateway/call_metadata.h"
#include "bridge/gateway/gateway_env.h"
#include "bridge/gateway/oslo_client.h"
#include "bridge/gateway/route_table.h"
#include "bridge/oslo/notification.h"

namespace amqp::gateway {

// Sends `payload_json` (the request's fields) as the route's notification:
// its event type and priority, the publisher id of x-amqp-publisher-id else
// env.publisher_id, the call's context, to the route's exchange with the key
// <notification_topic>.<priority>. `sent` runs once: OK once the broker
// confirmed it, UNAVAILABLE when no queue is bound there (nobody listens)
// or there is no broker.
void SendNotification(const GatewayEnv& env, const Route& route,
                      const CallMetadata& metadata,
                      absl::string_view payload_json,
                      OsloClient::NotificationSent sent);

// The wire bytes of a `type` message filled from `notification`: its fields
// named event_type, publisher_id, priority, timestamp (a string as oslo
// sends it, or a google.protobuf.Timestamp), message_id, payload (by the
// value mapping) and context (a Struct), those that `type` has. INTERNAL
// naming the field when the notification does not fit.
absl::StatusOr<std::string> NotificationResponse(
    const google::protobuf::Descriptor& type,
    const oslo::Notification& notification);

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_NOTIFICATION_STEPS_H_
