#include "bridge/stubs/notify_support.h"

#include <string>

#include "bridge/oslo/json.h"
#include "bridge/oslo/notification.h"
#include "bridge/transcode/transcode.h"

namespace amqp::stubs {

absl::Status Notify(rpc::Notifier& notifier, absl::string_view exchange,
                    const NotificationInfo& info,
                    const google::protobuf::Message& payload,
                    absl::string_view publisher_id,
                    const rapidjson::Value* context) {
  std::string payload_json;
  {
    oslo::PyJsonWriter writer(&payload_json);
    if (absl::Status s = transcode::WriteArgs(payload, {}, &writer); !s.ok()) {
      return s;
    }
  }
  oslo::OutgoingNotification notification;
  notification.publisher_id = publisher_id;
  notification.event_type = info.event_type;
  notification.priority = info.priority;
  notification.payload_json = payload_json;
  notification.context = context;
  return notifier.Notify(exchange, info.topic, notification);
}

}  // namespace amqp::stubs
