// Requests: encoding field by field as oslo's RPCClient does, and decoding.

#include "bridge/oslo/request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/json.h"
#include "tests/oslo/test_util.h"

namespace amqp::oslo {
namespace {

using ::testing::HasSubstr;

// The inner message of an encoded body.
std::string Inner(const std::string& body) {
  JsonDocument doc = NewJsonDocument();
  EXPECT_TRUE(ParseJson(body, &doc).ok());
  EXPECT_STREQ(doc["oslo.version"].GetString(), "2.0");
  return doc["oslo.message"].GetString();
}

TEST(EncodeRequestTest, CallWithEverything) {
  JsonDocument context = NewJsonDocument();
  ASSERT_TRUE(
      ParseJson(R"({"user_id": "u-1", "roles": ["admin"]})", &context).ok());
  OutgoingRequest request;
  request.method = "ns_echo";
  request.args_json = R"({"x": 1})";
  request.namespace_ = "vectors_ns";
  request.version = "1.3";
  request.msg_id = "m1";
  request.reply_q = "reply_q1";
  request.call_monitor_timeout = 2.0;
  request.unique_id = "u1";
  request.context = &context;
  EXPECT_EQ(Inner(EncodeRequest(request)),
            R"({"method": "ns_echo", "args": {"x": 1}, )"
            R"("namespace": "vectors_ns", "version": "1.3", "_msg_id": "m1", )"
            R"("_reply_q": "reply_q1", "_timeout": 2, "_unique_id": "u1", )"
            R"("_context_user_id": "u-1", "_context_roles": ["admin"]})");
  request.call_monitor_timeout = 2.5;
  EXPECT_THAT(Inner(EncodeRequest(request)), HasSubstr(R"("_timeout": 2.5,)"));
  request.call_monitor_timeout.reset();
  EXPECT_THAT(Inner(EncodeRequest(request)), HasSubstr(R"("_timeout": null,)"));
}

TEST(EncodeRequestTest, CastHasNoReplyFields) {
  OutgoingRequest request;
  request.method = "record";
  request.unique_id = "u2";
  EXPECT_EQ(
      EncodeRequest(request),
      R"({"oslo.version": "2.0", "oslo.message": )"
      R"("{\"method\": \"record\", \"args\": {}, \"_unique_id\": \"u2\"}"})");
}

TEST(EncodeRequestTest, GeneratesAUniqueIdWhenEmpty) {
  OutgoingRequest request;
  request.method = "m";
  absl::StatusOr<Request> a = Request::Decode(EncodeRequest(request));
  absl::StatusOr<Request> b = Request::Decode(EncodeRequest(request));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->unique_id().size(), 32u);
  EXPECT_NE(a->unique_id(), b->unique_id());
}

TEST(RequestTest, DecodesACapturedCall) {
  absl::StatusOr<Request> request =
      Request::Decode(testing::VectorBody("call_basic.json", 0));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method(), "echo");
  EXPECT_TRUE(request->is_call());
  EXPECT_EQ(request->msg_id(), "b62c01a57db8431cb58c143d9a57365c");
  EXPECT_EQ(request->reply_q(), "reply_c21a21f4399b464db41d3ba8f62645e8");
  EXPECT_EQ(request->unique_id(), "ac2c87b06dbc452d9738d3fc686f9b4c");
  EXPECT_FALSE(request->call_monitor_timeout().has_value());
  EXPECT_FALSE(request->namespace_().has_value());
  EXPECT_EQ(request->version(), "1.0");
  EXPECT_FALSE(request->version_is_null());
  EXPECT_EQ(request->args()["i"].GetInt(), 42);
  EXPECT_EQ(ToPyJson(request->context()),
            R"({"user_id": "u-1", "project_id": "p-1", )"
            R"("request_id": "req-00000000-0000-0000-0000-000000000001", )"
            R"("roles": ["admin", "member"], "is_admin": false, )"
            R"("custom_key": "\u00fcn\u00ef \u2713"})");
}

TEST(RequestTest, DecodesCastsVersionsAndTimeouts) {
  absl::StatusOr<Request> cast =
      Request::Decode(testing::VectorBody("cast.json", 0));
  ASSERT_TRUE(cast.ok()) << cast.status();
  EXPECT_FALSE(cast->is_call());
  EXPECT_TRUE(cast->msg_id().empty());

  absl::StatusOr<Request> ns =
      Request::Decode(testing::VectorBody("call_version_namespace.json", 0));
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->namespace_(), "vectors_ns");
  EXPECT_EQ(ns->version(), "1.3");

  absl::StatusOr<Request> monitored =
      Request::Decode(testing::VectorBody("call_monitor_heartbeat.json", 0));
  ASSERT_TRUE(monitored.ok()) << monitored.status();
  EXPECT_EQ(monitored->call_monitor_timeout(), 2.0);

  absl::StatusOr<Request> null_version =
      Request::Decode(R"({"method": "m", "version": null, "namespace": null})");
  ASSERT_TRUE(null_version.ok()) << null_version.status();
  EXPECT_TRUE(null_version->version_is_null());
  EXPECT_FALSE(null_version->namespace_().has_value());
  EXPECT_TRUE(null_version->args().IsObject());
  EXPECT_EQ(null_version->args().MemberCount(), 0u);

  // _msg_id without _reply_q: oslo runs it but cannot reply.
  absl::StatusOr<Request> no_reply_q =
      Request::Decode(R"({"method": "m", "_msg_id": "x"})");
  ASSERT_TRUE(no_reply_q.ok());
  EXPECT_FALSE(no_reply_q->is_call());
}

TEST(RequestTest, RefusedWhenNoAnswerCouldReachTheCaller) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"method": "m", "_msg_id": 1})", "\"_msg_id\" is a number"},
      {R"({"method": "m", "_reply_q": []})", "\"_reply_q\" is an array"},
      {"[]", "not a JSON object"},
      {"{", "not JSON"},
  };
  for (const auto& [body, want] : cases) {
    absl::StatusOr<Request> request = Request::Decode(body);
    ASSERT_FALSE(request.ok()) << body;
    EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(request.status().message(), HasSubstr(want)) << body;
  }
}

// A call's own JSON, {"x": {"x": ... 1}} `depth` objects deep inside args.
std::string CallWithArgsNested(int depth) {
  std::string args = "1";
  for (int i = 0; i < depth; ++i) args = absl::StrCat(R"({"x": )", args, "}");
  return absl::StrCat(R"({"method": "m", "args": )", args,
                      R"(, "_msg_id": "id", "_reply_q": "q"})");
}

// What oslo 14's dispatcher raises for these (checked against the real
// server by tests/interop's malformed-request test), with the field named.
TEST(RequestTest, DefectsAreTheFailuresOslosDispatcherRaises) {
  struct Case {
    std::string body;
    std::string failure_class;
    std::string want;
  };
  const std::vector<Case> cases = {
      {R"({"args": {}})", "TypeError", "no \"method\""},
      {R"({"method": 7})", "TypeError", "\"method\" is a number, not a string"},
      {R"({"method": "m", "args": [1]})", "AttributeError",
       "\"args\" is an array, not an object"},
      {R"({"method": "m", "args": null})", "AttributeError",
       "\"args\" is null"},
      {R"({"method": "m", "namespace": 1})", "UnsupportedVersion",
       "does not support RPC version 1.0. Attempted method: m"},
      {R"({"method": "m", "version": 1.0})", "AttributeError",
       "\"version\" is a number"},
      // oslo's order: the endpoint's namespace and version before the method
      // name before the arguments.
      {R"({"args": [1], "version": 2})", "AttributeError", "\"version\""},
      {R"({"args": [1]})", "TypeError", "no \"method\""},
      {CallWithArgsNested(64), "ValueError",
       "the request nests JSON deeper than 64 levels"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Request> request = Request::Decode(c.body);
    ASSERT_TRUE(request.ok()) << c.body << ": " << request.status();
    std::optional<Failure> failure = FailureFromStatus(request->defect());
    ASSERT_TRUE(failure.has_value()) << c.body;
    EXPECT_EQ(failure->class_name, c.failure_class) << c.body;
    EXPECT_THAT(failure->message, HasSubstr(c.want)) << c.body;
  }
}

TEST(RequestTest, ADeepRequestStillNamesItsCaller) {
  // 63 objects in args, 64 levels with the message's own: read whole.
  absl::StatusOr<Request> shallow = Request::Decode(CallWithArgsNested(63));
  ASSERT_TRUE(shallow.ok());
  EXPECT_TRUE(shallow->defect().ok());
  // 100,000 levels are read without recursion, and the caller can be told.
  absl::StatusOr<Request> deep = Request::Decode(CallWithArgsNested(100000));
  ASSERT_TRUE(deep.ok()) << deep.status();
  EXPECT_FALSE(deep->defect().ok());
  EXPECT_TRUE(deep->is_call());
  EXPECT_EQ(deep->msg_id(), "id");
  EXPECT_EQ(deep->reply_q(), "q");
  EXPECT_EQ(deep->method(), "m");
}

TEST(RequestTest, OslosIgnoredFieldsAreIgnored) {
  // oslo runs these calls (the heartbeat thread of the first fails), so
  // they are sound here too: the odd values count as absent.
  absl::StatusOr<Request> timeout =
      Request::Decode(R"({"method": "m", "_timeout": "2"})");
  ASSERT_TRUE(timeout.ok());
  EXPECT_TRUE(timeout->defect().ok());
  EXPECT_FALSE(timeout->call_monitor_timeout().has_value());
  absl::StatusOr<Request> unique =
      Request::Decode(R"({"method": "m", "_unique_id": {}})");
  ASSERT_TRUE(unique.ok());
  EXPECT_TRUE(unique->defect().ok());
  EXPECT_EQ(unique->unique_id(), "");
}

TEST(RequestTest, ValuesSurviveMoves) {
  absl::StatusOr<Request> decoded =
      Request::Decode(testing::VectorBody("call_basic.json", 0));
  ASSERT_TRUE(decoded.ok());
  const absl::string_view method = decoded->method();
  std::vector<Request> requests;
  requests.push_back(*std::move(decoded));
  for (int i = 0; i < 8; ++i)
    requests.push_back(*Request::Decode("{\"method\": \"x\"}"));
  Request moved = std::move(requests[0]);
  EXPECT_EQ(moved.method().data(), method.data());
  EXPECT_EQ(moved.method(), "echo");
  EXPECT_STREQ(moved.context()["user_id"].GetString(), "u-1");
  EXPECT_EQ(moved.args()["neg"].GetInt(), -17);
}

}  // namespace
}  // namespace amqp::oslo
