// Turns the bridge's errors into the gRPC statuses its clients see, per the
// design's "Errors" section. An oslo failure reply (an absl::Status carrying
// an oslo::Failure, see bridge/oslo/failure.h) gets the code for its exception
// class, from the operator's overrides or else the default table, and the
// exception message; everything else (broker unreachable, timeouts, bad
// request bytes) keeps its own code and message. Either way the status
// details hold a google.rpc.Status with one google.rpc.ErrorInfo, which
// gRPC clients decode to learn the exception class and module.
//
//   absl::StatusOr<ErrorMapper> mapper =
//       ErrorMapper::Create("QuotaExceeded=RESOURCE_EXHAUSTED,*Gone=NOT_FOUND",
//                           /*include_tracebacks=*/false);
//   if (!mapper.ok()) return mapper.status();  // names the bad entry
//   reactor->Finish(mapper->ToGrpc(call_status));

#ifndef BRIDGE_GATEWAY_ERROR_MAPPING_H_
#define BRIDGE_GATEWAY_ERROR_MAPPING_H_

#include <grpcpp/support/status.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/failure.h"

namespace amqp::gateway {

// ErrorInfo.domain for errors the bridge raises itself (not oslo failures).
inline constexpr char kBridgeErrorDomain[] = "grpc-amqp-bridge";

// Size limits, in bytes as gRPC sends the message in the grpc-message
// trailer: percent-encoded, so each byte outside printable ASCII (and '%')
// costs 3. gRPC clients reject trailers over 8 KiB by default (counting
// grpc-message as sent and the details decoded, which repeat the message),
// and then report RESOURCE_EXHAUSTED instead of the real error; these limits
// keep every mapped status well inside that.
//
// The exception message: longer ones are cut on a UTF-8 boundary and end in
// "... [truncated]".
inline constexpr size_t kMaxMessageWireBytes = 2048;
// The traceback, when tracebacks are on: its last lines (the innermost
// frames) are kept, after a note of how many were left out.
inline constexpr size_t kMaxTracebackWireBytes = 1024;

// Maps statuses onto gRPC statuses. Immutable once created, so one instance
// can serve every call from any thread.
class ErrorMapper {
 public:
  // `overrides`: the operator's comma-separated `PATTERN=CODE` entries, e.g.
  // "QuotaExceeded=RESOURCE_EXHAUSTED,*Gone=NOT_FOUND,MyError*=ABORTED".
  // PATTERN is an exception class name (letters, digits, '_'), optionally
  // with one '*' at its start (any class ending so) or end (any class
  // starting so); CODE is a gRPC code name other than OK, in any case.
  // Overrides are consulted before the default table: an exact name wins over
  // patterns, then the pattern with the longest fixed part, then the first
  // given. Blank entries and spaces around names are ignored. Returns
  // InvalidArgument naming the entry for anything else, including a pattern
  // given twice.
  // `include_tracebacks`: append the remote traceback to the message (off by
  // default in the design: tracebacks leak server internals).
  static absl::StatusOr<ErrorMapper> Create(absl::string_view overrides,
                                            bool include_tracebacks);

  // The gRPC status for `status`:
  // - OK: grpc::Status::OK.
  // - carrying an oslo failure: CodeForFailureClass(class); message = the
  //   exception message (then, with tracebacks on, a blank line and the
  //   traceback); details = google.rpc.Status{code, message,
  //   [ErrorInfo{reason = class, domain = module}]}.
  // - otherwise: the same code and message; details carry
  //   ErrorInfo{reason = the status's rpc::kErrorReasonPayloadUrl payload
  //   (e.g. "VERSION_CAPPED") if any, else the code name ("UNAVAILABLE"),
  //   domain = kBridgeErrorDomain}.
  grpc::Status ToGrpc(const absl::Status& status) const;

  // The code an oslo exception class maps to: the overrides, else the
  // design's table (oslo::StatusCodeForFailureClass). A "_Remote" suffix on
  // the class is ignored.
  absl::StatusCode CodeForFailureClass(absl::string_view class_name) const;
  // The same for a whole failure: the overrides, else the code a C++
  // endpoint returned (oslo::StatusCodeForFailure), else the table.
  absl::StatusCode CodeForFailure(const oslo::Failure& failure) const;

 private:
  struct Override {
    enum class Kind { kExact, kSuffix, kPrefix };
    Kind kind;
    std::string name;  // the class name, or the fixed part of a pattern
    absl::StatusCode code;
  };

  ErrorMapper(std::vector<Override> overrides, bool include_tracebacks)
      : overrides_(std::move(overrides)),
        include_tracebacks_(include_tracebacks) {}

  // The code of the first override matching `class_name`, if any.
  std::optional<absl::StatusCode> MatchOverride(
      absl::string_view class_name) const;

  std::vector<Override> overrides_;  // exact ones first, then by specificity
  bool include_tracebacks_;
};

// The canonical gRPC name of a code ("NOT_FOUND"); "UNKNOWN" for values
// outside the 17 codes.
std::string GrpcCodeName(absl::StatusCode code);

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_ERROR_MAPPING_H_
