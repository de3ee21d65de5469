#include "bridge/gateway/route_table.h"

#include <google/protobuf/descriptor.pb.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"

namespace amqp::gateway {
namespace {

absl::StatusOr<google::protobuf::FileDescriptorSet> ReadDescriptorSet(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read descriptor set '", path, "'"));
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromString(bytes.str())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", path,
        "' is not a FileDescriptorSet (make it with protoc --include_imports "
        "--descriptor_set_out)"));
  }
  return set;
}

std::string MethodPath(const google::protobuf::MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

}  // namespace

absl::StatusOr<std::unique_ptr<RouteTable>> RouteTable::Load(
    const std::vector<std::string>& descriptor_set_paths,
    const std::string& control_exchange) {
  std::unique_ptr<RouteTable> table(new RouteTable());
  std::vector<const google::protobuf::FileDescriptor*> files;
  for (const std::string& path : descriptor_set_paths) {
    absl::StatusOr<google::protobuf::FileDescriptorSet> set =
        ReadDescriptorSet(path);
    if (!set.ok()) return set.status();
    // --include_imports lists dependencies first; the same file in several
    // sets is built once (BuildFile returns the identical existing file).
    for (const google::protobuf::FileDescriptorProto& proto : set->file()) {
      const google::protobuf::FileDescriptor* file =
          table->pool_.BuildFile(proto);
      if (file == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "'", path, "': cannot use ", proto.name(),
            ": it conflicts with a file of the same name in another "
            "descriptor set, or its imports are missing (use protoc "
            "--include_imports)"));
      }
      files.push_back(file);
    }
  }
  for (const google::protobuf::FileDescriptor* file : files) {
    if (absl::Status s = table->AddFile(*file, control_exchange); !s.ok()) {
      return s;
    }
  }
  if (table->routes_.empty() && table->unsupported_.empty()) {
    return absl::NotFoundError(
        "no service in the descriptor sets carries (amqp.service) options; "
        "see proto/amqp/options.proto");
  }
  return table;
}

absl::Status RouteTable::AddFile(const google::protobuf::FileDescriptor& file,
                                 const std::string& control_exchange) {
  for (int i = 0; i < file.service_count(); ++i) {
    const google::protobuf::ServiceDescriptor& service = *file.service(i);
    if (!schema::HasAmqpOptions(service)) continue;
    // The same file given in two sets maps once.
    if (absl::c_linear_search(service_names_, service.full_name())) continue;
    absl::StatusOr<schema::ServiceMap> map =
        schema::MapService(service, {.skip_streaming_requests = true});
    if (!map.ok()) return map.status();
    service_names_.push_back(service.full_name());
    for (const schema::UnsupportedMethod& method : map->unsupported) {
      unsupported_.push_back({MethodPath(*method.method), method.reason});
    }
    for (schema::MethodMap& method : map->methods) {
      auto route = std::make_unique<Route>();
      route->path = MethodPath(*method.method);
      route->target.exchange =
          map->exchange.empty() ? control_exchange : map->exchange;
      route->target.topic = map->topic;
      route->target.version = method.version;
      route->target.namespace_ = map->namespace_;
      route->request_prototype =
          factory_.GetPrototype(method.method->input_type());
      route->response_prototype =
          factory_.GetPrototype(method.method->output_type());
      route->method = std::move(method);
      by_path_[route->path] = route.get();
      routes_.push_back(std::move(route));
    }
  }
  return absl::OkStatus();
}

const Route* RouteTable::Find(absl::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : it->second;
}

const UnsupportedRoute* RouteTable::FindUnsupported(
    absl::string_view path) const {
  for (const UnsupportedRoute& route : unsupported_) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

std::string DescribeRoute(const Route& route) {
  const rpc::Target& target = route.target;
  std::string where;
  switch (route.method.kind) {
    case schema::MethodKind::kCall:
    case schema::MethodKind::kCast:
      where = absl::StrCat("exchange '", target.exchange, "' key '",
                           target.topic, "'");
      if (route.method.server_field != nullptr) {
        absl::StrAppend(&where, " (or '", target.topic, ".<",
                        route.method.server_field->name(), ">')");
      }
      break;
    case schema::MethodKind::kFanoutCast:
    case schema::MethodKind::kGather:
    case schema::MethodKind::kSubscribe:
      where = absl::StrCat("exchange '", target.FanoutExchange(), "'");
      break;
  }
  return absl::StrCat(
      route.path, " -> ", schema::MethodKindName(route.method.kind), " '",
      route.method.oslo_name, "' on ", where, ", version ",
      target.version.value_or("1.0"),
      target.namespace_ ? absl::StrCat(", namespace '", *target.namespace_, "'")
                        : "");
}

}  // namespace amqp::gateway
