#include "bridge/oslo/reply.h"

#include "absl/strings/str_cat.h"
#include "bridge/oslo/ids.h"
#include "bridge/oslo/json.h"

namespace amqp::oslo {
namespace {

absl::Status WrongType(absl::string_view field, const rapidjson::Value& value,
                       absl::string_view want) {
  return WrongFieldType("reply", field, value, want);
}

}  // namespace

std::string EncodeReply(const OutgoingReply& reply) {
  std::string message;
  message.reserve(160 + reply.result_json.size());
  PyJsonWriter writer(&message);
  writer.StartObject();
  writer.Key("result");
  if (reply.failure != nullptr) {
    writer.Null();
  } else {
    writer.RawValue(reply.result_json.empty() ? "null" : reply.result_json);
  }
  writer.Key("failure");
  if (reply.failure != nullptr) {
    writer.String(EncodeFailure(*reply.failure));
  } else {
    writer.Null();
  }
  writer.Key("ending");
  writer.Bool(reply.ending);
  writer.Key("_msg_id");
  writer.String(reply.msg_id);
  writer.Key("_unique_id");
  if (reply.unique_id.empty()) {
    writer.String(NewUuid4Hex());
  } else {
    writer.String(reply.unique_id);
  }
  writer.EndObject();
  std::string body;
  body.reserve(message.size() + message.size() / 8 + 64);
  AppendEnvelope(message, &body);
  return body;
}

std::string EncodeHeartbeat(absl::string_view msg_id,
                            absl::string_view unique_id) {
  OutgoingReply heartbeat;
  heartbeat.ending = false;
  heartbeat.msg_id = msg_id;
  heartbeat.unique_id = unique_id;
  return EncodeReply(heartbeat);
}

absl::StatusOr<Reply> Reply::Decode(std::string body) {
  absl::StatusOr<ParsedMessage> parsed = ParsedMessage::Parse(std::move(body));
  if (!parsed.ok()) return parsed.status();
  Reply reply(*std::move(parsed));
  reply.result_ = &JsonNull();
  if (reply.parsed_.pruned()) {
    reply.defect_ = ParsedMessage::TooDeepError("the reply");
  }
  bool has_msg_id = false;
  for (const auto& member : reply.parsed_.message().GetObject()) {
    const absl::string_view key = JsonStringView(member.name);
    const rapidjson::Value& value = member.value;
    absl::Status s;
    if (key == "result") {
      reply.result_ = &value;
    } else if (key == "failure") {
      if (value.IsString()) {
        absl::StatusOr<Failure> failure = DecodeFailure(JsonStringView(value));
        if (failure.ok()) {
          reply.failure_ = *std::move(failure);
        } else {
          s = absl::InvalidArgumentError(absl::StrCat(
              "reply field \"failure\": ", failure.status().message()));
        }
      } else if (!value.IsNull()) {
        s = WrongType(key, value, "a string or null");
      }
    } else if (key == "ending") {
      if (value.IsBool()) {
        reply.ending_ = value.GetBool();
      } else if (!value.IsNull()) {
        s = WrongType(key, value, "a boolean");
      }
    } else if (key == "_msg_id") {
      if (!value.IsString()) return WrongType(key, value, "a string");
      reply.msg_id_ = JsonStringView(value);
      has_msg_id = true;
    } else if (key == "_unique_id") {
      if (value.IsString()) {
        reply.unique_id_ = JsonStringView(value);
      } else if (!value.IsNull()) {
        s = WrongType(key, value, "a string");
      }
    }
    if (!s.ok() && reply.defect_.ok()) reply.defect_ = std::move(s);
  }
  if (!has_msg_id) {
    return absl::InvalidArgumentError(
        "reply has no \"_msg_id\" field (is it an oslo RPC reply?)");
  }
  return reply;
}

}  // namespace amqp::oslo
