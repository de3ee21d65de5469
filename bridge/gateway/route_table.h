// The bridge's routes, built once at start-up from descriptor sets and
// immutable afterwards (so calls read it without a lock): for each gRPC method
// of a service with (amqp.service) options, where it goes on AMQP and the
// prototypes of its request and response messages.
//
//   absl::StatusOr<std::unique_ptr<RouteTable>> routes =
//       RouteTable::Load({"api.pb"}, "openstack");
//   const Route* route = (*routes)->Find("/pkg.Compute/GetInstance");

#ifndef BRIDGE_GATEWAY_ROUTE_TABLE_H_
#define BRIDGE_GATEWAY_ROUTE_TABLE_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/rpc/target.h"
#include "bridge/rpc/version.h"
#include "bridge/schema/service_map.h"

namespace amqp::gateway {

struct Route {
  std::string path;  // "/package.Service/Method", as gRPC names it
  schema::MethodMap method;
  // Exchange, topic, version and namespace of every request.
  rpc::Target target;
  const google::protobuf::Message* request_prototype = nullptr;
  const google::protobuf::Message* response_prototype = nullptr;
  // The request type has proto2 `required` fields somewhere inside: only
  // then is a parsed request checked for them (a walk of every field).
  bool request_has_required_fields = false;
};

// A method of a mapped service that the bridge answers UNIMPLEMENTED.
struct UnsupportedRoute {
  std::string path;
  std::string reason;
};

class RouteTable {
 public:
  // Reads FileDescriptorSet files (protoc --include_imports
  // --descriptor_set_out) into one pool and maps every service that carries
  // (amqp.service) options; `control_exchange` is the exchange of services
  // that name none. Sets made apart may share files (amqp/options.proto,
  // the well-known types): such a file is used once if its definitions agree
  // (source info aside). INVALID_ARGUMENT naming the file for an unreadable
  // set, a missing import, conflicting definitions, or a method oslo cannot
  // carry; NOT_FOUND when no service has (amqp.service) options.
  static absl::StatusOr<std::unique_ptr<RouteTable>> Load(
      const std::vector<std::string>& descriptor_set_paths,
      const std::string& control_exchange);

  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // The route of a gRPC method path, or null.
  const Route* Find(absl::string_view path) const;
  // Why a known method is not served, or null.
  const UnsupportedRoute* FindUnsupported(absl::string_view path) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }
  const std::vector<UnsupportedRoute>& unsupported() const {
    return unsupported_;
  }
  // Full names of the mapped services, for reflection and health.
  const std::vector<std::string>& service_names() const {
    return service_names_;
  }
  const google::protobuf::DescriptorPool& pool() const { return pool_; }

 private:
  RouteTable() = default;
  absl::Status AddFile(const google::protobuf::FileDescriptor& file,
                       const std::string& control_exchange);

  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_{&pool_};
  std::vector<std::unique_ptr<Route>> routes_;
  std::vector<UnsupportedRoute> unsupported_;
  std::vector<std::string> service_names_;
  absl::flat_hash_map<std::string, const Route*> by_path_;
};

// One start-up log line for a route: "/p.S/M -> call get_instance on
// exchange 'openstack' key 'compute' version 5.0", and where `caps` cap the
// route's topic what that means: ", capped at 5.0: sends 5.0" (the version
// or its fallback) or ", capped at 4.0: refused (FAILED_PRECONDITION)".
std::string DescribeRoute(const Route& route,
                          const rpc::VersionCaps& caps = rpc::VersionCaps());

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_ROUTE_TABLE_H_
