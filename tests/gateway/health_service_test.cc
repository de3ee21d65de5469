// HealthService through a real gRPC server and gRPC's own health client
// stub: Check and Watch answer as gRPC's default health service does, a
// Watch sees every change, and a server with open Watch streams stops
// without waiting for them. tests/bridge/health_test.py checks it in the
// bridge, against a real broker.

#include "bridge/gateway/health_service.h"

#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "bridge/gateway/generic_stream.h"
#include "bridge/gateway/server_queues.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace amqp::gateway {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

constexpr auto kWait = std::chrono::seconds(10);

class HealthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    queues_ = std::make_unique<ServerQueues>(&builder, 1);
    generic_ = std::make_unique<GenericStreamService>(queues_.get());
    health_.AddTo(generic_.get());
    builder.RegisterAsyncGenericService(generic_->service());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    generic_->Arm();
    queues_->Start();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
    stub_ = Health::NewStub(channel_);
  }

  void TearDown() override { StopServer(); }

  void StopServer() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now() + kWait);
    queues_->Stop();
    server_.reset();
  }

  // Check's answer: "SERVING", "NOT_SERVING" or the error code's name.
  std::string Check(const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kWait);
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::Status status = stub_->Check(&context, request, &response);
    if (!status.ok()) return absl::StrCat("code ", status.error_code());
    return HealthCheckResponse::ServingStatus_Name(response.status());
  }

  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> Watch(
      grpc::ClientContext* context, const std::string& service) {
    context->set_deadline(std::chrono::system_clock::now() + kWait);
    HealthCheckRequest request;
    request.set_service(service);
    return stub_->Watch(context, request);
  }

  static std::string Next(grpc::ClientReader<HealthCheckResponse>* watch) {
    HealthCheckResponse response;
    if (!watch->Read(&response)) return "(stream ended)";
    return HealthCheckResponse::ServingStatus_Name(response.status());
  }

  HealthService health_;
  std::unique_ptr<ServerQueues> queues_;
  std::unique_ptr<GenericStreamService> generic_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthServiceTest, CheckAnswersWhatItWasToldAndNotFoundForTheRest) {
  EXPECT_EQ(Check(""), "SERVING");
  EXPECT_EQ(Check("p.A"), absl::StrCat("code ", grpc::StatusCode::NOT_FOUND));
  health_.SetServingStatus("p.A", false);
  EXPECT_EQ(Check("p.A"), "NOT_SERVING");
  health_.SetServingStatus(true);  // every service
  EXPECT_EQ(Check("p.A"), "SERVING");
  EXPECT_EQ(Check(""), "SERVING");
}

TEST_F(HealthServiceTest, CheckRefusesBytesThatAreNoRequest) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kWait);
  grpc::ByteBuffer response;
  grpc::Slice garbage(std::string("\xff\xff\xff", 3));
  grpc::ByteBuffer request(&garbage, 1);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&context, HealthService::kCheckMethod, {}, &request,
                    &response, [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = s;
                      done = true;
                      cv.notify_all();
                    });
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, kWait, [&] { return done; }));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Check(""), "SERVING");  // and it goes on serving
}

TEST_F(HealthServiceTest, WatchSendsTheStatusThenEveryChange) {
  health_.SetServingStatus("p.A", true);
  grpc::ClientContext context;
  auto watch = Watch(&context, "p.A");
  EXPECT_EQ(Next(watch.get()), "SERVING");
  health_.SetServingStatus("p.A", true);  // no change: nothing sent
  health_.SetServingStatus("p.A", false);
  EXPECT_EQ(Next(watch.get()), "NOT_SERVING");
  health_.SetServingStatus(true);
  EXPECT_EQ(Next(watch.get()), "SERVING");
  context.TryCancel();
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(HealthServiceTest, WatchOfAnUnknownServiceWaitsForIt) {
  grpc::ClientContext context;
  auto watch = Watch(&context, "p.Later");
  EXPECT_EQ(Next(watch.get()), "SERVICE_UNKNOWN");
  health_.SetServingStatus("p.Later", true);
  EXPECT_EQ(Next(watch.get()), "SERVING");
  context.TryCancel();
  watch->Finish();
}

TEST_F(HealthServiceTest, ShutdownIsNotServingForGood) {
  health_.SetServingStatus("p.A", true);
  grpc::ClientContext context;
  auto watch = Watch(&context, "p.A");
  EXPECT_EQ(Next(watch.get()), "SERVING");
  health_.Shutdown();
  EXPECT_EQ(Next(watch.get()), "NOT_SERVING");
  health_.SetServingStatus(true);
  EXPECT_EQ(Check("p.A"), "NOT_SERVING");
  EXPECT_EQ(Check(""), "NOT_SERVING");
  context.TryCancel();
  watch->Finish();
}

TEST_F(HealthServiceTest, TheServerStopsWithWatchStreamsOpen) {
  grpc::ClientContext first;
  grpc::ClientContext second;
  auto one = Watch(&first, "");
  auto two = Watch(&second, "");
  EXPECT_EQ(Next(one.get()), "SERVING");
  EXPECT_EQ(Next(two.get()), "SERVING");
  const auto started = std::chrono::steady_clock::now();
  server_->Shutdown(std::chrono::system_clock::now());  // cancels them now
  queues_->Stop();
  server_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, kWait / 2);
  EXPECT_EQ(Next(one.get()), "(stream ended)");
  EXPECT_FALSE(one->Finish().ok());
  EXPECT_FALSE(two->Finish().ok());
}

TEST_F(HealthServiceTest, AnUnknownMethodIsUnimplemented) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kWait);
  grpc::CompletionQueue cq;
  auto call = generic.PrepareCall(&context, "/grpc.health.v1.Health/Nope", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(2));
  void* tag = nullptr;
  bool ok = false;
  // Both tags come back; the status is in once the second did.
  ASSERT_TRUE(cq.Next(&tag, &ok));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("Nope"));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace amqp::gateway
