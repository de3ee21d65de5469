#include "bridge/reverse/status_failure.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bridge/oslo/json.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace amqp::reverse {
namespace {

// ["message"], as Python's exc.args for Exception(message).
std::string MessageArgs(const std::string& message) {
  std::string json;
  {
    oslo::PyJsonWriter writer(&json);
    writer.StartArray();
    writer.String(message);
    writer.EndArray();
  }
  return json;
}

// The ErrorInfo metadata as a JSON object: the exception's kwargs.
std::string MetadataKwargs(const google::rpc::ErrorInfo& info) {
  std::string json;
  {
    oslo::PyJsonWriter writer(&json);
    writer.StartObject();
    for (const auto& [key, value] : info.metadata()) {
      writer.Key(key);
      writer.String(value);
    }
    writer.EndObject();
  }
  return json;
}

}  // namespace

oslo::Failure FailureFromGrpcStatus(const grpc::Status& status) {
  oslo::Failure failure;
  failure.message = status.error_message();
  failure.args_json = MessageArgs(failure.message);
  google::rpc::Status details;
  if (!status.error_details().empty() &&
      details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (!any.Is<google::rpc::ErrorInfo>() || !any.UnpackTo(&info) ||
          info.reason().empty()) {
        continue;
      }
      failure.class_name = info.reason();
      failure.module =
          info.domain().empty() ? oslo::kGrpcFailureModule : info.domain();
      failure.kwargs_json = MetadataKwargs(info);
      break;
    }
  }
  if (failure.class_name.empty()) {
    failure.class_name = absl::StatusCodeToString(
        static_cast<absl::StatusCode>(status.error_code()));
    failure.module = oslo::kGrpcFailureModule;
  }
  failure.traceback = {absl::StrCat("gRPC backend: ", failure.class_name, ": ",
                                    failure.message, "\n")};
  return failure;
}

}  // namespace amqp::reverse
