// The notification options of a method (design "Notifications"): `notify:
// true` sends each unary request as an oslo notification; `stream:
// NOTIFICATIONS` streams the notifications a pattern selects. Read from
// (amqp.method) with the design's defaults and validated, for the plugin and
// the bridge alike.

#ifndef BRIDGE_SCHEMA_NOTIFICATION_OPTIONS_H_
#define BRIDGE_SCHEMA_NOTIFICATION_OPTIONS_H_

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace amqp::schema {

// oslo's notification priorities as its listeners name them (routing keys
// are <notification_topic>.<priority>).
inline constexpr const char* kNotificationPriorities[] = {
    "audit", "debug", "info", "warn", "error", "critical", "sample"};

struct NotificationMap {
  // true: `notify` (send); false: a NOTIFICATIONS stream (receive).
  bool send = false;
  // Sending: the event type. Receiving: an fnmatch pattern, "*" for all.
  std::string event_type;
  // Lower case. Sending: the one priority (oslo puts it upper case in the
  // message). Receiving: the priorities listened to.
  std::vector<std::string> priorities;
  std::string topic = "notifications";  // notification_topic

  // The routing keys: <topic>.<priority> for each priority.
  std::vector<std::string> RoutingKeys() const;
};

// nullopt for a method that neither sends nor streams notifications.
// INVALID_ARGUMENT naming the file, the method and the fix for: `notify` on
// a streaming method or with a response other than google.protobuf.Empty,
// NOTIFICATIONS on a unary method, either with cast/fanout/server_field/
// result_field, `notify` without an event_type or with a pattern, an
// unknown priority, a NOTIFICATIONS response without any of the fields
// event_type, publisher_id, priority, timestamp, message_id, payload,
// context or with one of an unfit type, and event_type/priority/
// notification_topic on any other method.
absl::StatusOr<std::optional<NotificationMap>> ReadNotificationOptions(
    const google::protobuf::MethodDescriptor& method);

}  // namespace amqp::schema

#endif  // BRIDGE_SCHEMA_NOTIFICATION_OPTIONS_H_
