// ErrorMapper: the design's default table, operator overrides, their
// validation, tracebacks, plain statuses, and the google.rpc.Status details
// as clients decode them (also through a real gRPC call).

#include "bridge/gateway/error_mapping.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bridge/oslo/failure.h"
#include "bridge/rpc/version.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace amqp::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::Status FailureStatus(const std::string& class_name,
                           const std::string& module = "nova.exception",
                           const std::string& message = "it failed") {
  oslo::Failure failure;
  failure.class_name = class_name;
  failure.module = module;
  failure.message = message;
  failure.traceback = {"Traceback (most recent call last):\n",
                       "  File \"/srv/nova/compute.py\", line 42, in get\n",
                       "    raise exc\n",
                       absl::StrCat(class_name, ": ", message, "\n")};
  return oslo::FailureToStatus(failure);
}

ErrorMapper Defaults() {
  absl::StatusOr<ErrorMapper> mapper = ErrorMapper::Create("", false);
  EXPECT_TRUE(mapper.ok()) << mapper.status();
  return *std::move(mapper);
}

struct Decoded {
  google::rpc::Status status;
  google::rpc::ErrorInfo info;
};

// What a gRPC client does with grpc-status-details-bin.
Decoded Decode(const grpc::Status& status) {
  Decoded out;
  EXPECT_TRUE(out.status.ParseFromString(status.error_details()));
  EXPECT_EQ(out.status.details_size(), 1);
  if (out.status.details_size() > 0) {
    EXPECT_EQ(out.status.details(0).type_url(),
              "type.googleapis.com/google.rpc.ErrorInfo");
    EXPECT_TRUE(out.status.details(0).UnpackTo(&out.info));
  }
  return out;
}

struct DefaultCase {
  const char* class_name;
  grpc::StatusCode code;
};

class DefaultTableTest : public ::testing::TestWithParam<DefaultCase> {};

TEST_P(DefaultTableTest, FailureClassGetsTheDesignsCode) {
  const DefaultCase& c = GetParam();
  grpc::Status status = Defaults().ToGrpc(
      FailureStatus(c.class_name, "nova.exception", "Instance x is gone"));
  EXPECT_EQ(status.error_code(), c.code) << c.class_name;
  EXPECT_EQ(status.error_message(), "Instance x is gone");
  Decoded d = Decode(status);
  EXPECT_EQ(d.status.code(), static_cast<int>(c.code));
  EXPECT_EQ(d.status.message(), "Instance x is gone");
  EXPECT_EQ(d.info.reason(), c.class_name);
  EXPECT_EQ(d.info.domain(), "nova.exception");
}

INSTANTIATE_TEST_SUITE_P(
    Design, DefaultTableTest,
    ::testing::Values(
        DefaultCase{"NoSuchMethod", grpc::StatusCode::UNIMPLEMENTED},
        DefaultCase{"UnsupportedVersion", grpc::StatusCode::UNIMPLEMENTED},
        DefaultCase{"MessagingTimeout", grpc::StatusCode::DEADLINE_EXCEEDED},
        DefaultCase{"InstanceNotFound", grpc::StatusCode::NOT_FOUND},
        DefaultCase{"NotFound", grpc::StatusCode::NOT_FOUND},
        DefaultCase{"ValueError", grpc::StatusCode::INVALID_ARGUMENT},
        DefaultCase{"TypeError", grpc::StatusCode::INVALID_ARGUMENT},
        DefaultCase{"InvalidInput", grpc::StatusCode::INVALID_ARGUMENT},
        DefaultCase{"Forbidden", grpc::StatusCode::PERMISSION_DENIED},
        DefaultCase{"PolicyForbidden", grpc::StatusCode::PERMISSION_DENIED},
        DefaultCase{"ActionNotAuthorized", grpc::StatusCode::PERMISSION_DENIED},
        DefaultCase{"InstanceExists", grpc::StatusCode::ALREADY_EXISTS},
        DefaultCase{"PortConflict", grpc::StatusCode::ALREADY_EXISTS},
        DefaultCase{"ProjectOverQuota", grpc::StatusCode::RESOURCE_EXHAUSTED},
        DefaultCase{"VolumeQuotaError", grpc::StatusCode::RESOURCE_EXHAUSTED},
        DefaultCase{"RuntimeError", grpc::StatusCode::UNKNOWN},
        DefaultCase{"KeyError", grpc::StatusCode::UNKNOWN},
        // Patterns are suffixes/prefixes, not substrings.
        DefaultCase{"NotFoundHere", grpc::StatusCode::UNKNOWN},
        DefaultCase{"MyInvalidThing", grpc::StatusCode::UNKNOWN}));

TEST(ErrorMapperTest, OkIsOk) {
  grpc::Status status = Defaults().ToGrpc(absl::OkStatus());
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.error_details(), "");
}

TEST(ErrorMapperTest, RemoteSuffixIsIgnoredForTheCode) {
  EXPECT_EQ(
      Defaults().ToGrpc(FailureStatus("InstanceNotFound_Remote")).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Defaults().CodeForFailureClass("ValueError_Remote"),
            absl::StatusCode::kInvalidArgument);
}

TEST(ErrorMapperTest, ACppEndpointsCodeSurvivesTheTrip) {
  // What a generated C++ endpoint's non-OK status becomes on the wire.
  for (absl::StatusCode code :
       {absl::StatusCode::kUnimplemented, absl::StatusCode::kUnauthenticated,
        absl::StatusCode::kFailedPrecondition, absl::StatusCode::kInternal,
        absl::StatusCode::kAborted, absl::StatusCode::kNotFound}) {
    const oslo::Failure failure =
        oslo::FailureFromStatusOrDefault(absl::Status(code, "from C++"));
    const grpc::Status status =
        Defaults().ToGrpc(oslo::FailureToStatus(failure));
    EXPECT_EQ(static_cast<int>(status.error_code()), static_cast<int>(code))
        << failure.class_name;
    EXPECT_EQ(Decode(status).info.domain(), oslo::kBridgeFailureModule);
  }
  // The same class names from another module follow the table.
  EXPECT_EQ(Defaults().ToGrpc(FailureStatus("Unimplemented")).error_code(),
            grpc::StatusCode::UNKNOWN);
  // Overrides still come first.
  absl::StatusOr<ErrorMapper> mapper =
      ErrorMapper::Create("Unimplemented=ABORTED", false);
  ASSERT_TRUE(mapper.ok());
  EXPECT_EQ(mapper
                ->ToGrpc(oslo::FailureToStatus(oslo::FailureFromStatusOrDefault(
                    absl::UnimplementedError("x"))))
                .error_code(),
            grpc::StatusCode::ABORTED);
}

TEST(ErrorMapperTest, OverridesWinOverTheDefaults) {
  absl::StatusOr<ErrorMapper> mapper = ErrorMapper::Create(
      "QuotaExceeded=RESOURCE_EXHAUSTED,*Gone=NOT_FOUND,MyError*=ABORTED,"
      "ValueError=FAILED_PRECONDITION,*NotFound=UNAVAILABLE",
      false);
  ASSERT_TRUE(mapper.ok()) << mapper.status();
  const auto code = [&](const char* class_name) {
    return mapper->ToGrpc(FailureStatus(class_name)).error_code();
  };
  EXPECT_EQ(code("QuotaExceeded"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(code("ImageGone"), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code("Gone"), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code("MyError"), grpc::StatusCode::ABORTED);
  EXPECT_EQ(code("MyErrorWithDetails"), grpc::StatusCode::ABORTED);
  EXPECT_EQ(code("ValueError"), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(code("InstanceNotFound"), grpc::StatusCode::UNAVAILABLE);
  // Not overridden: the defaults still apply.
  EXPECT_EQ(code("TypeError"), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code("QuotaExceededSoon"), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(code("NotMyError"), grpc::StatusCode::UNKNOWN);
  // The details still name the class and module.
  Decoded d = Decode(mapper->ToGrpc(FailureStatus("ImageGone", "glance.exc")));
  EXPECT_EQ(d.info.reason(), "ImageGone");
  EXPECT_EQ(d.info.domain(), "glance.exc");
  EXPECT_EQ(d.status.code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

TEST(ErrorMapperTest, ExactBeatsPatternsAndLongerPatternsBeatShorter) {
  absl::StatusOr<ErrorMapper> mapper = ErrorMapper::Create(
      "*Error=INTERNAL, *QuotaError=ABORTED, Db*=UNAVAILABLE, "
      "DbQuotaError=DATA_LOSS",
      false);
  ASSERT_TRUE(mapper.ok()) << mapper.status();
  EXPECT_EQ(mapper->CodeForFailureClass("DbQuotaError"),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(mapper->CodeForFailureClass("VolumeQuotaError"),
            absl::StatusCode::kAborted);
  EXPECT_EQ(mapper->CodeForFailureClass("KeyError"),
            absl::StatusCode::kInternal);
  EXPECT_EQ(mapper->CodeForFailureClass("DbGone"),
            absl::StatusCode::kUnavailable);
  // Equal lengths: the first given wins ("*Error" vs "Db*Error" can't tie,
  // so use two of the same length).
  absl::StatusOr<ErrorMapper> tie =
      ErrorMapper::Create("Ab*=ABORTED,*Cd=INTERNAL", false);
  ASSERT_TRUE(tie.ok());
  EXPECT_EQ(tie->CodeForFailureClass("AbCd"), absl::StatusCode::kAborted);
}

TEST(ErrorMapperTest, CodeNamesAnyCaseSpacesAndBlankEntries) {
  absl::StatusOr<ErrorMapper> mapper =
      ErrorMapper::Create(" Foo = not_found ,, Bar=Aborted,", false);
  ASSERT_TRUE(mapper.ok()) << mapper.status();
  EXPECT_EQ(mapper->CodeForFailureClass("Foo"), absl::StatusCode::kNotFound);
  EXPECT_EQ(mapper->CodeForFailureClass("Bar"), absl::StatusCode::kAborted);
}

class BadOverrideTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BadOverrideTest, IsRejectedNamingTheEntry) {
  const std::string entry = GetParam();
  absl::StatusOr<ErrorMapper> mapper =
      ErrorMapper::Create(absl::StrCat("Good=NOT_FOUND,", entry), false);
  ASSERT_FALSE(mapper.ok()) << entry;
  EXPECT_EQ(mapper.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mapper.status().message(), HasSubstr("\"" + entry + "\""));
  EXPECT_THAT(mapper.status().message(), Not(HasSubstr("Good=NOT_FOUND")));
}

INSTANTIATE_TEST_SUITE_P(
    Entries, BadOverrideTest,
    ::testing::Values("QuotaExceeded",     // no '='
                      "A=B=C",             // two '='
                      "=NOT_FOUND",        // no class
                      "*=NOT_FOUND",       // only a star
                      "Foo=NOPE",          // unknown code
                      "Foo=",              // no code
                      "Foo=5",             // numbers are not names
                      "Foo=OK",            // a failure is not OK
                      "*Foo*=ABORTED",     // both ends
                      "F*o=ABORTED",       // star in the middle
                      "Foo Bar=ABORTED",   // not a class name
                      "nova.Foo=ABORTED",  // module-qualified
                      "Good=ABORTED"));    // given twice

TEST(ErrorMapperTest, TracebackIsHiddenByDefault) {
  grpc::Status status =
      Defaults().ToGrpc(FailureStatus("ValueError", "builtins", "bad x"));
  EXPECT_EQ(status.error_message(), "bad x");
  EXPECT_THAT(status.error_details(), Not(HasSubstr("Traceback")));
  EXPECT_THAT(status.error_details(), Not(HasSubstr("compute.py")));
  EXPECT_EQ(Decode(status).status.message(), "bad x");
}

TEST(ErrorMapperTest, TracebackIsAppendedWhenAskedFor) {
  absl::StatusOr<ErrorMapper> mapper = ErrorMapper::Create("", true);
  ASSERT_TRUE(mapper.ok());
  grpc::Status status =
      mapper->ToGrpc(FailureStatus("ValueError", "builtins", "bad x"));
  EXPECT_EQ(status.error_message(),
            "bad x\n\n"
            "Traceback (most recent call last):\n"
            "  File \"/srv/nova/compute.py\", line 42, in get\n"
            "    raise exc\n"
            "ValueError: bad x");
  EXPECT_EQ(Decode(status).status.message(), status.error_message());
  EXPECT_EQ(Decode(status).info.reason(), "ValueError");
}

TEST(ErrorMapperTest, LongTracebackKeepsItsInnermostLines) {
  oslo::Failure failure;
  failure.class_name = "ValueError";
  failure.module = "builtins";
  failure.message = "deep";
  failure.traceback.push_back("Traceback (most recent call last):\n");
  for (int i = 0; i < 500; ++i) {
    failure.traceback.push_back(
        absl::StrCat("  File \"/srv/app.py\", line ", i, ", in f\n"));
  }
  failure.traceback.push_back("ValueError: deep\n");
  absl::StatusOr<ErrorMapper> mapper = ErrorMapper::Create("", true);
  ASSERT_TRUE(mapper.ok());
  grpc::Status status = mapper->ToGrpc(oslo::FailureToStatus(failure));
  const std::string& message = status.error_message();
  EXPECT_LE(message.size(),
            kMaxMessageWireBytes + kMaxTracebackWireBytes + 100);
  EXPECT_THAT(message, HasSubstr("earlier traceback line(s) omitted]"));
  EXPECT_THAT(message, HasSubstr("line 499, in f\nValueError: deep"));
  EXPECT_THAT(message, Not(HasSubstr("line 0,")));
  EXPECT_TRUE(absl::StartsWith(message, "deep\n\n["));
}

TEST(ErrorMapperTest, LongMessageIsCutOnACharacterBoundary) {
  // 3000 x "é" (2 bytes each): the cut must not split one.
  std::string message;
  for (int i = 0; i < 3000; ++i) message += "\xC3\xA9";
  grpc::Status status =
      Defaults().ToGrpc(FailureStatus("ValueError", "builtins", message));
  const std::string& sent = status.error_message();
  EXPECT_LE(sent.size(), kMaxMessageWireBytes + 20);
  EXPECT_TRUE(absl::EndsWith(sent, "\xC3\xA9... [truncated]"));
  // Parses as proto3 (which checks UTF-8) and matches.
  EXPECT_EQ(Decode(status).status.message(), sent);
}

TEST(ErrorMapperTest, InvalidUtf8BecomesReplacementCharacters) {
  grpc::Status status = Defaults().ToGrpc(
      absl::InternalError(std::string("bad \xFF\xC3 bytes \xED\xA0\x80!")));
  EXPECT_EQ(status.error_message(),
            "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes "
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
  EXPECT_EQ(Decode(status).status.message(), status.error_message());
}

struct PlainCase {
  absl::Status status;
  grpc::StatusCode code;
  const char* reason;
};

class PlainStatusTest : public ::testing::TestWithParam<PlainCase> {};

TEST_P(PlainStatusTest, KeepsCodeAndMessageWithBridgeErrorInfo) {
  const PlainCase& c = GetParam();
  grpc::Status status = Defaults().ToGrpc(c.status);
  EXPECT_EQ(status.error_code(), c.code);
  EXPECT_EQ(status.error_message(), std::string(c.status.message()));
  Decoded d = Decode(status);
  EXPECT_EQ(d.status.code(), static_cast<int>(c.code));
  EXPECT_EQ(d.status.message(), std::string(c.status.message()));
  EXPECT_EQ(d.info.reason(), c.reason);
  EXPECT_EQ(d.info.domain(), "grpc-amqp-bridge");
}

INSTANTIATE_TEST_SUITE_P(
    Bridge, PlainStatusTest,
    ::testing::Values(
        PlainCase{absl::UnavailableError("cannot reach 127.0.0.1:5672"),
                  grpc::StatusCode::UNAVAILABLE, "UNAVAILABLE"},
        PlainCase{absl::DeadlineExceededError("no reply within 30s"),
                  grpc::StatusCode::DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"},
        PlainCase{absl::InvalidArgumentError("request: bad wire bytes"),
                  grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
        PlainCase{absl::InternalError("result is a JSON array"),
                  grpc::StatusCode::INTERNAL, "INTERNAL"},
        PlainCase{absl::UnimplementedError("bidi streaming"),
                  grpc::StatusCode::UNIMPLEMENTED, "UNIMPLEMENTED"}));

TEST(ErrorMapperTest, ThePlainCodeIsKeptEvenWhenAFailureClassWouldDiffer) {
  // A plain status named like an exception is still not an oslo failure.
  grpc::Status status = Defaults().ToGrpc(absl::AbortedError("NotFound"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Decode(status).info.reason(), "ABORTED");
}

TEST(ErrorMapperTest, AStatusMayNameItsReason) {
  rpc::VersionCaps caps;
  ASSERT_TRUE(caps.Set("compute", "5.0").ok());
  absl::StatusOr<std::string> refused =
      caps.Choose("compute", "reboot_instance", "6.0", "");
  grpc::Status status = Defaults().ToGrpc(refused.status());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), std::string(refused.status().message()));
  const Decoded d = Decode(status);
  EXPECT_EQ(d.info.reason(), "VERSION_CAPPED");
  EXPECT_EQ(d.info.domain(), "grpc-amqp-bridge");
}

TEST(ErrorMapperTest, GrpcCodeNames) {
  EXPECT_EQ(GrpcCodeName(absl::StatusCode::kNotFound), "NOT_FOUND");
  EXPECT_EQ(GrpcCodeName(absl::StatusCode::kUnauthenticated),
            "UNAUTHENTICATED");
  EXPECT_EQ(GrpcCodeName(static_cast<absl::StatusCode>(99)), "UNKNOWN");
}

// The mapped status over a real gRPC call: the client gets the code, the
// message and decodable details, also for the largest messages allowed.
class FailingHealth final : public grpc::health::v1::Health::Service {
 public:
  FailingHealth(const ErrorMapper* mapper, absl::Status status)
      : mapper_(mapper), status_(std::move(status)) {}
  grpc::Status Check(grpc::ServerContext*,
                     const grpc::health::v1::HealthCheckRequest*,
                     grpc::health::v1::HealthCheckResponse*) override {
    return mapper_->ToGrpc(status_);
  }

 private:
  const ErrorMapper* mapper_;
  absl::Status status_;
};

grpc::Status CallOverGrpc(const ErrorMapper& mapper,
                          const absl::Status& status) {
  FailingHealth service(&mapper, status);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  EXPECT_GT(port, 0);
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status result = stub->Check(&context, request, &response);
  server->Shutdown();
  return result;
}

TEST(ErrorMapperGrpcTest, ClientDecodesTheDetails) {
  grpc::Status status = CallOverGrpc(
      Defaults(),
      FailureStatus("InstanceNotFound", "nova.exception", "Instance x ..."));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "Instance x ...");
  Decoded d = Decode(status);
  EXPECT_EQ(d.info.reason(), "InstanceNotFound");
  EXPECT_EQ(d.info.domain(), "nova.exception");
}

TEST(ErrorMapperGrpcTest, HugeMessageAndTracebackStillFitTheTrailers) {
  oslo::Failure failure;
  failure.class_name = "InstanceNotFound";
  failure.module = "nova.exception";
  failure.message = std::string(100000, 'm');
  for (int i = 0; i < 2000; ++i) {
    failure.traceback.push_back(
        absl::StrCat("  File \"/srv/nova/x.py\", line ", i, ", in f\n"));
  }
  absl::StatusOr<ErrorMapper> mapper = ErrorMapper::Create("", true);
  ASSERT_TRUE(mapper.ok());
  grpc::Status status = CallOverGrpc(*mapper, oslo::FailureToStatus(failure));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
  EXPECT_EQ(Decode(status).info.reason(), "InstanceNotFound");
}

TEST(ErrorMapperGrpcTest, WorstCaseNonAsciiMessageStillFitsTheTrailers) {
  // grpc-message percent-encodes every non-ASCII byte (3 bytes each).
  oslo::Failure failure;
  failure.class_name = "ValueError";
  failure.module = "builtins";
  for (int i = 0; i < 5000; ++i) failure.message += "\xC3\xA9";
  for (int i = 0; i < 2000; ++i) {
    failure.traceback.push_back(
        absl::StrCat("  File \"/srv/\xC3\xA9/x.py\", line ", i, "\n"));
  }
  absl::StatusOr<ErrorMapper> mapper = ErrorMapper::Create("", true);
  ASSERT_TRUE(mapper.ok());
  grpc::Status status = CallOverGrpc(*mapper, oslo::FailureToStatus(failure));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_EQ(Decode(status).info.reason(), "ValueError");
}

}  // namespace
}  // namespace amqp::gateway
