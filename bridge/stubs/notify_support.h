// The runtime side of generated `notify` methods (protoc-gen-amqp's
// <Service>Client::<Method>(notifier, request, publisher_id)): the request
// message becomes the payload of an oslo notification, sent with an
// rpc::Notifier.

#ifndef BRIDGE_STUBS_NOTIFY_SUPPORT_H_
#define BRIDGE_STUBS_NOTIFY_SUPPORT_H_

#include <google/protobuf/message.h>
#include <rapidjson/document.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/rpc/notifier.h"

namespace amqp::stubs {

// What the (amqp.method) options of a `notify` method say.
struct NotificationInfo {
  const char* event_type;
  const char* priority;  // upper case, as oslo sends it: "INFO"
  const char* topic;     // notification_topic
};

// Sends `payload` (by the value mapping) as the notification `info` to
// `exchange`; OK once the broker confirmed it, UNAVAILABLE when no queue
// is bound to <topic>.<priority> or there is no broker, INVALID_ARGUMENT
// when the payload has what JSON cannot carry.
absl::Status Notify(rpc::Notifier& notifier, absl::string_view exchange,
                    const NotificationInfo& info,
                    const google::protobuf::Message& payload,
                    absl::string_view publisher_id,
                    const rapidjson::Value* context);

}  // namespace amqp::stubs

#endif  // BRIDGE_STUBS_NOTIFY_SUPPORT_H_
