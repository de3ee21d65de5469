#include "bridge/oslo/failure.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "bridge/oslo/json.h"

namespace amqp::oslo {
namespace {

constexpr absl::string_view kRemoteSuffix = "_Remote";
constexpr char kDispatcherModule[] = "oslo_messaging.rpc.dispatcher";

// serialize_remote_exception's rule: only when both names carry the suffix.
void StripRemoteSuffix(std::string* class_name, std::string* module) {
  if (absl::EndsWith(*class_name, kRemoteSuffix) &&
      absl::EndsWith(*module, kRemoteSuffix)) {
    class_name->resize(class_name->size() - kRemoteSuffix.size());
    module->resize(module->size() - kRemoteSuffix.size());
  }
}

std::string JsonList1(absl::string_view item) {
  std::string out = "[";
  AppendPyJsonString(item, &out);
  out.push_back(']');
  return out;
}

// The last line traceback.format_exception() writes, so Python clients,
// which append the tb to the message, see the usual "module.Class: msg".
std::string TracebackTail(absl::string_view module, absl::string_view cls,
                          absl::string_view message) {
  return absl::StrCat(module == "builtins" ? "" : absl::StrCat(module, "."),
                      cls, message.empty() ? "" : ": ", message, "\n");
}

// An exception whose only constructor argument is its message, with no
// kwargs: what the dispatcher's errors and made-up failures look like.
Failure SimpleFailure(absl::string_view module, absl::string_view cls,
                      std::string message) {
  Failure f;
  f.class_name = std::string(cls);
  f.module = std::string(module);
  f.traceback.push_back(TracebackTail(module, cls, message));
  f.args_json = JsonList1(message);
  f.message = std::move(message);
  return f;
}

absl::Status WrongType(absl::string_view field, const rapidjson::Value& value,
                       absl::string_view want) {
  return WrongFieldType("failure", field, value, want);
}

// A class name per status code that StatusCodeForFailureClass maps back to
// the same code when the design's table has a rule for it.
absl::string_view ClassForCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case absl::StatusCode::kNotFound:
      return "NotFound";
    case absl::StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case absl::StatusCode::kPermissionDenied:
      return "Forbidden";
    case absl::StatusCode::kUnauthenticated:
      return "NotAuthorized";
    case absl::StatusCode::kResourceExhausted:
      return "OverQuota";
    case absl::StatusCode::kDeadlineExceeded:
      return "MessagingTimeout";
    case absl::StatusCode::kCancelled:
      return "Cancelled";
    case absl::StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case absl::StatusCode::kAborted:
      return "Aborted";
    case absl::StatusCode::kOutOfRange:
      return "OutOfRange";
    case absl::StatusCode::kUnimplemented:
      return "Unimplemented";
    case absl::StatusCode::kInternal:
      return "Internal";
    case absl::StatusCode::kUnavailable:
      return "Unavailable";
    case absl::StatusCode::kDataLoss:
      return "DataLoss";
    default:
      return "Unknown";
  }
}

}  // namespace

std::string EncodeFailure(const Failure& failure) {
  std::string class_name = failure.class_name;
  std::string module = failure.module;
  StripRemoteSuffix(&class_name, &module);
  std::string out;
  PyJsonWriter writer(&out);
  writer.StartObject();
  writer.Key("class");
  writer.String(class_name);
  writer.Key("module");
  writer.String(module);
  writer.Key("message");
  writer.String(failure.message);
  writer.Key("tb");
  writer.StartArray();
  for (const std::string& line : failure.traceback) writer.String(line);
  writer.EndArray();
  writer.Key("args");
  writer.RawValue(failure.args_json.empty() ? "[]" : failure.args_json);
  writer.Key("kwargs");
  writer.RawValue(failure.kwargs_json.empty() ? "{}" : failure.kwargs_json);
  writer.EndObject();
  return out;
}

absl::StatusOr<Failure> DecodeFailure(absl::string_view failure_json) {
  JsonDocument doc = NewJsonDocument();
  if (absl::Status s = ParseJson(failure_json, &doc); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("failure is not JSON: ", s.message()));
  }
  if (!doc.IsObject()) {
    return absl::InvalidArgumentError(
        absl::StrCat("failure is ", JsonTypeName(doc), ", not a JSON object"));
  }
  Failure failure;
  bool has_class = false;
  for (const auto& member : doc.GetObject()) {
    const absl::string_view key = JsonStringView(member.name);
    const rapidjson::Value& value = member.value;
    if (key == "class") {
      if (!value.IsString()) return WrongType(key, value, "a string");
      failure.class_name = std::string(JsonStringView(value));
      has_class = true;
    } else if (key == "module") {
      if (value.IsString()) {
        failure.module = std::string(JsonStringView(value));
      } else if (!value.IsNull()) {
        return WrongType(key, value, "a string");
      }
    } else if (key == "message") {
      if (value.IsString()) {
        failure.message = std::string(JsonStringView(value));
      } else if (!value.IsNull()) {
        return WrongType(key, value, "a string");
      }
    } else if (key == "tb") {
      failure.traceback.clear();
      if (value.IsString()) {  // older peers sent one string
        failure.traceback.emplace_back(JsonStringView(value));
      } else if (value.IsArray()) {
        for (const rapidjson::Value& line : value.GetArray()) {
          if (!line.IsString()) {
            return WrongType("tb[]", line, "a string");
          }
          failure.traceback.emplace_back(JsonStringView(line));
        }
      } else if (!value.IsNull()) {
        return WrongType(key, value, "a list of strings");
      }
    } else if (key == "args") {
      failure.args_json = ToPyJson(value);
    } else if (key == "kwargs") {
      failure.kwargs_json = ToPyJson(value);
    }
  }
  if (!has_class) {
    return absl::InvalidArgumentError("failure has no \"class\" field");
  }
  StripRemoteSuffix(&failure.class_name, &failure.module);
  return failure;
}

Failure NoSuchMethodFailure(absl::string_view method) {
  return SimpleFailure(
      kDispatcherModule, "NoSuchMethod",
      absl::StrCat("Endpoint does not support RPC method ", method));
}

Failure BuiltinFailure(absl::string_view class_name, std::string message) {
  return SimpleFailure("builtins", class_name, std::move(message));
}

Failure UnsupportedVersionFailure(absl::string_view version,
                                  absl::string_view method) {
  std::string message =
      absl::StrCat("Endpoint does not support RPC version ", version);
  if (!method.empty())
    absl::StrAppend(&message, ". Attempted method: ", method);
  return SimpleFailure(kDispatcherModule, "UnsupportedVersion",
                       std::move(message));
}

absl::StatusCode StatusCodeForFailureClass(absl::string_view class_name) {
  absl::ConsumeSuffix(&class_name, kRemoteSuffix);
  const auto ends = [&](absl::string_view s) {
    return absl::EndsWith(class_name, s);
  };
  if (class_name == "NoSuchMethod" || class_name == "UnsupportedVersion") {
    return absl::StatusCode::kUnimplemented;
  }
  if (class_name == "MessagingTimeout") {
    return absl::StatusCode::kDeadlineExceeded;
  }
  if (ends("NotFound")) return absl::StatusCode::kNotFound;
  if (class_name == "ValueError" || class_name == "TypeError" ||
      absl::StartsWith(class_name, "Invalid")) {
    return absl::StatusCode::kInvalidArgument;
  }
  if (ends("Forbidden") || ends("NotAuthorized")) {
    return absl::StatusCode::kPermissionDenied;
  }
  if (ends("Exists") || ends("Conflict")) {
    return absl::StatusCode::kAlreadyExists;
  }
  if (ends("OverQuota") || ends("QuotaError")) {
    return absl::StatusCode::kResourceExhausted;
  }
  return absl::StatusCode::kUnknown;
}

absl::StatusCode StatusCodeForFailure(const Failure& failure) {
  const bool bridge = failure.module == kBridgeFailureModule;
  if (bridge || failure.module == kGrpcFailureModule) {
    for (int code = 1;
         code <= static_cast<int>(absl::StatusCode::kUnauthenticated); ++code) {
      const auto status_code = static_cast<absl::StatusCode>(code);
      const std::string name = bridge ? std::string(ClassForCode(status_code))
                                      : absl::StatusCodeToString(status_code);
      if (name == failure.class_name) {
        return status_code;
      }
    }
  }
  return StatusCodeForFailureClass(failure.class_name);
}

absl::Status FailureToStatus(const Failure& failure) {
  absl::Status status(StatusCodeForFailure(failure), failure.message);
  status.SetPayload(kFailurePayloadUrl, absl::Cord(EncodeFailure(failure)));
  return status;
}

std::optional<Failure> FailureFromStatus(const absl::Status& status) {
  // absl::optional: Debian's Abseil is not built on std::optional.
  auto payload = status.GetPayload(kFailurePayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  absl::StatusOr<Failure> failure = DecodeFailure(std::string(*payload));
  if (!failure.ok()) return std::nullopt;
  return *std::move(failure);
}

Failure FailureFromStatusOrDefault(const absl::Status& status) {
  if (std::optional<Failure> carried = FailureFromStatus(status)) {
    return *std::move(carried);
  }
  std::string message(status.message());
  if (message.empty()) message = absl::StatusCodeToString(status.code());
  return SimpleFailure(kBridgeFailureModule, ClassForCode(status.code()),
                       std::move(message));
}

Failure ServiceFailure(absl::string_view module, absl::string_view class_name,
                       std::string message, std::string kwargs_json) {
  Failure failure = SimpleFailure(module, class_name, std::move(message));
  failure.kwargs_json = std::move(kwargs_json);
  return failure;
}

}  // namespace amqp::oslo
