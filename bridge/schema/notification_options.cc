#include "bridge/schema/notification_options.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "amqp/options.pb.h"
#include "bridge/schema/method_error.h"

namespace amqp::schema {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

constexpr char kEmpty[] = "google.protobuf.Empty";

// A priority as listeners name it ("WARNING" -> "warn", as oslo's
// Notifier.warning sends WARN); empty when oslo has no such priority.
std::string NormalPriority(absl::string_view priority) {
  std::string lower =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(priority));
  if (lower == "warning") lower = "warn";
  for (const char* known : kNotificationPriorities) {
    if (lower == known) return lower;
  }
  return "";
}

absl::Status UnknownPriority(const MethodDescriptor& method,
                             absl::string_view priority) {
  return MethodError(
      method, absl::StrCat("priority '", priority, "' is not an oslo priority"),
      absl::StrCat("use one of ",
                   absl::StrJoin(kNotificationPriorities, ", ")));
}

// Response fields a NOTIFICATIONS stream fills, and the types they take.
bool IsString(const FieldDescriptor& field) {
  return field.type() == FieldDescriptor::TYPE_STRING;
}
bool IsStringOrTimestamp(const FieldDescriptor& field) {
  return IsString(field) ||
         (field.message_type() != nullptr &&
          field.message_type()->full_name() == "google.protobuf.Timestamp");
}
bool IsStruct(const FieldDescriptor& field) {
  return field.message_type() != nullptr &&
         field.message_type()->full_name() == "google.protobuf.Struct";
}
bool IsAnything(const FieldDescriptor&) { return true; }

struct StreamField {
  const char* name;
  bool (*fits)(const FieldDescriptor&);
  const char* type;
};
constexpr StreamField kStreamFields[] = {
    {"event_type", IsString, "string"},
    {"publisher_id", IsString, "string"},
    {"priority", IsString, "string"},
    {"timestamp", IsStringOrTimestamp, "string or google.protobuf.Timestamp"},
    {"message_id", IsString, "string"},
    {"payload", IsAnything, ""},
    {"context", IsStruct, "google.protobuf.Struct"},
};

absl::Status CheckStreamResponse(const MethodDescriptor& method) {
  const google::protobuf::Descriptor& response = *method.output_type();
  int found = 0;
  for (const StreamField& known : kStreamFields) {
    const FieldDescriptor* field = response.FindFieldByName(known.name);
    if (field == nullptr) continue;
    ++found;
    if (field->is_repeated() || !known.fits(*field)) {
      return MethodError(
          method,
          absl::StrCat("field '", known.name, "' of ", response.full_name(),
                       " cannot hold a notification's ", known.name),
          absl::StrCat("make it a singular ", known.type));
    }
  }
  if (found > 0) return absl::OkStatus();
  std::vector<absl::string_view> names;
  for (const StreamField& known : kStreamFields) names.push_back(known.name);
  return MethodError(
      method,
      absl::StrCat(response.full_name(), " has no field a notification fills"),
      absl::StrCat("add some of ", absl::StrJoin(names, ", ")));
}

}  // namespace

std::vector<std::string> NotificationMap::RoutingKeys() const {
  std::vector<std::string> keys;
  for (const std::string& priority : priorities) {
    keys.push_back(absl::StrCat(topic, ".", priority));
  }
  return keys;
}

absl::StatusOr<std::optional<NotificationMap>> ReadNotificationOptions(
    const MethodDescriptor& method) {
  const amqp::MethodOptions& options =
      method.options().GetExtension(amqp::method);
  const bool receive = options.stream() == amqp::MethodOptions::NOTIFICATIONS;
  if (!options.notify() && !receive) {
    if (!options.event_type().empty() || !options.priority().empty() ||
        !options.notification_topic().empty()) {
      return MethodError(method,
                         "event_type, priority and notification_topic apply "
                         "to notifications only",
                         "add `notify: true` (unary) or `stream: "
                         "NOTIFICATIONS` (server streaming), or remove them");
    }
    return std::nullopt;
  }
  if (options.notify() && receive) {
    return MethodError(method, "`notify` sends and NOTIFICATIONS receives",
                       "keep one of them");
  }
  if (options.notify() && method.server_streaming()) {
    return MethodError(method, "`notify` sends one notification per call",
                       "make the method unary, or use `stream: "
                       "NOTIFICATIONS` to receive notifications");
  }
  if (receive && !method.server_streaming()) {
    return MethodError(method, "`stream: NOTIFICATIONS` streams notifications",
                       "declare `returns (stream ...)`, or use `notify: "
                       "true` to send them");
  }
  if (options.cast() || options.fanout() || !options.server_field().empty() ||
      !options.result_field().empty()) {
    return MethodError(method,
                       "cast, fanout, server_field and result_field do not "
                       "apply to notifications",
                       "remove them");
  }
  NotificationMap map;
  map.send = options.notify();
  if (!options.notification_topic().empty()) {
    if (options.notification_topic().find_first_of(" \t*#") !=
        std::string::npos) {
      return MethodError(
          method,
          absl::StrCat("notification_topic '", options.notification_topic(),
                       "' is not a topic"),
          "name it without spaces or wildcards, e.g. \"notifications\"");
    }
    map.topic = options.notification_topic();
  }
  if (map.send) {
    if (method.output_type()->full_name() != kEmpty) {
      return MethodError(
          method,
          absl::StrCat("a notification has no answer, but the response is ",
                       method.output_type()->full_name()),
          "return google.protobuf.Empty");
    }
    if (options.event_type().empty() ||
        options.event_type().find_first_of("*?[") != std::string::npos) {
      return MethodError(method, "`notify` needs the event type it sends",
                         "set event_type, e.g. "
                         "\"compute.instance.create.end\" (no wildcards)");
    }
    map.event_type = options.event_type();
    // Both arms string_view: "info" against a std::string would make the
    // view point into a temporary std::string.
    const absl::string_view priority =
        options.priority().empty() ? absl::string_view("info")
                                   : absl::string_view(options.priority());
    std::string normal = NormalPriority(priority);
    if (normal.empty()) return UnknownPriority(method, priority);
    map.priorities.push_back(std::move(normal));
    return map;
  }
  if (absl::Status s = CheckStreamResponse(method); !s.ok()) return s;
  map.event_type = options.event_type().empty() ? "*" : options.event_type();
  if (options.priority().empty()) {
    map.priorities.assign(std::begin(kNotificationPriorities),
                          std::end(kNotificationPriorities));
    return map;
  }
  for (absl::string_view priority : absl::StrSplit(options.priority(), ',')) {
    std::string normal = NormalPriority(priority);
    if (normal.empty()) return UnknownPriority(method, priority);
    if (std::find(map.priorities.begin(), map.priorities.end(), normal) ==
        map.priorities.end()) {
      map.priorities.push_back(std::move(normal));
    }
  }
  return map;
}

}  // namespace amqp::schema
