#include "codegen/amqp_generator.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/printer.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include <iterator>
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

// What a method of each kind adds to the generated files: its traits (the
// k* below), its <Service>Client method's declaration (header) and
// definition (source; null if none).
struct KindTemplates {
  MethodKind kind;
  unsigned traits;
  const char* client_declaration;
  const char* client_definition;

  bool Has(unsigned trait) const { return (traits & trait) != 0; }
};
// <Service>Endpoint serves it (kEndpointMethod, kDispatchEntry,
// kEndpointDefaultMethod); subscriptions only receive casts that another
// party sends, notifications go to listeners.
constexpr unsigned kServedByEndpoint = 1;
// Its MethodInfo is fanout (a fanout cast, or the cast a subscriber gets).
constexpr unsigned kFanout = 2;
// Its client sends through an rpc::Notifier (kNotify*Include).
constexpr unsigned kUsesNotifier = 4;

// The one table from method kind to what is printed for it, in the order of
// MethodKind.
namespace t = templates;
constexpr KindTemplates kKindTemplates[] = {
    {MethodKind::kCall, kServedByEndpoint, t::kClientCall,
     t::kClientCallDefinition},
    {MethodKind::kCast, kServedByEndpoint, t::kClientCast,
     t::kClientCastDefinition},
    {MethodKind::kFanoutCast, kServedByEndpoint | kFanout, t::kClientCast,
     t::kClientCastDefinition},
    {MethodKind::kGather, kServedByEndpoint, t::kClientGatherNote, nullptr},
    {MethodKind::kSubscribe, kFanout, t::kClientPublish,
     t::kClientPublishDefinition},
    {MethodKind::kNotify, kUsesNotifier, t::kClientNotify,
     t::kClientNotifyDefinition},
    {MethodKind::kNotifications, 0, t::kClientNotificationsNote, nullptr},
};

constexpr bool OneRowPerKindInOrder() {
  constexpr size_t kKinds = static_cast<size_t>(MethodKind::kNotifications) + 1;
  if (std::size(kKindTemplates) != kKinds) return false;
  for (size_t i = 0; i < kKinds; ++i) {
    if (kKindTemplates[i].kind != static_cast<MethodKind>(i)) return false;
  }
  return true;
}
static_assert(OneRowPerKindInOrder(),
              "kKindTemplates needs one row per MethodKind, in its order");

const KindTemplates& TemplatesOf(MethodKind kind) {
  return kKindTemplates[static_cast<size_t>(kind)];
}

Vars MethodVars(const ServiceMap& service, const Vars& service_vars,
                const MethodMap& method, const KindTemplates& kind_templates) {
  Vars vars = service_vars;
  vars["Method"] = method.method->name();
  vars["oslo_name"] = method.oslo_name;
  vars["kind"] = std::string(schema::MethodKindName(method.kind));
  vars["Request"] = CppType(*method.method->input_type());
  vars["Response"] = CppType(*method.method->output_type());
  vars["method_version"] =
      method.version == service.version ? "" : method.version;
  vars["server_field"] = method.server_field ? method.server_field->name() : "";
  vars["result_field"] = method.result_field ? method.result_field->name() : "";
  vars["fanout"] = kind_templates.Has(kFanout) ? "true" : "false";
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

// A method with what is printed for it, worked out once for both files.
struct MethodPlan {
  const MethodMap* method;
  KindTemplates kind_templates;
  Vars vars;
};

// The endpoint's methods: one per oslo method, however many gRPC methods
// reach it (a server method is one thing; call, cast or fanout is the
// client's choice), named after its call or GATHER if it has one, else after
// the first. Each comes with the other gRPC methods that reach it.
struct Handler {
  const MethodPlan* method;
  std::vector<const MethodPlan*> also;
};

std::vector<Handler> EndpointHandlers(const std::vector<MethodPlan>& methods) {
  std::vector<Handler> handlers;
  absl::flat_hash_map<std::string, size_t> by_oslo_name;
  for (const MethodPlan& plan : methods) {
    if (!plan.kind_templates.Has(kServedByEndpoint)) continue;
    auto [it, inserted] =
        by_oslo_name.emplace(plan.method->oslo_name, handlers.size());
    if (inserted) {
      handlers.push_back({&plan, {}});
      continue;
    }
    Handler& handler = handlers[it->second];
    if (schema::ReturnsResult(plan.method->kind) &&
        !schema::ReturnsResult(handler.method->method->kind)) {
      handler.also.push_back(handler.method);
      handler.method = &plan;
    } else {
      handler.also.push_back(&plan);
    }
  }
  return handlers;
}

// The handler's method's vars plus also_doc, naming the other methods.
Vars HandlerVars(const Handler& handler) {
  Vars vars = handler.method->vars;
  std::vector<std::string> also;
  for (const MethodPlan* plan : handler.also) {
    also.push_back(absl::StrCat(plan->method->method->name(), " (a ",
                                schema::MethodKindName(plan->method->kind),
                                ")"));
  }
  vars["also_doc"] = also.empty()
                         ? ""
                         : absl::StrCat("; also reached by\n  //   ",
                                        absl::StrJoin(also, ",\n  //   "));
  return vars;
}

// A service with the vars of each of its methods and endpoint handlers.
struct ServicePlan {
  Vars vars;
  std::vector<MethodPlan> methods;  // in .proto order
  std::vector<Vars> handlers;       // the endpoint's methods
};

ServicePlan PlanService(const ServiceMap& map) {
  ServicePlan plan;
  plan.vars = ServiceVars(map);
  plan.methods.reserve(map.methods.size());
  for (const MethodMap& method : map.methods) {
    const KindTemplates& kind_templates = TemplatesOf(method.kind);
    plan.methods.push_back(
        {&method, kind_templates,
         MethodVars(map, plan.vars, method, kind_templates)});
  }
  for (const Handler& handler : EndpointHandlers(plan.methods)) {
    plan.handlers.push_back(HandlerVars(handler));
  }
  return plan;
}

bool UsesNotifier(const std::vector<ServicePlan>& services) {
  for (const ServicePlan& service : services) {
    for (const MethodPlan& method : service.methods) {
      if (method.kind_templates.Has(kUsesNotifier)) return true;
    }
  }
  return false;
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
                 const std::vector<ServicePlan>& services, Printer& printer) {
  const Vars file_vars = {
      {"proto", file.name()},
      {"guard", HeaderGuard(file.name())},
      {"pb_header", absl::StrCat(StripProto(file.name()), ".pb.h")}};
  printer.Print(file_vars, templates::kHeaderTop);
  if (UsesNotifier(services)) printer.Print(templates::kNotifyHeaderInclude);
  OpenNamespace(printer, file);
  for (const ServicePlan& service : services) {
    printer.Print(service.vars, templates::kEndpointClassTop);
    for (const Vars& handler : service.handlers) {
      printer.Print(handler, templates::kEndpointMethod);
    }
    printer.Print(templates::kClassBottom);

    printer.Print(service.vars, templates::kClientClassTop);
    for (const MethodPlan& method : service.methods) {
      printer.Print(method.vars, method.kind_templates.client_declaration);
    }
    printer.Print(templates::kClientClassBottom);
  }
  CloseNamespace(printer, file);
  printer.Print(file_vars, templates::kHeaderBottom);
}

void WriteSource(const FileDescriptor& file,
                 const std::vector<ServicePlan>& services, Printer& printer) {
  printer.Print(
      {{"proto", file.name()},
       {"amqp_header", absl::StrCat(StripProto(file.name()), ".amqp.h")}},
      templates::kSourceTop);
  if (UsesNotifier(services)) printer.Print(templates::kNotifySourceInclude);
  OpenNamespace(printer, file);
  printer.Print("namespace {\n\n");
  for (const ServicePlan& service : services) {
    for (const MethodPlan& method : service.methods) {
      printer.Print(method.vars, templates::kMethodInfo);
    }
    printer.Print(service.vars, templates::kDispatchTableTop);
    for (const Vars& handler : service.handlers) {
      printer.Print(handler, templates::kDispatchEntry);
    }
    printer.Print(templates::kDispatchTableBottom);
  }
  printer.Print("\n}  // namespace\n");

  for (const ServicePlan& service : services) {
    printer.Print(service.vars, templates::kEndpointDefinitions);
    for (const Vars& handler : service.handlers) {
      printer.Print(handler, templates::kEndpointDefaultMethod);
    }
    printer.Print(service.vars, templates::kClientDefaultSpec);
    for (const MethodPlan& method : service.methods) {
      if (method.kind_templates.client_definition != nullptr) {
        printer.Print(method.vars, method.kind_templates.client_definition);
      }
    }
  }
  printer.Print("\n");
  CloseNamespace(printer, file);
}

using Writer = void (*)(const FileDescriptor&, const std::vector<ServicePlan>&,
                        Printer&);

// Writes one generated file with `write`; takes `out`.
void WriteFile(const FileDescriptor& file,
               const std::vector<ServicePlan>& services, Writer write,
               google::protobuf::io::ZeroCopyOutputStream* out) {
  std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> owned(out);
  Printer printer(owned.get(), '$');
  write(file, services, printer);
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
  std::vector<ServicePlan> services;
  services.reserve(maps.size());
  for (const ServiceMap& map : maps) services.push_back(PlanService(map));
  // A .proto without services still gets (empty) files, so that build rules
  // can always name them.
  const std::string base = StripProto(file->name());
  WriteFile(*file, services, WriteHeader, context->Open(base + ".amqp.h"));
  WriteFile(*file, services, WriteSource, context->Open(base + ".amqp.cc"));
  return true;
}

}  // namespace amqp::codegen
