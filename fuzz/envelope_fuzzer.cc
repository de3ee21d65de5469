// Fuzzes the oslo message decoders with an AMQP body: the 2.0 envelope
// (ParsedMessage), requests, replies and notifications, and checks that what
// decodes survives a re-encode unchanged (encode(decode(x)) decodes to the
// same fields) and that the JSON writer reaches a fixed point.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/envelope.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/notification.h"
#include "bridge/oslo/reply.h"
#include "bridge/oslo/request.h"
#include "fuzz/fuzz_check.h"

namespace amqp::oslo {
namespace {

// json.dumps(json.loads(json.dumps(x))) == json.dumps(x) for what we parse.
void CheckJsonFixedPoint(const rapidjson::Value& value) {
  const std::string once = ToPyJson(value);
  JsonDocument doc = NewJsonDocument();
  FUZZ_CHECK(ParseJson(once, &doc).ok());
  FUZZ_CHECK(ToPyJson(doc) == once);
}

bool SameTimeout(std::optional<double> a, std::optional<double> b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a.has_value()) return true;
  return *a == *b || (std::isnan(*a) && std::isnan(*b));
}

void CheckRequest(const std::string& body) {
  absl::StatusOr<Request> request = Request::Decode(body);
  if (!request.ok()) return;
  CheckJsonFixedPoint(request->message());
  const std::string args_json = ToPyJson(request->args());
  OutgoingRequest out;
  out.method = request->method();
  out.args_json = args_json;
  out.namespace_ = request->namespace_();
  if (!request->version_is_null()) out.version = request->version();
  out.msg_id = request->msg_id();
  out.reply_q = request->reply_q();
  out.call_monitor_timeout = request->call_monitor_timeout();
  out.unique_id = request->unique_id();
  out.context = &request->context();
  const std::string encoded = EncodeRequest(out);
  absl::StatusOr<Request> again = Request::Decode(encoded);
  FUZZ_CHECK(again.ok());
  // What was sound stays sound (a defect may be written away: a pruned
  // value is a null once written).
  if (request->defect().ok()) FUZZ_CHECK(again->defect().ok());
  FUZZ_CHECK(again->method() == request->method());
  FUZZ_CHECK(ToPyJson(again->args()) == args_json);
  FUZZ_CHECK(again->namespace_() == request->namespace_());
  if (!request->version_is_null()) {
    FUZZ_CHECK(again->version() == request->version());
  }
  // Without a _msg_id the request is a cast: no _reply_q or _timeout sent.
  if (!request->msg_id().empty()) {
    FUZZ_CHECK(again->msg_id() == request->msg_id());
    FUZZ_CHECK(again->reply_q() == request->reply_q());
    FUZZ_CHECK(SameTimeout(again->call_monitor_timeout(),
                           request->call_monitor_timeout()));
    FUZZ_CHECK(again->is_call() == request->is_call());
  }
  if (!request->unique_id().empty()) {
    FUZZ_CHECK(again->unique_id() == request->unique_id());
  }
  FUZZ_CHECK(ToPyJson(again->context()) == ToPyJson(request->context()));
}

void CheckReply(const std::string& body) {
  absl::StatusOr<Reply> reply = Reply::Decode(body);
  // A defective reply only ends its call; it is never encoded again.
  if (!reply.ok() || !reply->defect().ok()) return;
  const std::string result_json = ToPyJson(reply->result());
  OutgoingReply out;
  out.result_json = result_json;
  out.failure = reply->failure().has_value() ? &*reply->failure() : nullptr;
  out.ending = reply->ending();
  out.msg_id = reply->msg_id();
  out.unique_id = reply->unique_id();
  absl::StatusOr<Reply> again = Reply::Decode(EncodeReply(out));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->defect().ok());
  FUZZ_CHECK(again->msg_id() == reply->msg_id());
  FUZZ_CHECK(again->ending() == reply->ending());
  FUZZ_CHECK(again->failure().has_value() == reply->failure().has_value());
  if (reply->failure().has_value()) {
    FUZZ_CHECK(again->result().IsNull());
    FUZZ_CHECK(again->failure()->message == reply->failure()->message);
    FUZZ_CHECK(again->failure()->traceback == reply->failure()->traceback);
  } else {
    FUZZ_CHECK(ToPyJson(again->result()) == result_json);
    FUZZ_CHECK(again->is_heartbeat() == reply->is_heartbeat());
  }
  if (!reply->unique_id().empty()) {
    FUZZ_CHECK(again->unique_id() == reply->unique_id());
  }
}

void CheckNotification(const std::string& body) {
  absl::StatusOr<Notification> notification = Notification::Decode(body);
  if (!notification.ok()) return;
  const std::string payload_json = ToPyJson(notification->payload());
  OutgoingNotification out;
  out.message_id = notification->message_id();
  out.publisher_id = notification->publisher_id();
  out.event_type = notification->event_type();
  out.priority = notification->priority();
  out.payload_json = payload_json;
  out.timestamp = notification->timestamp();
  out.unique_id = notification->unique_id();
  out.context = &notification->context();
  out.envelope = notification->enveloped();
  absl::StatusOr<Notification> again =
      Notification::Decode(EncodeNotification(out));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->enveloped() == notification->enveloped());
  FUZZ_CHECK(again->event_type() == notification->event_type());
  FUZZ_CHECK(again->priority() == notification->priority());
  FUZZ_CHECK(again->publisher_id() == notification->publisher_id());
  FUZZ_CHECK(ToPyJson(again->payload()) == payload_json);
  FUZZ_CHECK(ToPyJson(again->context()) == ToPyJson(notification->context()));
  // Empty ones are generated afresh on encode.
  if (!notification->message_id().empty()) {
    FUZZ_CHECK(again->message_id() == notification->message_id());
  }
  if (!notification->timestamp().empty()) {
    FUZZ_CHECK(again->timestamp() == notification->timestamp());
  }
  if (!notification->unique_id().empty()) {
    FUZZ_CHECK(again->unique_id() == notification->unique_id());
  }
}

}  // namespace
}  // namespace amqp::oslo

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace amqp::oslo;  // NOLINT(build/namespaces)
  const std::string body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ParsedMessage> parsed = ParsedMessage::Parse(body);
  if (parsed.ok()) {
    FUZZ_CHECK(parsed->message().IsObject());
    CheckJsonFixedPoint(parsed->message());
    // Moving keeps every view into the message valid.
    ParsedMessage moved = *std::move(parsed);
    CheckJsonFixedPoint(moved.message());
  }
  CheckRequest(body);
  CheckReply(body);
  CheckNotification(body);
  return 0;
}
