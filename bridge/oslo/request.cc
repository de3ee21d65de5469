#include "bridge/oslo/request.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/context.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/ids.h"
#include "bridge/oslo/json.h"

namespace amqp::oslo {
namespace {

const rapidjson::Value& EmptyObject() {
  static const rapidjson::Value* const kEmpty =
      new rapidjson::Value(rapidjson::kObjectType);
  return *kEmpty;
}

absl::Status WrongType(absl::string_view field, const rapidjson::Value& value,
                       absl::string_view want) {
  return WrongFieldType("request", field, value, want);
}

// A string field that may be absent or null (then `*out` is left alone).
absl::Status OptionalString(absl::string_view field,
                            const rapidjson::Value& value,
                            absl::string_view* out) {
  if (value.IsNull()) return absl::OkStatus();
  if (!value.IsString()) return WrongType(field, value, "a string");
  *out = JsonStringView(value);
  return absl::OkStatus();
}

void WriteTimeout(std::optional<double> timeout, PyJsonWriter& writer) {
  if (!timeout.has_value()) {
    writer.Null();
  } else if (std::isfinite(*timeout) && *timeout == std::trunc(*timeout) &&
             std::fabs(*timeout) < 9007199254740992.0) {
    writer.Int64(static_cast<int64_t>(*timeout));
  } else {
    writer.Double(*timeout);
  }
}

}  // namespace

std::string EncodeRequest(const OutgoingRequest& request) {
  std::string message;
  message.reserve(256 + request.args_json.size());
  PyJsonWriter writer(&message);
  writer.StartObject();
  writer.Key("method");
  writer.String(request.method);
  writer.Key("args");
  writer.RawValue(request.args_json);
  if (request.namespace_.has_value()) {
    writer.Key("namespace");
    writer.String(*request.namespace_);
  }
  if (request.version.has_value()) {
    writer.Key("version");
    writer.String(*request.version);
  }
  if (!request.msg_id.empty()) {
    writer.Key("_msg_id");
    writer.String(request.msg_id);
    writer.Key("_reply_q");
    writer.String(request.reply_q);
    writer.Key("_timeout");
    WriteTimeout(request.call_monitor_timeout, writer);
  }
  writer.Key("_unique_id");
  if (request.unique_id.empty()) {
    writer.String(NewUuid4Hex());
  } else {
    writer.String(request.unique_id);
  }
  WritePackedContext(request.context, &writer);
  writer.EndObject();
  std::string body;
  body.reserve(message.size() + message.size() / 8 + 64);
  AppendEnvelope(message, &body);
  return body;
}

absl::StatusOr<Request> Request::Decode(std::string body) {
  absl::StatusOr<ParsedMessage> parsed = ParsedMessage::Parse(std::move(body));
  if (!parsed.ok()) return parsed.status();
  Request request(*std::move(parsed));
  request.args_ = &EmptyObject();
  // Found in any order; answered in the order oslo's dispatcher meets them.
  const rapidjson::Value* method = nullptr;
  const rapidjson::Value* args = nullptr;
  const rapidjson::Value* bad_version = nullptr;
  const rapidjson::Value* bad_namespace = nullptr;
  rapidjson::MemoryPoolAllocator<>& allocator = request.parsed_.allocator();
  for (const auto& member : request.parsed_.message().GetObject()) {
    const absl::string_view key = JsonStringView(member.name);
    const rapidjson::Value& value = member.value;
    absl::Status s;
    if (UnpackContextMember(key, value, &request.context_, allocator)) continue;
    if (key == "method") {
      method = &value;
    } else if (key == "args") {
      args = &value;
    } else if (key == "namespace") {
      bad_namespace = nullptr;
      if (value.IsNull()) {
        request.namespace_value_.reset();
      } else if (value.IsString()) {
        request.namespace_value_ = JsonStringView(value);
      } else {
        bad_namespace = &value;
      }
    } else if (key == "version") {
      bad_version = nullptr;
      if (value.IsNull()) {
        request.version_ = "";
        request.version_is_null_ = true;
      } else if (value.IsString()) {
        request.version_ = JsonStringView(value);
        request.version_is_null_ = false;
      } else {
        bad_version = &value;
      }
    } else if (key == "_msg_id") {
      s = OptionalString(key, value, &request.msg_id_);
    } else if (key == "_reply_q") {
      s = OptionalString(key, value, &request.reply_q_);
    } else if (key == "_unique_id") {
      if (value.IsString()) request.unique_id_ = JsonStringView(value);
    } else if (key == "_timeout") {
      if (value.IsNumber()) request.timeout_ = value.GetDouble();
    }
    if (!s.ok()) return s;
  }
  if (method != nullptr && method->IsString()) {
    request.method_ = JsonStringView(*method);
  }
  if (args != nullptr && args->IsObject()) request.args_ = args;

  // The builtin exception `class_name` naming a field of the wrong type.
  auto wrong_type = [](absl::string_view class_name, absl::string_view field,
                       const rapidjson::Value& value, absl::string_view want) {
    return BuiltinFailure(class_name,
                          std::string(WrongType(field, value, want).message()));
  };
  std::optional<Failure> defect;
  if (request.parsed_.pruned()) {
    defect = BuiltinFailure(
        "ValueError",
        std::string(ParsedMessage::TooDeepError("the request").message()));
  } else if (bad_namespace != nullptr) {
    defect = UnsupportedVersionFailure(request.version_, request.method_);
  } else if (bad_version != nullptr) {
    defect = wrong_type("AttributeError", "version", *bad_version, "a string");
  } else if (method == nullptr) {
    defect = BuiltinFailure("TypeError", "request has no \"method\" field");
  } else if (!method->IsString()) {
    defect = wrong_type("TypeError", "method", *method, "a string");
  } else if (args != nullptr && !args->IsObject()) {
    defect = wrong_type("AttributeError", "args", *args, "an object");
  }
  if (defect.has_value()) request.defect_ = FailureToStatus(*defect);
  return request;
}

}  // namespace amqp::oslo
