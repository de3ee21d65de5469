// Failures: oslo's serialisation, the dispatcher's own errors, and the
// failure <-> absl::Status mapping from the design's table.

#include "bridge/oslo/failure.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "bridge/oslo/json.h"
#include "tests/oslo/test_util.h"

namespace amqp::oslo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The "failure" string of the reply (message 1) of a failure_* vector.
std::string CapturedFailure(absl::string_view file) {
  JsonDocument vector = testing::LoadVector(file);
  const rapidjson::Value& reply = vector["messages"][1];
  EXPECT_STREQ(reply["kind"].GetString(), "reply");
  const rapidjson::Value& failure = reply["oslo_message_decoded"]["failure"];
  return std::string(failure.GetString(), failure.GetStringLength());
}

TEST(FailureTest, ReencodesEveryCapturedFailureByteForByte) {
  for (const char* file :
       {"failure_builtin_valueerror.json", "failure_custom_kwargs.json",
        "failure_expected_exception.json", "failure_namespace_mismatch.json",
        "failure_no_such_method.json", "failure_private_method.json",
        "failure_unsupported_version.json"}) {
    const std::string captured = CapturedFailure(file);
    absl::StatusOr<Failure> failure = DecodeFailure(captured);
    ASSERT_TRUE(failure.ok()) << file << ": " << failure.status();
    EXPECT_EQ(EncodeFailure(*failure), captured) << file;
  }
}

TEST(FailureTest, DecodesFields) {
  absl::StatusOr<Failure> failure =
      DecodeFailure(CapturedFailure("failure_builtin_valueerror.json"));
  ASSERT_TRUE(failure.ok());
  EXPECT_EQ(failure->class_name, "ValueError");
  EXPECT_EQ(failure->module, "builtins");
  ASSERT_FALSE(failure->traceback.empty());
  EXPECT_EQ(failure->traceback.front(), "Traceback (most recent call last):\n");
  EXPECT_EQ(failure->kwargs_json, "{}");
}

// The dispatcher failures must equal oslo's, except for the traceback.
void ExpectSameButTraceback(const Failure& ours, absl::string_view file) {
  absl::StatusOr<Failure> theirs = DecodeFailure(CapturedFailure(file));
  ASSERT_TRUE(theirs.ok()) << file;
  EXPECT_EQ(ours.class_name, theirs->class_name) << file;
  EXPECT_EQ(ours.module, theirs->module) << file;
  EXPECT_EQ(ours.message, theirs->message) << file;
  EXPECT_EQ(ours.args_json, theirs->args_json) << file;
  EXPECT_EQ(ours.kwargs_json, theirs->kwargs_json) << file;
  // Our one-line tb is oslo's last line.
  ASSERT_EQ(ours.traceback.size(), 1u);
  EXPECT_EQ(ours.traceback[0], theirs->traceback.back()) << file;
}

TEST(FailureTest, DispatcherFailuresMatchOslo) {
  ExpectSameButTraceback(NoSuchMethodFailure("no_such_method"),
                         "failure_no_such_method.json");
  ExpectSameButTraceback(NoSuchMethodFailure("_private"),
                         "failure_private_method.json");
  ExpectSameButTraceback(UnsupportedVersionFailure("2.0", "echo"),
                         "failure_unsupported_version.json");
  ExpectSameButTraceback(UnsupportedVersionFailure("1.0", "echo"),
                         "failure_namespace_mismatch.json");
  EXPECT_EQ(UnsupportedVersionFailure("None").message,
            "Endpoint does not support RPC version None");
}

TEST(FailureTest, RemoteSuffixIsStrippedWhenBothNamesCarryIt) {
  Failure relayed;
  relayed.class_name = "VectorError_Remote";
  relayed.module = "vectors_exc_Remote";
  relayed.message = "m";
  const std::string encoded = EncodeFailure(relayed);
  EXPECT_EQ(encoded, R"({"class": "VectorError", "module": "vectors_exc", )"
                     R"("message": "m", "tb": [], "args": [], "kwargs": {}})");
  absl::StatusOr<Failure> decoded = DecodeFailure(
      R"({"class": "VectorError_Remote", "module": "vectors_exc_Remote"})");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->class_name, "VectorError");
  EXPECT_EQ(decoded->module, "vectors_exc");
  // Only one of them: a genuine name, kept (oslo's rule).
  decoded = DecodeFailure(R"({"class": "Odd_Remote", "module": "m"})");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->class_name, "Odd_Remote");
}

TEST(FailureTest, DecodeIsLenientOnOptionalFieldsAndStrictOnTypes) {
  absl::StatusOr<Failure> minimal = DecodeFailure(R"({"class": "X"})");
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->module, "");
  EXPECT_EQ(minimal->args_json, "[]");
  EXPECT_EQ(minimal->kwargs_json, "{}");
  absl::StatusOr<Failure> old_tb =
      DecodeFailure(R"({"class": "X", "tb": "one string"})");
  ASSERT_TRUE(old_tb.ok());
  EXPECT_THAT(old_tb->traceback, ElementsAre("one string"));
  for (const char* bad :
       {"[]", "nope", R"({"class": 1})", R"({"module": "m"})",
        R"({"class": "X", "tb": [1]})", R"({"class": "X", "message": []})"}) {
    absl::StatusOr<Failure> f = DecodeFailure(bad);
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(f.status().message(), HasSubstr("failure")) << bad;
  }
}

TEST(FailureTest, StatusCodeTable) {
  using C = absl::StatusCode;
  EXPECT_EQ(StatusCodeForFailureClass("NoSuchMethod"), C::kUnimplemented);
  EXPECT_EQ(StatusCodeForFailureClass("UnsupportedVersion"), C::kUnimplemented);
  EXPECT_EQ(StatusCodeForFailureClass("MessagingTimeout"),
            C::kDeadlineExceeded);
  EXPECT_EQ(StatusCodeForFailureClass("InstanceNotFound"), C::kNotFound);
  EXPECT_EQ(StatusCodeForFailureClass("ValueError"), C::kInvalidArgument);
  EXPECT_EQ(StatusCodeForFailureClass("TypeError"), C::kInvalidArgument);
  EXPECT_EQ(StatusCodeForFailureClass("InvalidInput"), C::kInvalidArgument);
  EXPECT_EQ(StatusCodeForFailureClass("PolicyForbidden"), C::kPermissionDenied);
  EXPECT_EQ(StatusCodeForFailureClass("NotAuthorized"), C::kPermissionDenied);
  EXPECT_EQ(StatusCodeForFailureClass("InstanceExists"), C::kAlreadyExists);
  EXPECT_EQ(StatusCodeForFailureClass("Conflict"), C::kAlreadyExists);
  EXPECT_EQ(StatusCodeForFailureClass("VolumeOverQuota"),
            C::kResourceExhausted);
  EXPECT_EQ(StatusCodeForFailureClass("QuotaError"), C::kResourceExhausted);
  EXPECT_EQ(StatusCodeForFailureClass("VectorError"), C::kUnknown);
  EXPECT_EQ(StatusCodeForFailureClass("KeyError"), C::kUnknown);
  EXPECT_EQ(StatusCodeForFailureClass("InstanceNotFound_Remote"), C::kNotFound);
}

TEST(FailureTest, StatusRoundTrip) {
  absl::StatusOr<Failure> original =
      DecodeFailure(CapturedFailure("failure_custom_kwargs.json"));
  ASSERT_TRUE(original.ok());
  const absl::Status status = FailureToStatus(*original);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(status.message(), "custom failure happened");
  std::optional<Failure> back = FailureFromStatus(status);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(EncodeFailure(*back), EncodeFailure(*original));
  EXPECT_EQ(FailureFromStatusOrDefault(status).class_name, "VectorError");

  const absl::Status unimplemented =
      FailureToStatus(UnsupportedVersionFailure("6.0", "get"));
  EXPECT_EQ(unimplemented.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(unimplemented.message(), HasSubstr("6.0"));
  EXPECT_FALSE(FailureFromStatus(absl::NotFoundError("plain")).has_value());
  EXPECT_FALSE(FailureFromStatus(absl::OkStatus()).has_value());
}

TEST(FailureTest, DefaultFailureFromAPlainStatus) {
  Failure f = FailureFromStatusOrDefault(
      absl::InvalidArgumentError("add needs integers a and b"));
  EXPECT_EQ(f.class_name, "InvalidArgument");
  EXPECT_EQ(f.module, kBridgeFailureModule);
  EXPECT_EQ(f.message, "add needs integers a and b");
  EXPECT_EQ(f.args_json, R"(["add needs integers a and b"])");
  EXPECT_EQ(f.kwargs_json, "{}");
  EXPECT_THAT(f.traceback,
              ElementsAre("grpc_amqp_bridge.InvalidArgument: add needs "
                          "integers a and b\n"));
  // The made-up classes map back onto the same code, every one of them.
  for (int number = 1; number <= 16; ++number) {
    const auto code = static_cast<absl::StatusCode>(number);
    const Failure made = FailureFromStatusOrDefault(absl::Status(code, "x"));
    EXPECT_EQ(FailureToStatus(made).code(), code) << made.class_name;
  }
  EXPECT_EQ(FailureFromStatusOrDefault(absl::InternalError("")).message,
            "INTERNAL");
  EXPECT_EQ(FailureFromStatusOrDefault(absl::InternalError("boom")).class_name,
            "Internal");
}

TEST(FailureTest, GrpcBackendFailuresKeepTheirCode) {
  // The reverse direction's failures (class = the code's name, module
  // "grpc") map back onto that code when a gRPC client calls through both
  // directions; elsewhere such a class means nothing special.
  for (int number = 1; number <= 16; ++number) {
    const auto code = static_cast<absl::StatusCode>(number);
    Failure failure;
    failure.class_name = absl::StatusCodeToString(code);
    failure.module = kGrpcFailureModule;
    EXPECT_EQ(StatusCodeForFailure(failure), code) << failure.class_name;
  }
  Failure other;
  other.class_name = "NOT_FOUND";
  other.module = "somewhere.else";
  EXPECT_EQ(StatusCodeForFailure(other), absl::StatusCode::kUnknown);
}

}  // namespace
}  // namespace amqp::oslo
