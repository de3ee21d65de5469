#include "bridge/stubs/grpc_status.h"

#include <algorithm>
#include <map>

#include "bridge/oslo/failure.h"
#include "bridge/oslo/json.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace amqp::stubs {
namespace {

constexpr absl::string_view kErrorInfoType = "google.rpc.ErrorInfo";

// The ErrorInfo in a status's details, if any.
bool FindErrorInfo(const grpc::Status& status, google::rpc::ErrorInfo* info) {
  google::rpc::Status details;
  if (status.error_details().empty() ||
      !details.ParseFromString(status.error_details())) {
    return false;
  }
  for (const google::protobuf::Any& any : details.details()) {
    if (any.type_url().size() > kErrorInfoType.size() &&
        absl::string_view(any.type_url())
                .substr(any.type_url().size() - kErrorInfoType.size()) ==
            kErrorInfoType &&
        any.UnpackTo(info)) {
      return !info->reason().empty();
    }
  }
  return false;
}

// The metadata as a JSON object, keys sorted (a proto map has no order).
std::string KwargsJson(const google::rpc::ErrorInfo& info) {
  const std::map<std::string, std::string> sorted(info.metadata().begin(),
                                                  info.metadata().end());
  std::string out = "{";
  for (const auto& [key, value] : sorted) {
    if (out.size() > 1) out += ", ";
    oslo::AppendPyJsonString(key, &out);
    out += ": ";
    oslo::AppendPyJsonString(value, &out);
  }
  out += "}";
  return out;
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (google::rpc::ErrorInfo info; FindErrorInfo(status, &info)) {
    return oslo::FailureToStatus(
        oslo::ServiceFailure(info.domain(), info.reason(),
                             status.error_message(), KwargsJson(info)));
  }
  // gRPC and absl share the canonical code numbering.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

grpc::Status ServiceException(
    grpc::StatusCode code, const std::string& message, absl::string_view module,
    absl::string_view class_name,
    const std::vector<std::pair<std::string, std::string>>& kwargs) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(class_name));
  info.set_domain(std::string(module));
  for (const auto& [key, value] : kwargs)
    (*info.mutable_metadata())[key] = value;
  google::rpc::Status details;
  details.set_code(code);
  details.set_message(message);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, message, details.SerializeAsString());
}

}  // namespace amqp::stubs
