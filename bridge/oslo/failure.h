// oslo failures: the exception a server sends back in a reply's "failure"
// field (serialize_remote_exception), their decoding on the client side, the
// dispatcher's own NoSuchMethod / UnsupportedVersion, and the mapping between
// failures and absl::Status codes from the design's error table.

#ifndef BRIDGE_OSLO_FAILURE_H_
#define BRIDGE_OSLO_FAILURE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace amqp::oslo {

// A remote exception as oslo serialises it.
struct Failure {
  std::string class_name;  // "class", e.g. "ValueError"
  std::string module;      // e.g. "builtins", "oslo_messaging.rpc.dispatcher"
  std::string message;     // str(exc)
  std::vector<std::string> traceback;  // "tb": lines, each ending in "\n"
  std::string args_json = "[]";        // exc.args, JSON text
  std::string kwargs_json = "{}";      // exc.kwargs or {}, JSON text
};

// Where FailureToStatus() keeps the whole failure inside a status: the
// payload holds EncodeFailure() text.
inline constexpr char kFailurePayloadUrl[] =
    "type.googleapis.com/amqp.oslo.Failure";

// Module that failures made up from a plain status (no oslo failure inside)
// claim to come from; Python clients turn them into RemoteError.
inline constexpr char kBridgeFailureModule[] = "grpc_amqp_bridge";

// Module of failures made from a gRPC backend's status in the reverse
// direction (docs/reverse.md): the class is the code's name, "NOT_FOUND".
inline constexpr char kGrpcFailureModule[] = "grpc";

// The JSON text oslo puts (as a string) in a reply's "failure" field, in
// oslo's key order: class, module, message, tb, args, kwargs. args_json and
// kwargs_json are spliced in unchanged. As serialize_remote_exception does, a
// "_Remote" suffix on both class and module is dropped.
std::string EncodeFailure(const Failure& failure);

// Parses a "failure" string. Class and module lose a "_Remote" suffix that
// both carry (what oslo's client adds to re-raised remote exceptions), so a
// failure relayed through Python keeps its original names. InvalidArgument
// when the text is not a JSON object, "class" is not a string, or "module",
// "message" or "tb" have the wrong type.
absl::StatusOr<Failure> DecodeFailure(absl::string_view failure_json);

// What oslo's dispatcher raises when an endpoint matched namespace and
// version but has no such (public) method.
Failure NoSuchMethodFailure(absl::string_view method);

// A Python builtin exception (module "builtins"), e.g. ValueError, as a
// Python endpoint raises for arguments it cannot take.
Failure BuiltinFailure(absl::string_view class_name, std::string message);

// What oslo's dispatcher raises when no endpoint matched the namespace and
// version. `version` is the requested one as Python prints it ("None" for an
// explicit null); `method` empty leaves out "Attempted method".
Failure UnsupportedVersionFailure(absl::string_view version,
                                  absl::string_view method = "");

// The status code for an exception class, per the design's table:
// NoSuchMethod, UnsupportedVersion -> UNIMPLEMENTED; MessagingTimeout ->
// DEADLINE_EXCEEDED; *NotFound -> NOT_FOUND; ValueError, TypeError, Invalid*
// -> INVALID_ARGUMENT; *Forbidden, *NotAuthorized -> PERMISSION_DENIED;
// *Exists, *Conflict -> ALREADY_EXISTS; *OverQuota, *QuotaError ->
// RESOURCE_EXHAUSTED; anything else UNKNOWN. A "_Remote" suffix is ignored.
absl::StatusCode StatusCodeForFailureClass(absl::string_view class_name);

// The code a failure stands for: when it was made from a C++ endpoint's
// status (module kBridgeFailureModule, see FailureFromStatusOrDefault) or a
// gRPC backend's (module kGrpcFailureModule, class "NOT_FOUND"), that
// status's code again, so UNIMPLEMENTED or UNAUTHENTICATED survive the trip;
// otherwise StatusCodeForFailureClass(class).
absl::StatusCode StatusCodeForFailure(const Failure& failure);

// A status with the failure's code (StatusCodeForFailure) and message that
// carries the failure itself (payload kFailurePayloadUrl).
absl::Status FailureToStatus(const Failure& failure);

// The failure a status carries, or nullopt.
std::optional<Failure> FailureFromStatus(const absl::Status& status);

// The failure a status carries; else one made from the status, so that a
// handler's error reaches oslo clients as an exception: module
// kBridgeFailureModule, a class named after the code that maps back to the
// same code where the table allows (InvalidArgument, NotFound, AlreadyExists,
// Forbidden, NotAuthorized, OverQuota, MessagingTimeout; otherwise the code
// in CamelCase, e.g. "Internal"), message = the status message, args =
// [message], a one-line tb.
Failure FailureFromStatusOrDefault(const absl::Status& status);

// An exception of a service's own, `module`.`class_name` (e.g.
// nova.exception.InstanceNotFound), constructed as (message, **kwargs):
// args = [message], kwargs = `kwargs_json` (a JSON object), a one-line tb.
Failure ServiceFailure(absl::string_view module, absl::string_view class_name,
                       std::string message, std::string kwargs_json = "{}");

}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_FAILURE_H_
