// oslo notifications: the dict a Notifier sends ({message_id, publisher_id,
// event_type, priority, payload, timestamp} plus _unique_id and _context_*
// keys), enveloped by the "messagingv2" driver and bare with "messaging" (v1).

#ifndef BRIDGE_OSLO_NOTIFICATION_H_
#define BRIDGE_OSLO_NOTIFICATION_H_

#include <rapidjson/document.h>

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bridge/oslo/envelope.h"

namespace amqp::oslo {

// The fields of a notification to send. Views must outlive the call.
struct OutgoingNotification {
  absl::string_view message_id;  // str(uuid4()), dashed; generated when empty
  absl::string_view publisher_id;
  absl::string_view event_type;
  absl::string_view priority = "INFO";    // upper case, as oslo sends it
  absl::string_view payload_json = "{}";  // JSON text, spliced in unchanged
  // str(utcnow()); NotificationTimestamp(absl::Now()) when empty.
  absl::string_view timestamp;
  absl::string_view unique_id;  // uuid4 hex; generated when empty
  // A JSON object; each member k becomes _context_k. oslo sanitises the
  // context to an allow-list first; callers pass what should be sent.
  const rapidjson::Value* context = nullptr;
  // true: messagingv2 (2.0 envelope); false: the v1 "messaging" driver.
  bool envelope = true;
};

// The AMQP body, byte-identical to oslo.messaging's for the same fields.
std::string EncodeNotification(const OutgoingNotification& notification);

// Python's str(datetime.utcnow()) for `t`: "YYYY-MM-DD HH:MM:SS.ffffff" in
// UTC, without the fraction when it is zero.
std::string NotificationTimestamp(absl::Time t);

// A received notification (either driver). Move-only; values stay valid
// across moves.
class Notification {
 public:
  // InvalidArgument when the body is not a JSON object or bad envelope,
  // nests deeper than kMaxJsonDepth, "event_type" or "priority" is missing or
  // not a string, or message_id, publisher_id, timestamp or _unique_id is
  // neither a string nor null.
  static absl::StatusOr<Notification> Decode(std::string body);

  Notification(Notification&&) noexcept = default;
  Notification& operator=(Notification&&) noexcept = default;

  absl::string_view message_id() const { return message_id_; }
  absl::string_view publisher_id() const { return publisher_id_; }
  absl::string_view event_type() const { return event_type_; }
  absl::string_view priority() const { return priority_; }
  // The payload (null when absent).
  const rapidjson::Value& payload() const { return *payload_; }
  absl::string_view timestamp() const { return timestamp_; }
  absl::string_view unique_id() const { return unique_id_; }
  // The _context_* fields with the prefix stripped, in message order.
  const rapidjson::Value& context() const { return context_; }
  // Sent by messagingv2 (true) or by the v1 driver (false).
  bool enveloped() const { return parsed_.enveloped(); }

 private:
  explicit Notification(ParsedMessage parsed) : parsed_(std::move(parsed)) {}

  ParsedMessage parsed_;
  absl::string_view message_id_;
  absl::string_view publisher_id_;
  absl::string_view event_type_;
  absl::string_view priority_;
  const rapidjson::Value* payload_ = nullptr;
  absl::string_view timestamp_;
  absl::string_view unique_id_;
  rapidjson::Value context_{rapidjson::kObjectType};
};

}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_NOTIFICATION_H_
