// Proves that cc_proto_grpc_library produces message code and gRPC service code
// that work together: a real in-process gRPC server answers a real stub.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>

#include "tests/bazel/echo.grpc.pb.h"
#include "tests/bazel/echo.pb.h"

namespace bridge::tests {
namespace {

class EchoService final : public Echo::Service {
  grpc::Status Echo(grpc::ServerContext*, const EchoRequest* request,
                    EchoReply* reply) override {
    reply->set_text("echo: " + request->text());
    *reply->mutable_sent_at() = request->sent_at();
    return grpc::Status::OK;
  }
  grpc::Status Ping(grpc::ServerContext*, const google::protobuf::Empty*,
                    google::protobuf::Empty*) override {
    return grpc::Status::OK;
  }
};

TEST(ProtoRuleTest, GeneratedMessagesAndServiceWorkOverGrpc) {
  EchoService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);

  auto stub = Echo::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  EchoRequest request;
  request.set_text("hello");
  request.mutable_sent_at()->set_seconds(1700000000);
  EchoReply reply;
  grpc::ClientContext context;
  grpc::Status status = stub->Echo(&context, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.text(), "echo: hello");
  EXPECT_EQ(reply.sent_at().seconds(), 1700000000);

  google::protobuf::Empty empty;
  grpc::ClientContext ping_context;
  EXPECT_TRUE(stub->Ping(&ping_context, empty, &empty).ok());
  server->Shutdown();
}

}  // namespace
}  // namespace bridge::tests
