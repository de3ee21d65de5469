#include "bridge/gateway/route_table.h"

#include <google/protobuf/descriptor.pb.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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

void ClearJsonNames(google::protobuf::DescriptorProto* message) {
  for (auto& field : *message->mutable_field()) field.clear_json_name();
  for (auto& field : *message->mutable_extension()) field.clear_json_name();
  for (auto& nested : *message->mutable_nested_type()) ClearJsonNames(&nested);
}

// What two copies of one .proto file must agree on: the definitions, not
// the source info (protoc --include_source_info), the derived json_name of
// fields, or whether "proto2" is spelt out.
std::string Definitions(google::protobuf::FileDescriptorProto file) {
  file.clear_source_code_info();
  if (file.syntax() == "proto2") file.clear_syntax();
  for (auto& message : *file.mutable_message_type()) ClearJsonNames(&message);
  for (auto& field : *file.mutable_extension()) field.clear_json_name();
  return file.SerializeAsString();
}

// Collects what DescriptorPool::BuildFile finds wrong, for the error message
// (instead of protobuf's log).
class BuildErrors : public google::protobuf::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const google::protobuf::Message* descriptor,
                ErrorLocation location, const std::string& message) override {
    absl::StrAppend(&text_, text_.empty() ? "" : "; ",
                    element_name.empty() ? filename : element_name, ": ",
                    message);
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Whether `type` or a message type inside it declares a required field
// (or could, through extensions).
bool HasRequiredFields(
    const google::protobuf::Descriptor& type,
    absl::flat_hash_set<const google::protobuf::Descriptor*>* seen) {
  if (!seen->insert(&type).second) return false;
  // Extensions may be required: not known here, so assume so.
  if (type.extension_range_count() > 0) return true;
  for (int i = 0; i < type.field_count(); ++i) {
    const google::protobuf::FieldDescriptor& field = *type.field(i);
    if (field.is_required()) return true;
    if (field.message_type() != nullptr &&
        HasRequiredFields(*field.message_type(), seen)) {
      return true;
    }
  }
  return false;
}

bool HasRequiredFields(const google::protobuf::Descriptor& type) {
  absl::flat_hash_set<const google::protobuf::Descriptor*> seen;
  return HasRequiredFields(type, &seen);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RouteTable>> RouteTable::Load(
    const std::vector<std::string>& descriptor_set_paths,
    const std::string& control_exchange) {
  std::unique_ptr<RouteTable> table(new RouteTable());
  std::vector<const google::protobuf::FileDescriptor*> files;
  // The set each file of the pool came from, for conflict messages.
  absl::flat_hash_map<std::string, std::string> origin;
  for (const std::string& path : descriptor_set_paths) {
    absl::StatusOr<google::protobuf::FileDescriptorSet> set =
        ReadDescriptorSet(path);
    if (!set.ok()) return set.status();
    // --include_imports lists dependencies first. Sets made apart share
    // files (amqp/options.proto, google/protobuf/...): one that is already
    // in the pool is used once, if both copies define the same things.
    for (const google::protobuf::FileDescriptorProto& proto : set->file()) {
      if (const google::protobuf::FileDescriptor* existing =
              table->pool_.FindFileByName(proto.name())) {
        google::protobuf::FileDescriptorProto existing_proto;
        existing->CopyTo(&existing_proto);
        if (Definitions(std::move(existing_proto)) != Definitions(proto)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "'", path, "': ", proto.name(),
              " conflicts with the file of that name in '",
              origin[proto.name()],
              "' (the sets were made from different versions of it)"));
        }
        continue;
      }
      for (const std::string& dependency : proto.dependency()) {
        if (table->pool_.FindFileByName(dependency) == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(
              "'", path, "': ", proto.name(), " imports ", dependency,
              ", which is not in the descriptor sets (make them with protoc "
              "--include_imports)"));
        }
      }
      BuildErrors errors;
      const google::protobuf::FileDescriptor* file =
          table->pool_.BuildFileCollectingErrors(proto, &errors);
      if (file == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "'", path, "': cannot use ", proto.name(), ": ", errors.text()));
      }
      origin[proto.name()] = path;
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
      route->request_has_required_fields =
          HasRequiredFields(*method.method->input_type());
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

namespace {

// What a version cap on the route's topic does to it; "" when none.
std::string CapText(const Route& route, const rpc::VersionCaps& caps) {
  const std::optional<std::string> cap = caps.CapFor(route.target.topic);
  // Subscriptions send nothing; notifications carry no version.
  if (!cap.has_value() || route.method.kind == schema::MethodKind::kSubscribe ||
      route.method.notification.has_value()) {
    return "";
  }
  absl::StatusOr<std::string> sent =
      caps.Choose(route.target.topic, route.method.oslo_name,
                  route.method.version, route.method.fallback_version);
  return absl::StrCat(", capped at ", *cap, ": ",
                      sent.ok() ? absl::StrCat("sends ", *sent)
                                : "refused (FAILED_PRECONDITION)");
}

}  // namespace

std::string DescribeRoute(const Route& route, const rpc::VersionCaps& caps) {
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
    case schema::MethodKind::kNotify:
    case schema::MethodKind::kNotifications:
      where = absl::StrCat(
          "exchange '", target.exchange, "' keys '",
          absl::StrJoin(route.method.notification->RoutingKeys(), "', '"),
          "', event type '", route.method.notification->event_type, "'");
      break;
  }
  return absl::StrCat(
      route.path, " -> ", schema::MethodKindName(route.method.kind), " '",
      route.method.oslo_name, "' on ", where, ", version ",
      target.version.value_or("1.0"),
      target.namespace_ ? absl::StrCat(", namespace '", *target.namespace_, "'")
                        : "",
      route.method.fallback_version.empty()
          ? ""
          : absl::StrCat(", fallback ", route.method.fallback_version),
      CapText(route, caps));
}

}  // namespace amqp::gateway
