#include "bridge/rpc/dispatcher.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bridge/oslo/failure.h"

namespace amqp::rpc {
namespace {

struct Version {
  int major = 0, minor = 0, revision = 0;
};

std::optional<Version> ParseVersion(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  Version v;
  if (!absl::SimpleAtoi(parts[0], &v.major) ||
      !absl::SimpleAtoi(parts[1], &v.minor) ||
      (parts.size() == 3 && !absl::SimpleAtoi(parts[2], &v.revision))) {
    return std::nullopt;
  }
  return v;
}

// oslo's default access policy refuses names starting with '_'.
bool IsPrivate(absl::string_view method) {
  return !method.empty() && method[0] == '_';
}

}  // namespace

bool VersionIsCompatible(absl::string_view endpoint_version,
                         absl::string_view requested_version) {
  std::optional<Version> have = ParseVersion(endpoint_version);
  std::optional<Version> want = ParseVersion(requested_version);
  if (!have || !want) return false;
  if (have->major != want->major) return false;
  if (want->minor > have->minor) return false;
  return want->minor != have->minor || want->revision <= have->revision;
}

absl::StatusOr<std::string> Dispatcher::Dispatch(
    const oslo::Request& request) const {
  const absl::string_view method = request.method();
  const std::optional<absl::string_view> ns = request.namespace_();
  bool version_matched = false;
  for (Endpoint* endpoint : endpoints_) {
    const std::optional<std::string> endpoint_ns = endpoint->target_namespace();
    const bool ns_matches = ns.has_value()
                                ? endpoint_ns.has_value() && *endpoint_ns == *ns
                                : !endpoint_ns.has_value();
    if (!ns_matches || request.version_is_null() ||
        !VersionIsCompatible(endpoint->target_version(), request.version())) {
      continue;
    }
    version_matched = true;
    if (!IsPrivate(method) && endpoint->HasMethod(method)) {
      CallContext context(request);
      return endpoint->Invoke(method, context, request.args());
    }
  }
  return oslo::FailureToStatus(
      version_matched
          ? oslo::NoSuchMethodFailure(method)
          : oslo::UnsupportedVersionFailure(
                request.version_is_null() ? "None" : request.version(),
                method));
}

}  // namespace amqp::rpc
