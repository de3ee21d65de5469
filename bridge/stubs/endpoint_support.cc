#include "bridge/stubs/endpoint_support.h"

#include "absl/strings/str_cat.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"

namespace amqp::stubs {

absl::StatusOr<std::string> InvokeErased(
    const MethodInfo& info, const rapidjson::Value& args,
    google::protobuf::Message* request, google::protobuf::Message* response,
    const std::function<grpc::Status()>& run) {
  if (absl::Status s = transcode::ReadArgs(args, request); !s.ok()) {
    // A ValueError, as a Python endpoint would raise (INVALID_ARGUMENT).
    return oslo::FailureToStatus(oslo::BuiltinFailure(
        "ValueError", absl::StrCat("bad arguments for '", info.oslo_name,
                                   "': ", s.message())));
  }
  if (grpc::Status status = run(); !status.ok()) {
    return FromGrpcStatus(status);
  }
  std::string result;
  oslo::PyJsonWriter writer(&result);
  if (absl::Status s =
          transcode::WriteResult(*response, info.result_field, &writer);
      !s.ok()) {
    return absl::InternalError(absl::StrCat(
        "cannot encode the result of '", info.oslo_name, "': ", s.message()));
  }
  return result;
}

}  // namespace amqp::stubs
