// The steps of a bridged call (call_steps.h) on routes loaded from
// descriptor sets as the bridge loads them: request bytes checked without a
// message, arguments and routing read from them, response bytes written
// from an oslo result.

#include "bridge/gateway/call_steps.h"

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/gateway/gateway_env.h"
#include "bridge/gateway/route_table.h"
#include "bridge/oslo/reply.h"
#include "examples/compute.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/call_steps_test.pb.h"
#include "tests/gateway/test_routes.h"

namespace amqp::gateway {
namespace {

using ::testing::StartsWith;

// Runfiles paths; see BUILD.
constexpr char kComputeSet[] =
    "proto/examples/compute_proto_codegen.descriptor_set.pb";
constexpr char kStepsSet[] =
    "tests/gateway/call_steps_test_proto_codegen.descriptor_set.pb";

const RouteTable& Routes() { return TestRoutes({kComputeSet, kStepsSet}); }

const Route& RouteOf(absl::string_view path) {
  const Route* route = Routes().Find(path);
  EXPECT_NE(route, nullptr) << path;
  return *route;
}

grpc::ByteBuffer Buffer(const std::vector<std::string>& pieces) {
  std::vector<grpc::Slice> slices(pieces.begin(), pieces.end());
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::string Flat(const grpc::ByteBuffer& buffer) {
  grpc::Slice slice;
  EXPECT_TRUE(buffer.DumpToSingleSlice(&slice).ok());
  return std::string(reinterpret_cast<const char*>(slice.begin()),
                     slice.size());
}

oslo::Reply ReplyWith(absl::string_view result_json) {
  absl::StatusOr<oslo::Reply> reply = oslo::Reply::Decode(
      oslo::EncodeReply({.result_json = result_json, .msg_id = "m1"}));
  EXPECT_TRUE(reply.ok()) << reply.status();
  return *std::move(reply);
}

TEST(RequestBytesTest, OneSliceIsSharedSeveralAreJoined) {
  examples::compute::PingRequest ping;
  ping.set_payload(std::string(100, 'p'));  // not inlined in the slice
  const std::string bytes = ping.SerializeAsString();
  const grpc::Slice slice(bytes);
  const grpc::ByteBuffer one(&slice, 1);
  RequestBytes request;
  ASSERT_TRUE(
      request.Parse(RouteOf("/examples.compute.Compute/Ping"), one).ok());
  EXPECT_EQ(request.wire().bytes(), bytes);
  EXPECT_EQ(request.wire().bytes().data(),
            reinterpret_cast<const char*>(slice.begin()));  // no copy

  RequestBytes joined;
  ASSERT_TRUE(joined
                  .Parse(RouteOf("/examples.compute.Compute/Ping"),
                         Buffer({bytes.substr(0, 7), bytes.substr(7)}))
                  .ok());
  EXPECT_EQ(joined.wire().bytes(), bytes);

  RequestBytes empty;
  EXPECT_TRUE(
      empty.Parse(RouteOf("/examples.compute.Compute/Ping"), Buffer({})).ok());
  EXPECT_EQ(empty.wire().bytes(), "");
}

TEST(RequestBytesTest, BytesThatAreNoRequestAreInvalidArgument) {
  const Route& route = RouteOf("/examples.compute.Compute/GetInstance");
  for (const std::string& bad :
       {std::string("\xff\xff\xff"), std::string("\x0a\x7fv"),
        std::string("\x0a\x02\xff\xfe")}) {
    RequestBytes request;
    EXPECT_EQ(request.Parse(route, Buffer({bad})),
              absl::InvalidArgumentError("the request bytes are not a valid "
                                         "examples.compute.GetInstanceRequest"))
        << bad;
  }
  // A field with the wrong wire type is an unknown field: a valid request.
  RequestBytes request;
  EXPECT_TRUE(
      request.Parse(route, Buffer({std::string("\x0d\0\0\0\0", 5)})).ok());
}

TEST(RequestBytesTest, Proto2RequiredFieldsMustBeThere) {
  const Route& route = RouteOf("/gw.steps.Steps/Require");
  ASSERT_TRUE(route.request_has_required_fields);
  const absl::Status missing = absl::InvalidArgumentError(
      "the request bytes are not a valid gw.steps.Strict");
  gw::steps::Strict strict;
  RequestBytes no_id;
  EXPECT_EQ(no_id.Parse(route, Buffer({strict.SerializePartialAsString()})),
            missing);
  strict.set_id("i");
  strict.mutable_part();  // its `size` is required too
  RequestBytes no_size;
  EXPECT_EQ(no_size.Parse(route, Buffer({strict.SerializePartialAsString()})),
            missing);
  strict.mutable_part()->set_size(1);
  RequestBytes complete;
  EXPECT_TRUE(complete.Parse(route, Buffer({strict.SerializeAsString()})).ok());
}

TEST(RequestArgumentsTest, TheFieldsButTheServerField) {
  const Route& route = RouteOf("/examples.compute.Compute/GetConsoleOutput");
  examples::compute::GetConsoleOutputRequest console;
  console.set_host("compute-1");
  console.set_instance_uuid("vm-1");
  console.set_tail_length(0);
  RequestBytes request;
  ASSERT_TRUE(request.Parse(route, Buffer({console.SerializeAsString()})).ok());
  absl::StatusOr<std::string> args = request.TakeArguments();
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(*args, R"({"instance_uuid": "vm-1", "tail_length": 0})");
}

TEST(RequestArgumentsTest, WhatJsonCannotCarryIsInvalidArgument) {
  const Route& route = RouteOf("/gw.steps.Steps/Route");
  gw::steps::Loose loose;
  loose.mutable_any()->set_type_url("type.googleapis.com/x.Y");
  RequestBytes request;
  ASSERT_TRUE(request.Parse(route, Buffer({loose.SerializeAsString()})).ok());
  absl::StatusOr<std::string> args = request.TakeArguments();
  EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(args.status().message()),
              StartsWith("cannot send the request as oslo arguments: field "
                         "'any': google.protobuf.Any cannot be sent"));
}

TEST(RequestArgumentsTest, BadBytesWinOverWhatJsonCannotCarry) {
  // The arguments are written while the bytes are checked: bad bytes after
  // the Any are still the answer, as when they were checked first.
  const Route& route = RouteOf("/gw.steps.Steps/Route");
  gw::steps::Loose loose;
  loose.mutable_any()->set_type_url("type.googleapis.com/x.Y");
  const std::string bad_host(
      "\x12\x05"
      "ab");  // host: cut short
  RequestBytes request;
  EXPECT_EQ(
      request.Parse(route, Buffer({loose.SerializeAsString() + bad_host})),
      absl::InvalidArgumentError(
          "the request bytes are not a valid gw.steps.Loose"));
}

TEST(RequestSpecTest, TheServerFieldPicksTheServerUnlessTheHeaderDoes) {
  const Route& console = RouteOf("/examples.compute.Compute/GetConsoleOutput");
  // The host sent twice: the last one, as a parsed message would hold.
  examples::compute::GetConsoleOutputRequest sent;
  sent.set_host("a");
  sent.set_instance_uuid("vm");
  std::string bytes = sent.SerializeAsString();
  sent.Clear();
  sent.set_host("b");
  bytes += sent.SerializeAsString();
  RequestBytes request;
  ASSERT_TRUE(request.Parse(console, Buffer({bytes})).ok());
  CallMetadata metadata;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  rpc::CallSpec spec =
      RequestSpec(GatewayEnv(), console, metadata, request.wire(), deadline);
  EXPECT_EQ(spec.target.topic, "compute");
  EXPECT_EQ(spec.target.server, "b");
  EXPECT_FALSE(spec.target.fanout);
  metadata.server = "x-amqp-server";
  EXPECT_EQ(
      RequestSpec(GatewayEnv(), console, metadata, request.wire(), deadline)
          .target.server,
      "x-amqp-server");

  // A server_field in a oneof that moved on to another member: no server.
  const Route& route = RouteOf("/gw.steps.Steps/Route");
  gw::steps::Loose loose;
  loose.set_host("h");
  std::string moved = loose.SerializeAsString();
  loose.set_cell("c");
  moved += loose.SerializeAsString();
  RequestBytes oneof;
  ASSERT_TRUE(oneof.Parse(route, Buffer({moved})).ok());
  EXPECT_EQ(
      RequestSpec(GatewayEnv(), route, CallMetadata(), oneof.wire(), deadline)
          .target.server,
      "");

  const Route& fanout = RouteOf("/examples.compute.Compute/RefreshCache");
  RequestBytes empty;
  ASSERT_TRUE(empty.Parse(fanout, Buffer({})).ok());
  EXPECT_TRUE(
      RequestSpec(GatewayEnv(), fanout, CallMetadata(), empty.wire(), deadline)
          .target.fanout);
}

TEST(RequestSpecTest, CallMonitorFromTheHeaderElseTheBridgeDefault) {
  const Route& console = RouteOf("/examples.compute.Compute/GetConsoleOutput");
  RequestBytes request;
  ASSERT_TRUE(request.Parse(console, Buffer({""})).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  GatewayEnv env;
  CallMetadata metadata;
  EXPECT_EQ(RequestSpec(env, console, metadata, request.wire(), deadline)
                .call_monitor_timeout,
            absl::ZeroDuration());
  env.call_monitor_timeout = absl::Seconds(30);
  EXPECT_EQ(RequestSpec(env, console, metadata, request.wire(), deadline)
                .call_monitor_timeout,
            absl::Seconds(30));
  metadata.call_monitor = absl::Milliseconds(2500);
  EXPECT_EQ(RequestSpec(env, console, metadata, request.wire(), deadline)
                .call_monitor_timeout,
            absl::Milliseconds(2500));
  // Casts wait for no reply: no monitor.
  const Route& fanout = RouteOf("/examples.compute.Compute/RefreshCache");
  RequestBytes empty;
  ASSERT_TRUE(empty.Parse(fanout, Buffer({})).ok());
  EXPECT_EQ(RequestSpec(env, fanout, metadata, empty.wire(), deadline)
                .call_monitor_timeout,
            absl::ZeroDuration());
}

// ResponseBytes() counts what it ignores in the environment's stats.
class ResponseBytesTest : public ::testing::Test {
 protected:
  ResponseBytesTest() { env.stats = &stats; }
  GatewayStats stats;
  GatewayEnv env;
};

TEST_F(ResponseBytesTest, ResultsBecomeResponseBytes) {
  absl::StatusOr<grpc::ByteBuffer> bytes =
      ResponseBytes(env, RouteOf("/examples.compute.Compute/ListInstances"),
                    ReplyWith(R"([{"name": "vm", "launched_at":
                                   "2026-11-24T08:00:00Z", "extra": 1}])"));
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  examples::compute::ListInstancesResponse list;
  ASSERT_TRUE(list.ParseFromString(Flat(*bytes)));
  ASSERT_EQ(list.instances_size(), 1);
  EXPECT_EQ(list.instances(0).name(), "vm");
  EXPECT_EQ(list.instances(0).launched_at().seconds(), 1795507200);
  EXPECT_EQ(stats.unknown_result_keys.load(), 1);

  bytes =
      ResponseBytes(env, RouteOf("/examples.compute.Compute/GetConsoleOutput"),
                    ReplyWith(R"("console text")"));
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  examples::compute::ConsoleOutput console;
  ASSERT_TRUE(console.ParseFromString(Flat(*bytes)));
  EXPECT_EQ(console.output(), "console text");
}

TEST_F(ResponseBytesTest, AResultThatDoesNotFitIsInternal) {
  absl::StatusOr<grpc::ByteBuffer> bytes =
      ResponseBytes(env, RouteOf("/examples.compute.Compute/GetInstance"),
                    ReplyWith(R"({"uuid": "u", "name": 5})"));
  EXPECT_EQ(bytes.status(),
            absl::InternalError("the result of 'get_instance' does not fit "
                                "examples.compute.Instance: field 'name': "
                                "expected a string, got a number"));
}

TEST(ToByteBufferTest, KeepsTheBytes) {
  EXPECT_EQ(Flat(ToByteBuffer(std::string("\0a\xff", 3))),
            std::string("\0a\xff", 3));
  const grpc::ByteBuffer empty = ToByteBuffer("");
  EXPECT_TRUE(empty.Valid());  // an empty message, not no message
  EXPECT_EQ(empty.Length(), 0u);
}

}  // namespace
}  // namespace amqp::gateway
