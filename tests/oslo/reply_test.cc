// Replies and heartbeats: encoding as oslo's _send_reply does, and decoding.

#include "bridge/oslo/reply.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

TEST(EncodeReplyTest, ResultReplyMatchesCapture) {
  // call_monitor_heartbeat.json, message 3: the final reply.
  OutgoingReply reply;
  reply.result_json = R"("slept 2.6")";
  reply.msg_id = "ad33c79aecc746b4bf8c890de1a65f85";
  reply.unique_id = "eae5c10dec0c43dca3890c79d7b86d7f";
  EXPECT_EQ(EncodeReply(reply),
            testing::VectorBody("call_monitor_heartbeat.json", 3));
}

TEST(EncodeReplyTest, NoneResultMatchesCapture) {
  absl::StatusOr<Reply> captured =
      Reply::Decode(testing::VectorBody("call_returns_none.json", 1));
  ASSERT_TRUE(captured.ok()) << captured.status();
  OutgoingReply reply;  // result_json defaults to null
  reply.msg_id = captured->msg_id();
  reply.unique_id = captured->unique_id();
  EXPECT_EQ(EncodeReply(reply),
            testing::VectorBody("call_returns_none.json", 1));
}

TEST(EncodeReplyTest, HeartbeatMatchesCapture) {
  EXPECT_EQ(EncodeHeartbeat("ad33c79aecc746b4bf8c890de1a65f85",
                            "7a0df39eb1344f2baec95412e307ec6b"),
            testing::VectorBody("call_monitor_heartbeat.json", 1));
}

TEST(EncodeReplyTest, FailureReplyHasNullResultAndAStringFailure) {
  Failure failure = NoSuchMethodFailure("nope");
  OutgoingReply reply;
  reply.result_json = "42";  // ignored: oslo sends null with a failure
  reply.failure = &failure;
  reply.msg_id = "m";
  reply.unique_id = "u";
  std::string inner;
  PyJsonWriter writer(&inner);
  writer.StartObject();
  writer.Key("result");
  writer.Null();
  writer.Key("failure");
  writer.String(EncodeFailure(failure));
  writer.Key("ending");
  writer.Bool(true);
  writer.Key("_msg_id");
  writer.String("m");
  writer.Key("_unique_id");
  writer.String("u");
  writer.EndObject();
  std::string want;
  AppendEnvelope(inner, &want);
  EXPECT_EQ(EncodeReply(reply), want);

  absl::StatusOr<Reply> decoded = Reply::Decode(EncodeReply(reply));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_TRUE(decoded->failure().has_value());
  EXPECT_EQ(decoded->failure()->class_name, "NoSuchMethod");
  EXPECT_EQ(decoded->failure()->message,
            "Endpoint does not support RPC method nope");
  EXPECT_TRUE(decoded->result().IsNull());
  EXPECT_TRUE(decoded->ending());
  EXPECT_FALSE(decoded->is_heartbeat());
}

TEST(ReplyTest, DecodesResultsAndHeartbeats) {
  absl::StatusOr<Reply> heartbeat =
      Reply::Decode(testing::VectorBody("call_monitor_heartbeat.json", 1));
  ASSERT_TRUE(heartbeat.ok()) << heartbeat.status();
  EXPECT_TRUE(heartbeat->is_heartbeat());
  EXPECT_FALSE(heartbeat->ending());
  EXPECT_EQ(heartbeat->msg_id(), "ad33c79aecc746b4bf8c890de1a65f85");

  absl::StatusOr<Reply> result =
      Reply::Decode(testing::VectorBody("call_basic.json", 1));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ending());
  EXPECT_FALSE(result->failure().has_value());
  EXPECT_STREQ(result->result()["server"].GetString(), "host1");

  // A pre-Newton style reply: result without "ending" (counts as false).
  absl::StatusOr<Reply> early =
      Reply::Decode(R"({"result": 1, "failure": null, "_msg_id": "m"})");
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->ending());
  EXPECT_FALSE(early->is_heartbeat());
  // No "result" at all reads as null.
  absl::StatusOr<Reply> bare =
      Reply::Decode(R"({"_msg_id": "m", "ending": true})");
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->result().IsNull());
}

TEST(ReplyTest, DecodesCapturedFailures) {
  absl::StatusOr<Reply> reply =
      Reply::Decode(testing::VectorBody("failure_custom_kwargs.json", 1));
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_TRUE(reply->failure().has_value());
  EXPECT_EQ(reply->failure()->class_name, "VectorError");
  EXPECT_EQ(reply->failure()->module, "vectors_exc");
  EXPECT_EQ(reply->failure()->kwargs_json,
            R"({"code": 42, "detail": "\u00fcber-detail"})");
}

TEST(ReplyTest, RefusedWhenItNamesNoCall) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"result": 1, "ending": true})", "no \"_msg_id\""},
      {R"({"_msg_id": 5})", "\"_msg_id\" is a number"},
      {R"({"oslo.version": "3.0", "oslo.message": "{}"})",
       "unsupported oslo.version"},
  };
  for (const auto& [body, want] : cases) {
    absl::StatusOr<Reply> reply = Reply::Decode(body);
    ASSERT_FALSE(reply.ok()) << body;
    EXPECT_EQ(reply.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(reply.status().message(), HasSubstr(want)) << body;
  }
}

// A reply that names its call but cannot be used ends the call with why.
TEST(ReplyTest, DefectsNameTheField) {
  std::string deep = "1";
  for (int i = 0; i < 64; ++i) deep = absl::StrCat("[", deep, "]");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"_msg_id": "m", "ending": "yes"})", "\"ending\" is a string"},
      {R"({"_msg_id": "m", "failure": {"class": "X"}})",
       "\"failure\" is an object, not a string or null"},
      {R"({"_msg_id": "m", "failure": "not json"})",
       "\"failure\": failure is not JSON"},
      {R"({"_msg_id": "m", "failure": "{\"message\": \"no class\"}"})",
       "no \"class\""},
      {R"({"_msg_id": "m", "_unique_id": 3})", "\"_unique_id\" is a number"},
      {absl::StrCat(R"({"_msg_id": "m", "ending": true, "result": )", deep,
                    "}"),
       "the reply nests JSON deeper than 64 levels"},
  };
  for (const auto& [body, want] : cases) {
    absl::StatusOr<Reply> reply = Reply::Decode(body);
    ASSERT_TRUE(reply.ok()) << body << ": " << reply.status();
    EXPECT_EQ(reply->msg_id(), "m");
    EXPECT_FALSE(reply->is_heartbeat()) << body;
    EXPECT_EQ(reply->defect().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(reply->defect().message(), HasSubstr(want)) << body;
  }
}

TEST(ReplyTest, ValuesSurviveMoves) {
  absl::StatusOr<Reply> decoded =
      Reply::Decode(testing::VectorBody("call_basic.json", 1));
  ASSERT_TRUE(decoded.ok());
  const rapidjson::Value* result = &decoded->result();
  Reply moved = *std::move(decoded);
  Reply again = std::move(moved);
  EXPECT_EQ(&again.result(), result);
  EXPECT_STREQ(
      again.result()["args"]["s"].GetString(),
      "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac "
      "\xf0\x9f\x90\x8d");
}

}  // namespace
}  // namespace amqp::oslo
