// Which gRPC backend serves which service in the reverse direction (oslo
// callers -> the bridge -> a gRPC service): "--backend=<package.Service>=
// <host:port>" entries, also the `[backends]` INI section's
// "<package.Service> = <host:port>" lines.

#ifndef BRIDGE_REVERSE_BACKEND_SPEC_H_
#define BRIDGE_REVERSE_BACKEND_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace amqp::reverse {

struct BackendSpec {
  std::string service;  // full name, "examples.compute.Compute"
  std::string address;  // gRPC target, "127.0.0.1:50061"
};

// Parses "<package.Service>=<host:port>". INVALID_ARGUMENT naming the entry
// when either side is empty or contains blanks.
absl::StatusOr<BackendSpec> ParseBackendSpec(absl::string_view entry);

// Parses every entry; a service named twice is INVALID_ARGUMENT (one
// backend per service: oslo's servers of one topic are interchangeable).
absl::StatusOr<std::vector<BackendSpec>> ParseBackendSpecs(
    const std::vector<std::string>& entries);

}  // namespace amqp::reverse

#endif  // BRIDGE_REVERSE_BACKEND_SPEC_H_
