#include "bridge/oslo/notification.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bridge/oslo/context.h"
#include "bridge/oslo/ids.h"
#include "bridge/oslo/json.h"

namespace amqp::oslo {
namespace {

absl::Status WrongType(absl::string_view field, const rapidjson::Value& value,
                       absl::string_view want) {
  return WrongFieldType("notification", field, value, want);
}

}  // namespace

std::string NotificationTimestamp(absl::Time t) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  std::string out = absl::FormatTime("%Y-%m-%d %H:%M:%S", t, utc);
  const int64_t micros = absl::ToInt64Microseconds(
      t - absl::FromUnixSeconds(absl::ToUnixSeconds(t)));
  if (micros != 0) absl::StrAppendFormat(&out, ".%06d", micros);
  return out;
}

std::string EncodeNotification(const OutgoingNotification& notification) {
  std::string message;
  message.reserve(256 + notification.payload_json.size());
  PyJsonWriter writer(&message);
  writer.StartObject();
  writer.Key("message_id");
  writer.String(notification.message_id.empty() ? NewUuid4()
                                                : notification.message_id);
  writer.Key("publisher_id");
  writer.String(notification.publisher_id);
  writer.Key("event_type");
  writer.String(notification.event_type);
  writer.Key("priority");
  writer.String(notification.priority);
  writer.Key("payload");
  writer.RawValue(
      notification.payload_json.empty() ? "null" : notification.payload_json);
  writer.Key("timestamp");
  writer.String(notification.timestamp.empty()
                    ? NotificationTimestamp(absl::Now())
                    : notification.timestamp);
  writer.Key("_unique_id");
  writer.String(notification.unique_id.empty() ? NewUuid4Hex()
                                               : notification.unique_id);
  WritePackedContext(notification.context, &writer);
  writer.EndObject();
  if (!notification.envelope) return message;
  std::string body;
  body.reserve(message.size() + message.size() / 8 + 64);
  AppendEnvelope(message, &body);
  return body;
}

absl::StatusOr<Notification> Notification::Decode(std::string body) {
  absl::StatusOr<ParsedMessage> parsed = ParsedMessage::Parse(std::move(body));
  if (!parsed.ok()) return parsed.status();
  if (parsed->pruned()) return ParsedMessage::TooDeepError("the notification");
  Notification n(*std::move(parsed));
  n.payload_ = &JsonNull();
  bool has_event_type = false, has_priority = false;
  rapidjson::MemoryPoolAllocator<>& allocator = n.parsed_.allocator();
  for (const auto& member : n.parsed_.message().GetObject()) {
    const absl::string_view key = JsonStringView(member.name);
    const rapidjson::Value& value = member.value;
    absl::string_view* optional_string = nullptr;
    if (UnpackContextMember(key, value, &n.context_, allocator)) continue;
    if (key == "event_type" || key == "priority") {
      if (!value.IsString()) return WrongType(key, value, "a string");
      if (key == "event_type") {
        n.event_type_ = JsonStringView(value);
        has_event_type = true;
      } else {
        n.priority_ = JsonStringView(value);
        has_priority = true;
      }
    } else if (key == "payload") {
      n.payload_ = &value;
    } else if (key == "message_id") {
      optional_string = &n.message_id_;
    } else if (key == "publisher_id") {
      optional_string = &n.publisher_id_;
    } else if (key == "timestamp") {
      optional_string = &n.timestamp_;
    } else if (key == "_unique_id") {
      optional_string = &n.unique_id_;
    }
    if (optional_string != nullptr) {
      if (value.IsString()) {
        *optional_string = JsonStringView(value);
      } else if (!value.IsNull()) {
        return WrongType(key, value, "a string or null");
      }
    }
  }
  if (!has_event_type) {
    return absl::InvalidArgumentError(
        "notification has no \"event_type\" field");
  }
  if (!has_priority) {
    return absl::InvalidArgumentError("notification has no \"priority\" field");
  }
  return n;
}

}  // namespace amqp::oslo
