#include "bridge/rpc/dispatcher.h"

#include <optional>

#include "bridge/oslo/failure.h"

namespace amqp::rpc {
namespace {

// oslo's default access policy refuses names starting with '_'.
bool IsPrivate(absl::string_view method) {
  return !method.empty() && method[0] == '_';
}

}  // namespace

absl::StatusOr<Endpoint*> Dispatcher::Find(const oslo::Request& request) const {
  if (!request.defect().ok()) return request.defect();
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
    if (!IsPrivate(method) && endpoint->HasMethod(method)) return endpoint;
  }
  return oslo::FailureToStatus(
      version_matched
          ? oslo::NoSuchMethodFailure(method)
          : oslo::UnsupportedVersionFailure(
                request.version_is_null() ? "None" : request.version(),
                method));
}

absl::StatusOr<std::string> Dispatcher::Dispatch(const oslo::Request& request,
                                                 const Arrival& arrival) const {
  absl::StatusOr<Endpoint*> endpoint = Find(request);
  if (!endpoint.ok()) return endpoint.status();
  CallContext context(request, arrival);
  return (*endpoint)->Invoke(request.method(), context, request.args());
}

}  // namespace amqp::rpc
