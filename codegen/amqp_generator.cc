#include "codegen/amqp_generator.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/printer.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include <map>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bridge/schema/service_map.h"
#include "codegen/templates.h"

namespace amqp::codegen {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::io::Printer;
using schema::MethodKind;
using schema::MethodMap;
using schema::ServiceMap;
using Vars = std::map<std::string, std::string>;

std::string StripProto(const std::string& file) {
  return std::string(absl::StripSuffix(file, ".proto"));
}

// The C++ name of a message: ::package::Outer_Inner.
std::string CppType(const Descriptor& message) {
  const std::string& package = message.file()->package();
  std::string relative = message.full_name();
  if (!package.empty()) relative = relative.substr(package.size() + 1);
  return absl::StrCat(
      "::", absl::StrReplaceAll(package, {{".", "::"}}),
      package.empty() ? "" : "::", absl::StrReplaceAll(relative, {{".", "_"}}));
}

std::string HeaderGuard(const std::string& file) {
  std::string guard = absl::AsciiStrToUpper(StripProto(file));
  for (char& c : guard) {
    if (!absl::ascii_isalnum(c)) c = '_';
  }
  return absl::StrCat(guard, "_PROTO_AMQP_H_");
}

Vars ServiceVars(const ServiceMap& map) {
  Vars vars;
  vars["Service"] = map.service->name();
  vars["topic"] = map.topic;
  vars["version"] = map.version;
  vars["endpoint_version"] = map.EndpointVersion();
  vars["namespace_doc"] =
      map.namespace_ ? absl::StrCat(", namespace \"", *map.namespace_, "\"")
                     : "";
  vars["namespace_expr"] =
      map.namespace_ ? absl::StrCat("std::string(\"", *map.namespace_, "\")")
                     : "std::nullopt";
  vars["exchange_doc"] = map.exchange.empty()
                             ? "the control exchange, \"openstack\" unless set"
                             : absl::StrCat("exchange \"", map.exchange, "\"");
  vars["exchange_assign"] =
      map.exchange.empty()
          ? ""
          : absl::StrCat("  spec.target.exchange = \"", map.exchange, "\";\n");
  vars["namespace_assign"] = map.namespace_
                                 ? absl::StrCat("  spec.target.namespace_ = \"",
                                                *map.namespace_, "\";\n")
                                 : "";
  return vars;
}

Vars MethodVars(const ServiceMap& service, const MethodMap& method) {
  Vars vars = ServiceVars(service);
  vars["Method"] = method.method->name();
  vars["oslo_name"] = method.oslo_name;
  vars["kind"] = std::string(schema::MethodKindName(method.kind));
  vars["Request"] = CppType(*method.method->input_type());
  vars["Response"] = CppType(*method.method->output_type());
  vars["method_version"] =
      method.version == service.version ? "" : method.version;
  vars["server_field"] = method.server_field ? method.server_field->name() : "";
  vars["result_field"] = method.result_field ? method.result_field->name() : "";
  vars["fanout"] = method.kind == MethodKind::kFanoutCast ||
                           method.kind == MethodKind::kSubscribe
                       ? "true"
                       : "false";
  vars["fallback_init"] = method.fallback_version.empty()
                              ? ""
                              : absl::StrCat(",\n    /*fallback_version=*/\"",
                                             method.fallback_version, "\"");
  vars["server_expr"] =
      method.server_field
          ? absl::StrCat("request.", method.server_field->name(), "()")
          : "\"\"";
  if (method.notification.has_value()) {
    const schema::NotificationMap& notification = *method.notification;
    vars["event_type"] = absl::CEscape(notification.event_type);
    vars["priority_key"] = notification.priorities.front();
    vars["priority"] = absl::AsciiStrToUpper(notification.priorities.front());
    vars["notification_topic"] = absl::CEscape(notification.topic);
  }
  vars["route_doc"] = method.server_field
                          ? absl::StrCat(" to ", service.topic, ".<request.",
                                         method.server_field->name(), "()>")
                          : "";
  return vars;
}

// Endpoints serve calls, casts and gather requests; subscriptions only
// receive casts that another party sends, notifications go to listeners.
bool ServedByEndpoint(const MethodMap& method) {
  return method.kind != MethodKind::kSubscribe &&
         method.kind != MethodKind::kNotify &&
         method.kind != MethodKind::kNotifications;
}

bool HasNotify(const std::vector<ServiceMap>& maps) {
  for (const ServiceMap& map : maps) {
    for (const MethodMap& method : map.methods) {
      if (method.kind == MethodKind::kNotify) return true;
    }
  }
  return false;
}

// The endpoint's methods: one per oslo method, however many gRPC methods
// reach it (a server method is one thing; call, cast or fanout is the
// client's choice), named after its call or GATHER if it has one, else after
// the first. Each comes with the other gRPC methods that reach it.
struct Handler {
  const MethodMap* method;
  std::vector<const MethodMap*> also;
};

std::vector<Handler> EndpointHandlers(const ServiceMap& map) {
  std::vector<Handler> handlers;
  absl::flat_hash_map<std::string, size_t> by_oslo_name;
  for (const MethodMap& method : map.methods) {
    if (!ServedByEndpoint(method)) continue;
    auto [it, inserted] =
        by_oslo_name.emplace(method.oslo_name, handlers.size());
    if (inserted) {
      handlers.push_back({&method, {}});
      continue;
    }
    Handler& handler = handlers[it->second];
    if (schema::ReturnsResult(method.kind) &&
        !schema::ReturnsResult(handler.method->kind)) {
      handler.also.push_back(handler.method);
      handler.method = &method;
    } else {
      handler.also.push_back(&method);
    }
  }
  return handlers;
}

Vars HandlerVars(const ServiceMap& service, const Handler& handler) {
  Vars vars = MethodVars(service, *handler.method);
  std::vector<std::string> also;
  for (const MethodMap* method : handler.also) {
    also.push_back(absl::StrCat(method->method->name(), " (a ",
                                schema::MethodKindName(method->kind), ")"));
  }
  vars["also_doc"] = also.empty()
                         ? ""
                         : absl::StrCat("; also reached by\n  //   ",
                                        absl::StrJoin(also, ",\n  //   "));
  return vars;
}

void OpenNamespace(Printer& printer, const FileDescriptor& file) {
  for (const auto& part :
       absl::StrSplit(file.package(), '.', absl::SkipEmpty())) {
    printer.Print("namespace $part$ {\n", "part", std::string(part));
  }
  printer.Print("\n");
}

void CloseNamespace(Printer& printer, const FileDescriptor& file) {
  std::vector<std::string> parts =
      absl::StrSplit(file.package(), '.', absl::SkipEmpty());
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    printer.Print("}  // namespace $part$\n", "part", *it);
  }
}

void WriteHeader(const FileDescriptor& file,
                 const std::vector<ServiceMap>& maps, Printer& printer) {
  const Vars file_vars = {
      {"proto", file.name()},
      {"guard", HeaderGuard(file.name())},
      {"pb_header", absl::StrCat(StripProto(file.name()), ".pb.h")}};
  printer.Print(file_vars, templates::kHeaderTop);
  if (HasNotify(maps)) printer.Print(templates::kNotifyHeaderInclude);
  OpenNamespace(printer, file);
  for (const ServiceMap& map : maps) {
    printer.Print(ServiceVars(map), templates::kEndpointClassTop);
    for (const Handler& handler : EndpointHandlers(map)) {
      printer.Print(HandlerVars(map, handler), templates::kEndpointMethod);
    }
    printer.Print(templates::kClassBottom);

    printer.Print(ServiceVars(map), templates::kClientClassTop);
    for (const MethodMap& method : map.methods) {
      const Vars vars = MethodVars(map, method);
      switch (method.kind) {
        case MethodKind::kCall:
          printer.Print(vars, templates::kClientCall);
          break;
        case MethodKind::kCast:
        case MethodKind::kFanoutCast:
          printer.Print(vars, templates::kClientCast);
          break;
        case MethodKind::kSubscribe:
          printer.Print(vars, templates::kClientPublish);
          break;
        case MethodKind::kGather:
          printer.Print(vars, templates::kClientGatherNote);
          break;
        case MethodKind::kNotify:
          printer.Print(vars, templates::kClientNotify);
          break;
        case MethodKind::kNotifications:
          printer.Print(vars, templates::kClientNotificationsNote);
          break;
      }
    }
    printer.Print(templates::kClientClassBottom);
  }
  CloseNamespace(printer, file);
  printer.Print(file_vars, templates::kHeaderBottom);
}

void WriteSource(const FileDescriptor& file,
                 const std::vector<ServiceMap>& maps, Printer& printer) {
  printer.Print(
      {{"proto", file.name()},
       {"amqp_header", absl::StrCat(StripProto(file.name()), ".amqp.h")}},
      templates::kSourceTop);
  if (HasNotify(maps)) printer.Print(templates::kNotifySourceInclude);
  OpenNamespace(printer, file);
  printer.Print("namespace {\n\n");
  for (const ServiceMap& map : maps) {
    for (const MethodMap& method : map.methods) {
      printer.Print(MethodVars(map, method), templates::kMethodInfo);
    }
    printer.Print(ServiceVars(map), templates::kDispatchTableTop);
    for (const Handler& handler : EndpointHandlers(map)) {
      printer.Print(MethodVars(map, *handler.method),
                    templates::kDispatchEntry);
    }
    printer.Print(templates::kDispatchTableBottom);
  }
  printer.Print("\n}  // namespace\n");

  for (const ServiceMap& map : maps) {
    printer.Print(ServiceVars(map), templates::kEndpointDefinitions);
    for (const Handler& handler : EndpointHandlers(map)) {
      printer.Print(MethodVars(map, *handler.method),
                    templates::kEndpointDefaultMethod);
    }
    printer.Print(ServiceVars(map), templates::kClientDefaultSpec);
    for (const MethodMap& method : map.methods) {
      const Vars vars = MethodVars(map, method);
      switch (method.kind) {
        case MethodKind::kCall:
          printer.Print(vars, templates::kClientCallDefinition);
          break;
        case MethodKind::kCast:
        case MethodKind::kFanoutCast:
          printer.Print(vars, templates::kClientCastDefinition);
          break;
        case MethodKind::kSubscribe:
          printer.Print(vars, templates::kClientPublishDefinition);
          break;
        case MethodKind::kNotify:
          printer.Print(vars, templates::kClientNotifyDefinition);
          break;
        case MethodKind::kGather:
        case MethodKind::kNotifications:
          break;
      }
    }
  }
  printer.Print("\n");
  CloseNamespace(printer, file);
}

}  // namespace

bool AmqpGenerator::Generate(
    const FileDescriptor* file, const std::string& parameter,
    google::protobuf::compiler::GeneratorContext* context,
    std::string* error) const {
  if (!parameter.empty()) {
    *error =
        absl::StrCat("protoc-gen-amqp takes no options, got '", parameter, "'");
    return false;
  }
  std::vector<ServiceMap> maps;
  for (int i = 0; i < file->service_count(); ++i) {
    absl::StatusOr<ServiceMap> map = schema::MapService(*file->service(i));
    if (!map.ok()) {
      // protoc names the file itself: "x.proto: Service.Method: ...".
      absl::string_view message = map.status().message();
      absl::ConsumePrefix(&message, absl::StrCat(file->name(), ": "));
      *error = std::string(message);
      return false;
    }
    maps.push_back(*std::move(map));
  }
  // A .proto without services still gets (empty) files, so that build rules
  // can always name them.
  const std::string base = StripProto(file->name());
  {
    std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
        context->Open(base + ".amqp.h"));
    Printer printer(out.get(), '$');
    WriteHeader(*file, maps, printer);
  }
  {
    std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
        context->Open(base + ".amqp.cc"));
    Printer printer(out.get(), '$');
    WriteSource(*file, maps, printer);
  }
  return true;
}

}  // namespace amqp::codegen
