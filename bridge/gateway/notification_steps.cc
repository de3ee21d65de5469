#include "bridge/gateway/notification_steps.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/wire_transcode.h"

namespace amqp::gateway {
namespace {

using google::protobuf::FieldDescriptor;

// oslo's str(utcnow()) "2026-12-07 10:00:00.123456" as RFC 3339, for a
// google.protobuf.Timestamp field.
std::string Rfc3339(absl::string_view timestamp) {
  return absl::StrCat(absl::StrReplaceAll(timestamp, {{" ", "T"}}), "Z");
}

bool IsTimestamp(const FieldDescriptor& field) {
  return field.message_type() != nullptr &&
         field.message_type()->full_name() == "google.protobuf.Timestamp";
}

}  // namespace

void SendNotification(const GatewayEnv& env, const Route& route,
                      const CallMetadata& metadata,
                      absl::string_view payload_json,
                      rpc::Notifier::Sent sent) {
  const schema::NotificationMap& map = *route.method.notification;
  const std::string priority = absl::AsciiStrToUpper(map.priorities.front());
  oslo::OutgoingNotification notification;
  notification.publisher_id = metadata.publisher_id.empty()
                                  ? absl::string_view(env.publisher_id)
                                  : absl::string_view(metadata.publisher_id);
  notification.event_type = map.event_type;
  notification.priority = priority;
  notification.payload_json = payload_json;
  notification.context = &metadata.context;
  env.rpc->NotifyAsync(route.target.exchange, map.topic, notification,
                       std::move(sent));
}

absl::StatusOr<std::string> NotificationResponse(
    const google::protobuf::Descriptor& type,
    const oslo::Notification& notification) {
  oslo::JsonDocument json(rapidjson::kObjectType);
  auto& allocator = json.GetAllocator();
  auto add_string = [&](const char* name, absl::string_view value) {
    const FieldDescriptor* field = type.FindFieldByName(name);
    if (field == nullptr) return;
    const std::string text =
        IsTimestamp(*field) ? Rfc3339(value) : std::string(value);
    json.AddMember(
        rapidjson::StringRef(name),
        rapidjson::Value(text.data(),
                         static_cast<rapidjson::SizeType>(text.size()),
                         allocator),
        allocator);
  };
  add_string("event_type", notification.event_type());
  add_string("publisher_id", notification.publisher_id());
  add_string("priority", notification.priority());
  add_string("timestamp", notification.timestamp());
  add_string("message_id", notification.message_id());
  if (type.FindFieldByName("payload") != nullptr) {
    json.AddMember("payload",
                   rapidjson::Value(notification.payload(), allocator),
                   allocator);
  }
  if (type.FindFieldByName("context") != nullptr) {
    json.AddMember("context",
                   rapidjson::Value(notification.context(), allocator),
                   allocator);
  }
  std::string bytes;
  transcode::ResultStats stats;
  absl::Status status =
      transcode::ReadMessageToWire(json, type, &bytes, &stats);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "a '", notification.event_type(), "' notification does not fit ",
        type.full_name(), ": ", status.message()));
  }
  return bytes;
}

}  // namespace amqp::gateway
