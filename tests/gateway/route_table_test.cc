// RouteTable::Load on descriptor sets built by Bazel (the proto macro's
// `<name>_descriptor_set`, made with --include_imports) and by protoc
// directly for the broken cases: the routes of the example compute service,
// defaults and options, unsupported methods, and every load error.

#include "bridge/gateway/route_table.h"

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "bridge/schema/service_map.h"

namespace amqp::gateway {
namespace {

using schema::MethodKind;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;

// Runfiles paths (tests run in the workspace's runfiles folder); see BUILD.
constexpr char kComputeSet[] =
    "proto/examples/compute_proto_codegen.descriptor_set.pb";
constexpr char kRouteTestSet[] =
    "tests/gateway/route_test_proto_codegen.descriptor_set.pb";
constexpr char kBadSet[] =
    "tests/gateway/route_bad_proto_codegen.descriptor_set.pb";
constexpr char kInventorySet[] =
    "tests/gateway/inventory_proto_codegen.descriptor_set.pb";
constexpr char kNoImportsSet[] = "tests/gateway/route_test_no_imports.pb";
constexpr char kConflictingSet[] = "tests/gateway/route_test_conflicting.pb";
constexpr char kProtoSource[] = "tests/gateway/route_test.proto";

constexpr char kCompute[] = "/examples.compute.Compute/";

std::unique_ptr<RouteTable> MustLoad(const std::vector<std::string>& sets,
                                     const std::string& control_exchange) {
  absl::StatusOr<std::unique_ptr<RouteTable>> table =
      RouteTable::Load(sets, control_exchange);
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : nullptr;
}

std::vector<std::string> Paths(const RouteTable& table) {
  std::vector<std::string> paths;
  for (const auto& route : table.routes()) paths.push_back(route->path);
  return paths;
}

TEST(RouteTableTest, ComputeServiceRoutes) {
  std::unique_ptr<RouteTable> table = MustLoad({kComputeSet}, "openstack");
  ASSERT_NE(table, nullptr);
  EXPECT_THAT(table->service_names(), ElementsAre("examples.compute.Compute"));
  // One route per RPC, in the order of the .proto file.
  const google::protobuf::ServiceDescriptor* service =
      table->pool().FindServiceByName("examples.compute.Compute");
  ASSERT_NE(service, nullptr);
  std::vector<std::string> rpcs;
  for (int i = 0; i < service->method_count(); ++i) {
    rpcs.push_back(absl::StrCat(kCompute, service->method(i)->name()));
  }
  EXPECT_EQ(Paths(*table), rpcs);
  EXPECT_THAT(rpcs, IsSupersetOf({absl::StrCat(kCompute, "GetInstance"),
                                  absl::StrCat(kCompute, "RefreshCache"),
                                  absl::StrCat(kCompute, "PingAll"),
                                  absl::StrCat(kCompute, "WatchEvents")}));
  EXPECT_THAT(table->unsupported(), IsEmpty());

  struct Expected {
    const char* method;
    MethodKind kind;
    const char* oslo_name;
    const char* version;
    const char* server_field;  // null: none
    const char* result_field;  // null: none
    const char* request_type;
    const char* response_type;
  };
  const Expected expected[] = {
      {"GetInstance", MethodKind::kCall, "get_instance", "5.0", nullptr,
       nullptr, "examples.compute.GetInstanceRequest",
       "examples.compute.Instance"},
      {"ListInstances", MethodKind::kCall, "get_instances", "5.0", nullptr,
       "instances", "examples.compute.ListInstancesRequest",
       "examples.compute.ListInstancesResponse"},
      {"RebootInstance", MethodKind::kCast, "reboot_instance", "5.0", "host",
       nullptr, "examples.compute.RebootInstanceRequest",
       "google.protobuf.Empty"},
      {"GetConsoleOutput", MethodKind::kCall, "get_console_output", "5.0",
       "host", "output", "examples.compute.GetConsoleOutputRequest",
       "examples.compute.ConsoleOutput"},
      {"GetDiagnostics", MethodKind::kCall, "get_diagnostics", "5.1", nullptr,
       nullptr, "examples.compute.GetDiagnosticsRequest",
       "examples.compute.Diagnostics"},
      {"RefreshCache", MethodKind::kFanoutCast, "refresh_cache", "5.0", nullptr,
       nullptr, "examples.compute.RefreshCacheRequest",
       "google.protobuf.Empty"},
      {"SnapshotInstance", MethodKind::kCall, "snapshot_instance", "5.0",
       nullptr, nullptr, "examples.compute.SnapshotInstanceRequest",
       "examples.compute.Snapshot"},
      {"GetCallerContext", MethodKind::kCall, "get_caller_context", "5.0",
       nullptr, nullptr, "google.protobuf.Empty", "google.protobuf.Struct"},
      {"PingAll", MethodKind::kGather, "ping_all", "5.0", nullptr, nullptr,
       "examples.compute.PingRequest", "examples.compute.PingReply"},
      {"WatchEvents", MethodKind::kSubscribe, "instance_event", "5.0", nullptr,
       nullptr, "examples.compute.WatchEventsRequest",
       "examples.compute.InstanceEvent"},
      // One oslo method, each gRPC method routed as its own kind says.
      {"SetHostEnabled", MethodKind::kCall, "set_host_enabled", "5.0", nullptr,
       nullptr, "examples.compute.SetHostEnabledRequest",
       "examples.compute.HostEnabled"},
      {"SetHostEnabledEach", MethodKind::kGather, "set_host_enabled", "5.0",
       nullptr, nullptr, "examples.compute.SetHostEnabledRequest",
       "examples.compute.HostEnabled"},
      {"SetHostEnabledCast", MethodKind::kCast, "set_host_enabled", "5.0",
       nullptr, nullptr, "examples.compute.SetHostEnabledRequest",
       "google.protobuf.Empty"},
      {"SetHostEnabledFanout", MethodKind::kFanoutCast, "set_host_enabled",
       "5.0", nullptr, nullptr, "examples.compute.SetHostEnabledRequest",
       "google.protobuf.Empty"},
      {"WatchHostEnabled", MethodKind::kSubscribe, "set_host_enabled", "5.0",
       nullptr, nullptr, "examples.compute.WatchEventsRequest",
       "examples.compute.SetHostEnabledRequest"},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.method);
    const Route* route = table->Find(absl::StrCat(kCompute, e.method));
    ASSERT_NE(route, nullptr);
    EXPECT_EQ(route->method.kind, e.kind);
    EXPECT_EQ(route->method.oslo_name, e.oslo_name);
    EXPECT_EQ(route->method.version, e.version);
    EXPECT_EQ(route->target.exchange, "openstack");  // the control_exchange
    EXPECT_EQ(route->target.topic, "compute");
    EXPECT_EQ(route->target.server, "");
    EXPECT_EQ(route->target.version, e.version);
    EXPECT_FALSE(route->target.namespace_.has_value());
    EXPECT_FALSE(route->target.fanout);  // set per call for fanout casts
    if (e.server_field == nullptr) {
      EXPECT_EQ(route->method.server_field, nullptr);
    } else {
      ASSERT_NE(route->method.server_field, nullptr);
      EXPECT_EQ(route->method.server_field->name(), e.server_field);
    }
    if (e.result_field == nullptr) {
      EXPECT_EQ(route->method.result_field, nullptr);
    } else {
      ASSERT_NE(route->method.result_field, nullptr);
      EXPECT_EQ(route->method.result_field->name(), e.result_field);
    }
    // Prototypes come from the table's own pool, not the generated one.
    ASSERT_NE(route->request_prototype, nullptr);
    ASSERT_NE(route->response_prototype, nullptr);
    EXPECT_EQ(route->request_prototype->GetDescriptor()->full_name(),
              e.request_type);
    EXPECT_EQ(route->response_prototype->GetDescriptor()->full_name(),
              e.response_type);
    EXPECT_EQ(route->request_prototype->GetDescriptor()->file()->pool(),
              &table->pool());
  }
  EXPECT_EQ(table->Find("/examples.compute.Compute/NoSuchMethod"), nullptr);
  EXPECT_EQ(table->Find("examples.compute.Compute/GetInstance"), nullptr);
  EXPECT_EQ(table->FindUnsupported(absl::StrCat(kCompute, "GetInstance")),
            nullptr);
  // The pool can answer reflection about the whole API.
  EXPECT_NE(table->pool().FindMessageTypeByName("examples.compute.Flavor"),
            nullptr);
}

TEST(RouteTableTest, ControlExchangeIsTheDefaultExchange) {
  std::unique_ptr<RouteTable> table =
      MustLoad({kComputeSet, kRouteTestSet}, "nova");
  ASSERT_NE(table, nullptr);
  const Route* compute = table->Find(absl::StrCat(kCompute, "GetInstance"));
  ASSERT_NE(compute, nullptr);
  EXPECT_EQ(compute->target.exchange, "nova");
  // A service that names its exchange keeps it.
  const Route* volume = table->Find("/gw.routes.VolumeAPI/GetVolume");
  ASSERT_NE(volume, nullptr);
  EXPECT_EQ(volume->target.exchange, "cinder");
}

TEST(RouteTableTest, ServiceDefaultsNamespaceAndUnsupportedMethods) {
  std::unique_ptr<RouteTable> table = MustLoad({kRouteTestSet}, "openstack");
  ASSERT_NE(table, nullptr);
  // Plain has no (amqp.service) options: ignored.
  EXPECT_THAT(table->service_names(), ElementsAre("gw.routes.VolumeAPI"));
  EXPECT_EQ(table->Find("/gw.routes.Plain/Get"), nullptr);
  EXPECT_EQ(table->FindUnsupported("/gw.routes.Plain/Get"), nullptr);
  EXPECT_THAT(Paths(*table), ElementsAre("/gw.routes.VolumeAPI/GetVolume",
                                         "/gw.routes.VolumeAPI/GetHTTPStatus"));

  const Route* route = table->Find("/gw.routes.VolumeAPI/GetHTTPStatus");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->method.kind, MethodKind::kCall);
  EXPECT_EQ(route->method.oslo_name, "get_http_status");
  EXPECT_EQ(route->target.topic, "volume_api");  // the service in snake_case
  EXPECT_EQ(route->target.exchange, "cinder");
  EXPECT_EQ(route->target.version, "1.0");
  EXPECT_EQ(route->target.namespace_, "volume");

  // Client and bidi streaming: listed, with the reason, and not routed.
  ASSERT_EQ(table->unsupported().size(), 2u);
  EXPECT_EQ(table->unsupported()[0].path, "/gw.routes.VolumeAPI/Upload");
  EXPECT_EQ(table->unsupported()[1].path, "/gw.routes.VolumeAPI/Chat");
  const UnsupportedRoute* upload =
      table->FindUnsupported("/gw.routes.VolumeAPI/Upload");
  ASSERT_NE(upload, nullptr);
  EXPECT_THAT(upload->reason, HasSubstr("client streaming"));
  const UnsupportedRoute* chat =
      table->FindUnsupported("/gw.routes.VolumeAPI/Chat");
  ASSERT_NE(chat, nullptr);
  EXPECT_THAT(chat->reason, HasSubstr("bidirectional streaming"));
  EXPECT_EQ(table->Find("/gw.routes.VolumeAPI/Upload"), nullptr);
  EXPECT_EQ(table->Find("/gw.routes.VolumeAPI/Chat"), nullptr);
}

TEST(RouteTableTest, DescribeRouteShowsTheVersionCap) {
  std::unique_ptr<RouteTable> table = MustLoad({kComputeSet}, "openstack");
  ASSERT_NE(table, nullptr);
  const Route* get = table->Find(absl::StrCat(kCompute, "GetInstance"));
  const Route* diagnostics =
      table->Find(absl::StrCat(kCompute, "GetDiagnostics"));
  ASSERT_NE(get, nullptr);
  ASSERT_NE(diagnostics, nullptr);
  rpc::VersionCaps caps;
  ASSERT_TRUE(caps.Set("compute", "5.0").ok());
  EXPECT_THAT(DescribeRoute(*get, caps),
              EndsWith(", version 5.0, capped at 5.0: sends 5.0"));
  EXPECT_THAT(
      DescribeRoute(*diagnostics, caps),
      EndsWith(", version 5.1, fallback 5.0, capped at 5.0: sends 5.0"));
  rpc::VersionCaps lower;
  ASSERT_TRUE(lower.Set("compute", "4.9").ok());
  EXPECT_THAT(DescribeRoute(*diagnostics, lower),
              EndsWith(", capped at 4.9: refused (FAILED_PRECONDITION)"));
  rpc::VersionCaps other;
  ASSERT_TRUE(other.Set("network", "1.0").ok());
  EXPECT_EQ(DescribeRoute(*get, other), DescribeRoute(*get));
}

TEST(RouteTableTest, DescribeRouteLines) {
  std::unique_ptr<RouteTable> table =
      MustLoad({kComputeSet, kRouteTestSet}, "openstack");
  ASSERT_NE(table, nullptr);
  auto describe = [&](const std::string& path) {
    const Route* route = table->Find(path);
    return route == nullptr ? "(no route)" : DescribeRoute(*route);
  };
  EXPECT_EQ(describe(absl::StrCat(kCompute, "GetInstance")),
            "/examples.compute.Compute/GetInstance -> call 'get_instance' on "
            "exchange 'openstack' key 'compute', version 5.0");
  EXPECT_EQ(describe(absl::StrCat(kCompute, "RebootInstance")),
            "/examples.compute.Compute/RebootInstance -> cast "
            "'reboot_instance' on exchange 'openstack' key 'compute' (or "
            "'compute.<host>'), version 5.0");
  EXPECT_EQ(describe(absl::StrCat(kCompute, "GetConsoleOutput")),
            "/examples.compute.Compute/GetConsoleOutput -> call "
            "'get_console_output' on exchange 'openstack' key 'compute' (or "
            "'compute.<host>'), version 5.0");
  EXPECT_EQ(describe(absl::StrCat(kCompute, "GetDiagnostics")),
            "/examples.compute.Compute/GetDiagnostics -> call "
            "'get_diagnostics' on exchange 'openstack' key 'compute', "
            "version 5.1, fallback 5.0");
  EXPECT_EQ(describe(absl::StrCat(kCompute, "RefreshCache")),
            "/examples.compute.Compute/RefreshCache -> fanout "
            "'refresh_cache' on exchange 'compute_fanout', version 5.0");
  EXPECT_EQ(describe(absl::StrCat(kCompute, "PingAll")),
            "/examples.compute.Compute/PingAll -> gather 'ping_all' on "
            "exchange 'compute_fanout', version 5.0");
  EXPECT_EQ(describe(absl::StrCat(kCompute, "WatchEvents")),
            "/examples.compute.Compute/WatchEvents -> subscribe "
            "'instance_event' on exchange 'compute_fanout', version 5.0");
  EXPECT_EQ(describe("/gw.routes.VolumeAPI/GetVolume"),
            "/gw.routes.VolumeAPI/GetVolume -> call 'get_volume' on exchange "
            "'cinder' key 'volume_api', version 1.0, namespace 'volume'");
}

TEST(RouteTableTest, SameSetTwiceLoadsOnce) {
  std::unique_ptr<RouteTable> once = MustLoad({kComputeSet}, "openstack");
  std::unique_ptr<RouteTable> twice =
      MustLoad({kComputeSet, kComputeSet}, "openstack");
  ASSERT_NE(once, nullptr);
  ASSERT_NE(twice, nullptr);
  EXPECT_EQ(Paths(*twice), Paths(*once));
  EXPECT_THAT(twice->service_names(), ElementsAre("examples.compute.Compute"));
}

TEST(RouteTableTest, SetsSharingImportsLoadTogether) {
  // Both sets carry amqp/options.proto and google/protobuf/descriptor.proto.
  std::unique_ptr<RouteTable> table =
      MustLoad({kRouteTestSet, kComputeSet, kRouteTestSet}, "openstack");
  ASSERT_NE(table, nullptr);
  EXPECT_THAT(table->service_names(),
              ElementsAre("gw.routes.VolumeAPI", "examples.compute.Compute"));
  std::unique_ptr<RouteTable> compute = MustLoad({kComputeSet}, "openstack");
  ASSERT_NE(compute, nullptr);
  EXPECT_EQ(table->routes().size(), compute->routes().size() + 2);
  EXPECT_EQ(table->unsupported().size(), 2u);
  EXPECT_NE(table->Find(absl::StrCat(kCompute, "PingAll")), nullptr);
  EXPECT_NE(table->Find("/gw.routes.VolumeAPI/GetVolume"), nullptr);
}

TEST(RouteTableTest, MissingFile) {
  absl::StatusOr<std::unique_ptr<RouteTable>> table =
      RouteTable::Load({kComputeSet, "tests/gateway/no_such.pb"}, "openstack");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(table.status().message(),
              HasSubstr("cannot read descriptor set "
                        "'tests/gateway/no_such.pb'"));
}

TEST(RouteTableTest, NotADescriptorSet) {
  // A .proto file given where its descriptor set belongs.
  absl::StatusOr<std::unique_ptr<RouteTable>> table =
      RouteTable::Load({kProtoSource}, "openstack");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(table.status().message(),
              HasSubstr(absl::StrCat("'", kProtoSource,
                                     "' is not a FileDescriptorSet")));
  EXPECT_THAT(table.status().message(), HasSubstr("--include_imports"));
}

TEST(RouteTableTest, SetWithoutImports) {
  absl::StatusOr<std::unique_ptr<RouteTable>> table =
      RouteTable::Load({kNoImportsSet}, "openstack");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(table.status().message(),
            absl::StrCat("'", kNoImportsSet,
                         "': route_test.proto imports amqp/options.proto, "
                         "which is not in the descriptor sets (make them with "
                         "protoc --include_imports)"));
}

TEST(RouteTableTest, ConflictingDefinitionsOfOneFile) {
  for (const auto& sets : std::vector<std::vector<std::string>>{
           {kRouteTestSet, kConflictingSet},
           {kConflictingSet, kRouteTestSet}}) {
    SCOPED_TRACE(sets[0]);
    absl::StatusOr<std::unique_ptr<RouteTable>> table =
        RouteTable::Load(sets, "openstack");
    ASSERT_FALSE(table.ok());
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    // Names both sets and the file.
    EXPECT_EQ(table.status().message(),
              absl::StrCat("'", sets[1],
                           "': route_test.proto conflicts with the file of "
                           "that name in '",
                           sets[0],
                           "' (the sets were made from different versions of "
                           "it)"));
  }
}

TEST(RouteTableTest, MethodOsloCannotCarry) {
  absl::StatusOr<std::unique_ptr<RouteTable>> table =
      RouteTable::Load({kComputeSet, kBadSet}, "openstack");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(table.status().message(), HasSubstr("route_bad.proto"));
  EXPECT_THAT(table.status().message(), HasSubstr("Notify"));
}

// RPCs that share an oslo method but disagree on its arguments, result or
// major version: the bridge refuses them with the same words as
// protoc-gen-amqp, which tests/codegen/bad/shared_oslo_method_*.proto name
// on their first line (generation_errors_test checks the plugin's).
TEST(RouteTableTest, SharedOsloMethodRefusedLikeThePlugin) {
  for (const char* name :
       {"events", "request", "response", "result_field", "version"}) {
    SCOPED_TRACE(name);
    std::ifstream source(
        absl::StrCat("tests/codegen/bad/shared_oslo_method_", name, ".proto"));
    std::string first_line;
    ASSERT_TRUE(std::getline(source, first_line));
    absl::string_view expected = first_line;
    ASSERT_TRUE(absl::ConsumePrefix(&expected, "// expect: "));
    absl::StatusOr<std::unique_ptr<RouteTable>> table = RouteTable::Load(
        {absl::StrCat("tests/gateway/shared_oslo_method_", name, ".pb")},
        "openstack");
    ASSERT_FALSE(table.ok());
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(table.status().message(), expected);
  }
}

TEST(RouteTableTest, NoServiceWithOptionsIsNotFound) {
  // inventory.proto's service has no (amqp.service) options.
  absl::StatusOr<std::unique_ptr<RouteTable>> table =
      RouteTable::Load({kInventorySet}, "openstack");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(table.status().message(), HasSubstr("(amqp.service)"));
  // No set at all, likewise.
  table = RouteTable::Load({}, "openstack");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace amqp::gateway
