// oslo RPC versions on the client side and the server side: oslo's
// version_is_compatible, and version caps (RPCClient's version_cap and
// can_send_version; nova.conf's [upgrade_levels]) that pin what a client
// sends to a topic during a rolling upgrade.
//
//   VersionCaps caps;
//   if (absl::Status s = caps.Set("compute", "5.0"); !s.ok()) return s;
//   caps.CanSendVersion("compute", "5.1");  // false
//   caps.Choose("compute", "reboot_instance", "6.0", "5.0");  // "5.0"

#ifndef BRIDGE_RPC_VERSION_H_
#define BRIDGE_RPC_VERSION_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace amqp::rpc {

// oslo's version_is_compatible(endpoint_version, requested_version): same
// major, requested minor <= endpoint minor, and for equal minors requested
// revision <= endpoint revision. Malformed versions are incompatible.
bool VersionIsCompatible(absl::string_view endpoint_version,
                         absl::string_view requested_version);

// The google.rpc.ErrorInfo reason of a call refused by a cap.
inline constexpr char kVersionCappedReason[] = "VERSION_CAPPED";
// Where a status names its ErrorInfo reason when its code name would say too
// little (the payload is the reason's text); the bridge sends it to gRPC
// clients.
inline constexpr char kErrorReasonPayloadUrl[] =
    "type.googleapis.com/amqp.ErrorReason";

// The highest version a client may send, per topic. Immutable once built, so
// one instance can serve every call from any thread.
class VersionCaps {
 public:
  // Caps `topic` at `cap`, "major.minor[.revision]" in numbers. An empty cap
  // removes the topic's cap (oslo's unset option). INVALID_ARGUMENT for an
  // empty topic, or a cap that is no version number; a release alias
  // ("zed", "auto") is refused, naming it as one: aliases live in each
  // service's Python code.
  absl::Status Set(absl::string_view topic, absl::string_view cap);
  // "topic=X.Y[,topic=X.Y...]", the --version_cap flag's form; errors name
  // the entry.
  absl::Status SetFromList(absl::string_view list);

  // The cap of `topic`, or nullopt.
  std::optional<std::string> CapFor(absl::string_view topic) const;
  // oslo's can_send_version: true when `topic` has no cap, or `version` is
  // compatible with it. A method without a version (empty) cannot be sent
  // to a capped topic, as in oslo.
  bool CanSendVersion(absl::string_view topic, absl::string_view version) const;
  // The version a method sends to `topic`: `version` if it may be sent,
  // else `fallback` (empty: none) if that may be, else FAILED_PRECONDITION
  // naming the method, the version it needs and the cap, with the payload
  // kErrorReasonPayloadUrl = kVersionCappedReason.
  absl::StatusOr<std::string> Choose(absl::string_view topic,
                                     absl::string_view method,
                                     absl::string_view version,
                                     absl::string_view fallback) const;

  bool empty() const { return caps_.empty(); }
  // "compute=5.0,conductor=6.0", or "(none)".
  std::string Describe() const;

 private:
  std::map<std::string, std::string, std::less<>> caps_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_VERSION_H_
