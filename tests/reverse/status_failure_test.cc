#include "bridge/reverse/status_failure.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace amqp::reverse {
namespace {

using ::testing::ElementsAre;

TEST(StatusFailureTest, ErrorInfoNamesTheException) {
  google::rpc::ErrorInfo info;
  info.set_reason("InstanceNotFound");
  info.set_domain("nova.exception");
  (*info.mutable_metadata())["instance_id"] = "u9";
  google::rpc::Status details;
  details.set_code(5);
  details.add_details()->PackFrom(google::rpc::ErrorInfo());  // no reason
  details.add_details()->PackFrom(info);
  const oslo::Failure failure = FailureFromGrpcStatus(grpc::Status(
      grpc::StatusCode::NOT_FOUND, "Instance u9 could not be found.",
      details.SerializeAsString()));
  EXPECT_EQ(failure.class_name, "InstanceNotFound");
  EXPECT_EQ(failure.module, "nova.exception");
  EXPECT_EQ(failure.message, "Instance u9 could not be found.");
  EXPECT_EQ(failure.args_json, R"(["Instance u9 could not be found."])");
  EXPECT_EQ(failure.kwargs_json, R"({"instance_id": "u9"})");
}

TEST(StatusFailureTest, WithoutErrorInfoTheCodeNamesTheClass) {
  const oslo::Failure failure = FailureFromGrpcStatus(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"));
  EXPECT_EQ(failure.class_name, "UNAVAILABLE");
  EXPECT_EQ(failure.module, oslo::kGrpcFailureModule);
  EXPECT_EQ(failure.kwargs_json, "{}");
  EXPECT_THAT(failure.traceback,
              ElementsAre("gRPC backend: UNAVAILABLE: connection refused\n"));
  // Details that are no google.rpc.Status are ignored, not fatal.
  EXPECT_EQ(FailureFromGrpcStatus(grpc::Status(grpc::StatusCode::INTERNAL, "x",
                                               "\xff\xff not a proto"))
                .class_name,
            "INTERNAL");
  // An ErrorInfo without a domain: module grpc.
  google::rpc::ErrorInfo info;
  info.set_reason("QuotaError");
  google::rpc::Status details;
  details.add_details()->PackFrom(info);
  const oslo::Failure quota = FailureFromGrpcStatus(grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED, "", details.SerializeAsString()));
  EXPECT_EQ(quota.class_name, "QuotaError");
  EXPECT_EQ(quota.module, oslo::kGrpcFailureModule);
}

}  // namespace
}  // namespace amqp::reverse
