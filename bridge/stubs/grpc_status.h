// gRPC statuses at the edge of generated code: a generated endpoint method
// returns a grpc::Status, the runtime works with absl::Status. A status whose
// details hold a google.rpc.ErrorInfo is a service's own exception
// (reason = class, domain = module, metadata = constructor kwargs), the same
// shape the bridge gives gRPC clients for oslo failures, so a C++ endpoint
// can raise e.g. nova.exception.InstanceNotFound for nova's Python client.

#ifndef BRIDGE_STUBS_GRPC_STATUS_H_
#define BRIDGE_STUBS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace amqp::stubs {

// The same code and message as an absl::Status (the runtime's currency).
// With an ErrorInfo in the details, the status carries the oslo failure
// class = reason, module = domain, kwargs = metadata (oslo::FailureToStatus).
// Only this way: gRPC clients of the bridge get theirs from
// gateway::ErrorMapper.
absl::Status FromGrpcStatus(const grpc::Status& status);

// A status that reaches oslo callers as the exception `module`.`class_name`
// constructed with (message, **kwargs): details = google.rpc.Status with one
// ErrorInfo{reason = class_name, domain = module, metadata = kwargs}.
grpc::Status ServiceException(
    grpc::StatusCode code, const std::string& message, absl::string_view module,
    absl::string_view class_name,
    const std::vector<std::pair<std::string, std::string>>& kwargs = {});

}  // namespace amqp::stubs

#endif  // BRIDGE_STUBS_GRPC_STATUS_H_
