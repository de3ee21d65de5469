// A gRPC backend's status as the oslo failure its Python callers raise
// (docs/reverse.md): a google.rpc.ErrorInfo in the status details names the
// exception (class = reason, module = domain, kwargs = its metadata), so a
// backend can make nova's client raise nova.exception.InstanceNotFound;
// otherwise class = the code's name ("NOT_FOUND") and module "grpc", which
// Python clients see as oslo_messaging.RemoteError.

#ifndef BRIDGE_REVERSE_STATUS_FAILURE_H_
#define BRIDGE_REVERSE_STATUS_FAILURE_H_

#include <grpcpp/support/status.h>

#include "bridge/oslo/failure.h"

namespace amqp::reverse {

// `status` must not be OK. Without ErrorInfo the module is
// oslo::kGrpcFailureModule.
oslo::Failure FailureFromGrpcStatus(const grpc::Status& status);

}  // namespace amqp::reverse

#endif  // BRIDGE_REVERSE_STATUS_FAILURE_H_
