// Statuses of generated endpoints: a plain grpc::Status keeps its code and
// message; one made by ServiceException reaches oslo callers as the
// service's own exception class, module and kwargs.

#include "bridge/stubs/grpc_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/oslo/failure.h"

namespace amqp::stubs {
namespace {

using ::testing::ElementsAre;

TEST(GrpcStatus, APlainStatusKeepsCodeAndMessage) {
  absl::Status status =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "no vm-1"));
  EXPECT_EQ(status, absl::NotFoundError("no vm-1"));
  EXPECT_FALSE(oslo::FailureFromStatus(status).has_value());
}

TEST(GrpcStatus, AServiceExceptionBecomesThatOsloFailure) {
  absl::Status status = FromGrpcStatus(ServiceException(
      grpc::StatusCode::NOT_FOUND, "Instance u-1 could not be found.",
      "nova.exception", "InstanceNotFound",
      {{"instance_id", "u-1"}, {"code", "404"}}));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);  // by the class
  std::optional<oslo::Failure> failure = oslo::FailureFromStatus(status);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->class_name, "InstanceNotFound");
  EXPECT_EQ(failure->module, "nova.exception");
  EXPECT_EQ(failure->message, "Instance u-1 could not be found.");
  EXPECT_EQ(failure->args_json, "[\"Instance u-1 could not be found.\"]");
  // Sorted keys: the same bytes on every run.
  EXPECT_EQ(failure->kwargs_json,
            "{\"code\": \"404\", \"instance_id\": \"u-1\"}");
  EXPECT_THAT(failure->traceback,
              ElementsAre("nova.exception.InstanceNotFound: Instance u-1 "
                          "could not be found.\n"));
}

TEST(GrpcStatus, TheCodeFollowsTheClassNotTheStatus) {
  absl::Status status =
      FromGrpcStatus(ServiceException(grpc::StatusCode::INTERNAL, "bad flavor",
                                      "nova.exception", "InvalidFlavor"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(oslo::FailureFromStatus(status)->kwargs_json, "{}");
}

TEST(GrpcStatus, DetailsWithoutAnErrorInfoAreIgnored) {
  EXPECT_EQ(FromGrpcStatus(grpc::Status(grpc::StatusCode::ABORTED, "busy",
                                        "not a google.rpc.Status")),
            absl::AbortedError("busy"));
  // A reason-less ErrorInfo names no class.
  grpc::Status empty = ServiceException(grpc::StatusCode::UNAVAILABLE, "down",
                                        "nova.exception", "");
  EXPECT_EQ(FromGrpcStatus(empty), absl::UnavailableError("down"));
}

}  // namespace
}  // namespace amqp::stubs
