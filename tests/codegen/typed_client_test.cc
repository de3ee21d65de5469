// The generated typed client (ComputeClient) against the real Python
// oslo.messaging example server (examples/python/compute_server.py).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/json.h"
#include "bridge/rpc/rpc_client.h"
#include "examples/compute.amqp.h"
#include "tests/testing/broker.h"
#include "tests/testing/child_process.h"

namespace examples::compute {
namespace {

using ::testing::HasSubstr;

class TypedClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    amqp::testing::RequireBroker();
    topic_ = new std::string(amqp::testing::UniqueName("typed_client"));
    server_ = new amqp::testing::ChildProcess(
        {"/usr/bin/python3",
         amqp::testing::Runfile("examples/python/compute_server.py"), "--topic",
         *topic_, "--server", "host1"});
    absl::Status ready = server_->WaitForOutput("ready", absl::Seconds(30));
    ASSERT_TRUE(ready.ok()) << ready;
    amqp::rpc::RpcClient::Options options;
    options.url = amqp::testing::BrokerUrl();
    rpc_ = new amqp::rpc::RpcClient(options);
    ASSERT_TRUE(rpc_->WaitReady(absl::Seconds(10)));
  }
  static void TearDownTestSuite() {
    delete rpc_;
    delete server_;  // stops it by PID
    delete topic_;
  }

  ComputeClient Client() const {
    amqp::rpc::CallSpec spec = ComputeClient::DefaultSpec();
    spec.target.topic = *topic_;
    spec.timeout = absl::Seconds(10);
    return ComputeClient(rpc_, spec);
  }

  static std::string* topic_;
  static amqp::testing::ChildProcess* server_;
  static amqp::rpc::RpcClient* rpc_;
};

std::string* TypedClientTest::topic_ = nullptr;
amqp::testing::ChildProcess* TypedClientTest::server_ = nullptr;
amqp::rpc::RpcClient* TypedClientTest::rpc_ = nullptr;

TEST_F(TypedClientTest, CallDecodesTheResultIntoTheResponse) {
  GetInstanceRequest request;
  request.set_instance_uuid("vm-2");
  absl::StatusOr<Instance> instance = Client().GetInstance(request);
  ASSERT_TRUE(instance.ok()) << instance.status();
  EXPECT_EQ(instance->name(), "db");
  EXPECT_EQ(instance->host(), "host1");
  EXPECT_EQ(instance->power_state(), SHUTDOWN);  // sent as "SHUTDOWN"
  EXPECT_EQ(instance->flavor().memory_mb(), 8192);
  EXPECT_EQ(instance->flavor().extra_specs().at("hw:cpu_policy"), "dedicated");
  EXPECT_TRUE(instance->metadata().fields().at("backup").bool_value());

  request.set_instance_uuid("vm-1");
  instance = Client().GetInstance(request);
  ASSERT_TRUE(instance.ok()) << instance.status();
  // "2026-11-24T08:00:00Z"
  EXPECT_EQ(instance->launched_at().seconds(), 1795507200);
  EXPECT_THAT(instance->tags(), ::testing::ElementsAre("frontend"));
}

TEST_F(TypedClientTest, ResultFieldTakesAListOrAScalar) {
  ListInstancesRequest list;
  list.set_power_state(RUNNING);
  absl::StatusOr<ListInstancesResponse> running = Client().ListInstances(list);
  ASSERT_TRUE(running.ok()) << running.status();
  ASSERT_EQ(running->instances_size(), 1);
  EXPECT_EQ(running->instances(0).uuid(), "vm-1");

  GetConsoleOutputRequest console;
  console.set_host("host1");  // routes to <topic>.host1
  console.set_instance_uuid("vm-1");
  console.set_tail_length(2);
  absl::StatusOr<ConsoleOutput> output = Client().GetConsoleOutput(console);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->output(),
            "[    0.03] web boot line 3\n[    0.04] web boot line 4");
}

TEST_F(TypedClientTest, VersionedMethodAndLargeIntegers) {
  GetDiagnosticsRequest request;
  request.set_instance_uuid("vm-1");
  absl::StatusOr<Diagnostics> diagnostics = Client().GetDiagnostics(request);
  ASSERT_TRUE(diagnostics.ok()) << diagnostics.status();
  ASSERT_EQ(diagnostics->nics_size(), 1);
  EXPECT_EQ(diagnostics->nics(0).rx_octets(), uint64_t{1} << 40);
  EXPECT_DOUBLE_EQ(diagnostics->cpu_utilisation(), 0.25);
}

TEST_F(TypedClientTest, ServerExceptionsBecomeStatuses) {
  GetInstanceRequest request;
  request.set_instance_uuid("vm-404");
  absl::StatusOr<Instance> missing = Client().GetInstance(request);
  ASSERT_FALSE(missing.ok());
  // InstanceNotFound: a class name ending in NotFound.
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(),
              HasSubstr("Instance vm-404 could not be found."));
  std::optional<amqp::oslo::Failure> failure =
      amqp::oslo::FailureFromStatus(missing.status());
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->class_name, "InstanceNotFound");

  request.set_instance_uuid("vm-1");
  absl::StatusOr<Instance> too_new =
      Client().Prepare("", "6.0").GetInstance(request);
  EXPECT_EQ(too_new.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(too_new.status().message(), HasSubstr("6.0"));
}

TEST_F(TypedClientTest, VersionCapSendsTheFallbackOrRefuses) {
  amqp::rpc::RpcClient::Options options;
  options.url = amqp::testing::BrokerUrl();
  ASSERT_TRUE(options.version_caps.Set(*topic_, "5.0").ok());
  amqp::rpc::RpcClient capped_rpc(options);
  ASSERT_TRUE(capped_rpc.WaitReady(absl::Seconds(10)));
  amqp::rpc::CallSpec spec = ComputeClient::DefaultSpec();
  spec.target.topic = *topic_;
  spec.timeout = absl::Seconds(10);
  const ComputeClient capped(&capped_rpc, spec);
  EXPECT_TRUE(capped.CanSendVersion("5.0"));
  EXPECT_FALSE(capped.CanSendVersion("5.1"));
  EXPECT_TRUE(Client().CanSendVersion("5.1"));  // rpc_ has no cap

  // GetDiagnostics (5.1) falls back to 5.0 and is answered.
  GetDiagnosticsRequest diagnostics;
  diagnostics.set_instance_uuid("vm-1");
  absl::StatusOr<Diagnostics> answered = capped.GetDiagnostics(diagnostics);
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_DOUBLE_EQ(answered->cpu_utilisation(), 0.25);

  // A 5.1 call without a fallback is refused before it is sent.
  GetInstanceRequest request;
  request.set_instance_uuid("vm-1");
  absl::StatusOr<Instance> refused =
      capped.Prepare("", "5.1").GetInstance(request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("'get_instance' needs version 5.1 but topic"));
  EXPECT_THAT(refused.status().message(), HasSubstr("is capped at 5.0"));
}

TEST_F(TypedClientTest, PrepareSetsTheCallMonitor) {
  const ComputeClient monitored =
      Client().Prepare("", std::nullopt, std::nullopt, absl::Seconds(4));
  EXPECT_EQ(monitored.spec().call_monitor_timeout, absl::Seconds(4));
  // oslo hands `_timeout` to the endpoint as ctxt["client_timeout"].
  absl::StatusOr<google::protobuf::Struct> context =
      monitored.GetCallerContext(google::protobuf::Empty());
  ASSERT_TRUE(context.ok()) << context.status();
  ASSERT_TRUE(context->fields().contains("client_timeout"));
  EXPECT_EQ(context->fields().at("client_timeout").number_value(), 4);
  // Zero turns the monitor off again: no `_timeout`, a null client_timeout.
  context =
      monitored.Prepare("", std::nullopt, std::nullopt, absl::ZeroDuration())
          .GetCallerContext(google::protobuf::Empty());
  ASSERT_TRUE(context.ok()) << context.status();
  ASSERT_TRUE(context->fields().contains("client_timeout"));
  EXPECT_EQ(context->fields().at("client_timeout").kind_case(),
            google::protobuf::Value::kNullValue);
}

TEST_F(TypedClientTest, CastsReachTheServer) {
  amqp::oslo::JsonDocument context = amqp::oslo::NewJsonDocument();
  ASSERT_TRUE(
      amqp::oslo::ParseJson(R"({"request_id": "req-typed"})", &context).ok());
  RebootInstanceRequest reboot;
  reboot.set_host("host1");
  reboot.set_instance_uuid("vm-2");
  reboot.set_reboot_type(RebootInstanceRequest::HARD);
  ASSERT_TRUE(Client().RebootInstance(reboot, &context).ok());
  EXPECT_TRUE(server_
                  ->WaitForOutput("cast reboot_instance vm-2 HARD (request "
                                  "req-typed)",
                                  absl::Seconds(10))
                  .ok());

  RefreshCacheRequest refresh;
  refresh.set_reason("typed client test");
  ASSERT_TRUE(Client().RefreshCache(refresh).ok());
  EXPECT_TRUE(server_
                  ->WaitForOutput("fanout refresh_cache 'typed client test'",
                                  absl::Seconds(10))
                  .ok());
}

TEST_F(TypedClientTest, CastToAHostWithNoServerFailsAtOnce) {
  RebootInstanceRequest reboot;
  reboot.set_host("no-such-host");
  reboot.set_instance_uuid("vm-1");
  EXPECT_EQ(Client().RebootInstance(reboot).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(TypedClientTest, AsyncCallsRunDoneWithTheResponseOrTheError) {
  struct Outcome {
    absl::Notification done;
    absl::StatusOr<Instance> instance = absl::UnknownError("done not run");
  };
  Outcome found;
  Outcome missing;
  GetInstanceRequest request;
  request.set_instance_uuid("vm-2");
  Client().GetInstanceAsync(request, nullptr,
                            [&found](absl::StatusOr<Instance> instance) {
                              found.instance = std::move(instance);
                              found.done.Notify();
                            });
  request.set_instance_uuid("vm-404");
  Client().GetInstanceAsync(request, nullptr,
                            [&missing](absl::StatusOr<Instance> instance) {
                              missing.instance = std::move(instance);
                              missing.done.Notify();
                            });
  ASSERT_TRUE(found.done.WaitForNotificationWithTimeout(absl::Seconds(15)));
  ASSERT_TRUE(missing.done.WaitForNotificationWithTimeout(absl::Seconds(15)));
  ASSERT_TRUE(found.instance.ok()) << found.instance.status();
  EXPECT_EQ(found.instance->name(), "db");
  EXPECT_EQ(found.instance->host(), "host1");
  EXPECT_EQ(missing.instance.status().code(), absl::StatusCode::kNotFound);
}

// PublishWatchEvents is a fanout cast of "instance_event": a Python
// oslo.messaging server of the topic gets it as a method call with the
// event's fields as keyword arguments.
TEST_F(TypedClientTest, PublishReachesPythonServersOfTheTopic) {
  const std::string topic = amqp::testing::UniqueName("typed_publish");
  amqp::testing::ChildProcess watcher({"/usr/bin/python3", "-c",
                                       R"py(import sys
import oslo_messaging
from oslo_config import cfg

class Events:
    target = oslo_messaging.Target(version="5.0")  # the service's version

    def instance_event(self, ctxt, instance_uuid, event, host):
        print(f"event {instance_uuid} {event} {host} "
              f"(request {ctxt.get('request_id')})", flush=True)

transport = oslo_messaging.get_rpc_transport(cfg.CONF, url=sys.argv[1])
server = oslo_messaging.get_rpc_server(
    transport, oslo_messaging.Target(topic=sys.argv[2], server="watcher"),
    [Events()], executor="threading")
server.start()
print("ready", flush=True)
server.wait()
)py",
                                       amqp::testing::kBrokerUrl, topic});
  absl::Status ready = watcher.WaitForOutput("ready", absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready;

  amqp::rpc::CallSpec spec = ComputeClient::DefaultSpec();
  spec.target.topic = topic;
  ComputeClient client(rpc_, spec);
  amqp::oslo::JsonDocument context = amqp::oslo::NewJsonDocument();
  ASSERT_TRUE(
      amqp::oslo::ParseJson(R"({"request_id": "req-event"})", &context).ok());
  InstanceEvent event;
  event.set_instance_uuid("vm-1");
  event.set_event("started");
  event.set_host("host9");
  ASSERT_TRUE(client.PublishWatchEvents(event, &context).ok());
  absl::Status seen = watcher.WaitForOutput(
      "event vm-1 started host9 (request req-event)", absl::Seconds(10));
  EXPECT_TRUE(seen.ok()) << seen;
}

}  // namespace
}  // namespace examples::compute
