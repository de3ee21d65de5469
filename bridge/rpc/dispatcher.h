// Picks the endpoint and method for a request with oslo's rules
// (rpc/dispatcher.py): endpoints in order; the first whose namespace and
// version match and that has the method runs it. Otherwise NoSuchMethod if
// some endpoint matched namespace and version, else UnsupportedVersion.

#ifndef BRIDGE_RPC_DISPATCHER_H_
#define BRIDGE_RPC_DISPATCHER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/endpoint.h"
#include "bridge/rpc/version.h"

namespace amqp::rpc {

class Dispatcher {
 public:
  // Endpoints are not owned and must outlive the dispatcher.
  void AddEndpoint(Endpoint* endpoint) { endpoints_.push_back(endpoint); }

  // The endpoint that runs `request`, or a status carrying the oslo failure
  // (the request's defect(), NoSuchMethod, UnsupportedVersion).
  absl::StatusOr<Endpoint*> Find(const oslo::Request& request) const;

  // Finds the endpoint and waits for the method's result as JSON text, or a
  // status carrying the oslo failure (Find's, or what the method returned).
  // `arrival` says how it came (queue, expiration), for the method.
  absl::StatusOr<std::string> Dispatch(const oslo::Request& request,
                                       const Arrival& arrival = {}) const;

 private:
  std::vector<Endpoint*> endpoints_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_DISPATCHER_H_
