// ReflectionService over a DescriptorPool loaded at run time from a
// descriptor set (as the bridge loads its services), served by a real
// in-process gRPC server and queried with the generated ServerReflection stub.

#include "bridge/gateway/reflection_service.h"

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bridge/gateway/generic_stream.h"
#include "bridge/gateway/server_queues.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace amqp::gateway {
namespace {

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FileDescriptorProto;
using ::google::protobuf::FileDescriptorSet;
using ::grpc::reflection::v1alpha::ServerReflection;
using ::grpc::reflection::v1alpha::ServerReflectionRequest;
using ::grpc::reflection::v1alpha::ServerReflectionResponse;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// Built by Bazel from inventory.proto (with imports); see BUILD.
constexpr char kDescriptorSet[] =
    "tests/gateway/inventory_proto_codegen.descriptor_set.pb";

using Stream =
    grpc::ClientReaderWriter<ServerReflectionRequest, ServerReflectionResponse>;

class ReflectionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(kDescriptorSet, std::ios::binary);
    ASSERT_TRUE(in) << "cannot open " << kDescriptorSet;
    FileDescriptorSet set;
    ASSERT_TRUE(set.ParseFromIstream(&in));
    for (const FileDescriptorProto& file : set.file()) {
      ASSERT_NE(pool_.BuildFile(file), nullptr) << file.name();
    }
    StartServer(&pool_, {"gw.test.Inventory",
                         "grpc.reflection.v1alpha.ServerReflection"});
  }

  void TearDown() override { StopServer(); }

  void StopServer() {
    if (server_ == nullptr) return;
    server_->Shutdown();
    queues_->Stop();
    server_.reset();
  }

  // Serves reflection alone on the generic service, as the bridge does.
  void StartServer(const DescriptorPool* pool,
                   std::vector<std::string> services) {
    StopServer();
    service_ = std::make_unique<ReflectionService>(pool, std::move(services));
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    queues_ = std::make_unique<ServerQueues>(&builder, 1);
    generic_ = std::make_unique<GenericStreamService>(queues_.get());
    service_->AddTo(generic_.get());
    builder.RegisterAsyncGenericService(generic_->service());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    generic_->Arm();
    queues_->Start();
    stub_ = ServerReflection::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                            grpc::InsecureChannelCredentials()));
  }

  std::unique_ptr<Stream> OpenStream(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    return stub_->ServerReflectionInfo(context);
  }

  // Sends one request on `stream` and returns the answer.
  static ServerReflectionResponse Ask(Stream* stream,
                                      const ServerReflectionRequest& request) {
    EXPECT_TRUE(stream->Write(request));
    ServerReflectionResponse response;
    EXPECT_TRUE(stream->Read(&response));
    return response;
  }

  static ServerReflectionRequest Symbol(const std::string& symbol) {
    ServerReflectionRequest request;
    request.set_file_containing_symbol(symbol);
    return request;
  }

  // The file names in a file_descriptor_response, in order.
  static std::vector<std::string> FileNames(
      const ServerReflectionResponse& response) {
    std::vector<std::string> names;
    for (const std::string& bytes :
         response.file_descriptor_response().file_descriptor_proto()) {
      FileDescriptorProto file;
      EXPECT_TRUE(file.ParseFromString(bytes));
      names.push_back(file.name());
    }
    return names;
  }

  static void Close(Stream* stream) {
    stream->WritesDone();
    grpc::Status status = stream->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  DescriptorPool pool_;
  std::unique_ptr<ReflectionService> service_;
  std::unique_ptr<ServerQueues> queues_;
  std::unique_ptr<GenericStreamService> generic_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ServerReflection::Stub> stub_;
};

TEST_F(ReflectionServiceTest, ListsTheGivenServices) {
  grpc::ClientContext context;
  auto stream = OpenStream(&context);
  ServerReflectionRequest request;
  request.set_host("localhost");
  request.set_list_services("*");
  ServerReflectionResponse response = Ask(stream.get(), request);

  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, ElementsAre("gw.test.Inventory",
                                 "grpc.reflection.v1alpha.ServerReflection"));
  EXPECT_EQ(response.valid_host(), "localhost");
  EXPECT_EQ(response.original_request().list_services(), "*");
  Close(stream.get());
}

TEST_F(ReflectionServiceTest, ServiceResolvesToItsFileAndEveryImport) {
  grpc::ClientContext context;
  auto stream = OpenStream(&context);
  ServerReflectionResponse response =
      Ask(stream.get(), Symbol("gw.test.Inventory"));
  ASSERT_FALSE(response.has_error_response())
      << response.error_response().error_message();

  std::vector<std::string> names = FileNames(response);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0], "inventory.proto");  // the asked-for file comes first
  EXPECT_THAT(names,
              UnorderedElementsAre("inventory.proto", "inventory_common.proto",
                                   "google/protobuf/descriptor.proto",
                                   "google/protobuf/empty.proto",
                                   "google/protobuf/timestamp.proto"));

  // What a client does with the answer: rebuild the files and find the
  // method, its comments included.
  DescriptorPool client_pool;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    FileDescriptorProto file;
    for (const std::string& bytes :
         response.file_descriptor_response().file_descriptor_proto()) {
      ASSERT_TRUE(file.ParseFromString(bytes));
      if (file.name() == *it) break;
    }
    ASSERT_NE(client_pool.BuildFile(file), nullptr) << file.name();
  }
  const auto* method =
      client_pool.FindMethodByName("gw.test.Inventory.GetItem");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->output_type()->full_name(), "gw.test.Item");
  google::protobuf::SourceLocation location;
  ASSERT_TRUE(method->GetSourceLocation(&location));
  EXPECT_EQ(location.leading_comments, " Returns one item.\n");
  Close(stream.get());
}

TEST_F(ReflectionServiceTest, EverySymbolKindResolvesToItsFile) {
  grpc::ClientContext context;
  auto stream = OpenStream(&context);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"gw.test.Inventory.GetItem", "inventory.proto"},  // method
      {"gw.test.Item", "inventory.proto"},               // message
      {"gw.test.Item.Dimensions", "inventory.proto"},    // nested message
      {"gw.test.Item.name", "inventory.proto"},          // field
      {"gw.test.table", "inventory.proto"},              // extension
      {"gw.test.Color", "inventory_common.proto"},       // enum
      {"gw.test.COLOR_RED", "inventory_common.proto"},   // enum value
      {"gw.test.Audit.created_at", "inventory_common.proto"},
      {"google.protobuf.Timestamp", "google/protobuf/timestamp.proto"},
  };
  for (const auto& [symbol, file] : cases) {
    ServerReflectionResponse response = Ask(stream.get(), Symbol(symbol));
    ASSERT_FALSE(response.has_error_response())
        << symbol << ": " << response.error_response().error_message();
    std::vector<std::string> names = FileNames(response);
    ASSERT_FALSE(names.empty()) << symbol;
    EXPECT_EQ(names[0], file) << symbol;
  }
  Close(stream.get());
}

TEST_F(ReflectionServiceTest, SendsEachImportOncePerStream) {
  grpc::ClientContext context;
  auto stream = OpenStream(&context);
  EXPECT_THAT(
      FileNames(Ask(stream.get(), Symbol("gw.test.Audit"))),
      ElementsAre("inventory_common.proto", "google/protobuf/timestamp.proto"));
  // inventory_common.proto and timestamp.proto were sent already.
  EXPECT_THAT(FileNames(Ask(stream.get(), Symbol("gw.test.Item"))),
              ElementsAre("inventory.proto", "google/protobuf/descriptor.proto",
                          "google/protobuf/empty.proto"));
  // The asked-for file itself is always sent, its imports not again.
  EXPECT_THAT(FileNames(Ask(stream.get(), Symbol("gw.test.Inventory"))),
              ElementsAre("inventory.proto"));
  Close(stream.get());

  // A new stream starts afresh.
  grpc::ClientContext context2;
  auto stream2 = OpenStream(&context2);
  EXPECT_THAT(
      FileNames(Ask(stream2.get(), Symbol("gw.test.Audit"))),
      ElementsAre("inventory_common.proto", "google/protobuf/timestamp.proto"));
  Close(stream2.get());
}

TEST_F(ReflectionServiceTest, FileByFilename) {
  grpc::ClientContext context;
  auto stream = OpenStream(&context);
  ServerReflectionRequest request;
  request.set_file_by_filename("inventory_common.proto");
  EXPECT_THAT(
      FileNames(Ask(stream.get(), request)),
      ElementsAre("inventory_common.proto", "google/protobuf/timestamp.proto"));

  request.set_file_by_filename("nope.proto");
  ServerReflectionResponse response = Ask(stream.get(), request);
  EXPECT_EQ(response.error_response().error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(response.error_response().error_message(),
              ::testing::HasSubstr("nope.proto"));
  Close(stream.get());
}

TEST_F(ReflectionServiceTest, UnknownSymbolIsNotFoundAndTheStreamGoesOn) {
  grpc::ClientContext context;
  auto stream = OpenStream(&context);
  ServerReflectionResponse response =
      Ask(stream.get(), Symbol("gw.test.NoSuchThing"));
  ASSERT_TRUE(response.has_error_response());
  EXPECT_EQ(response.error_response().error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(response.error_response().error_message(),
              ::testing::HasSubstr("gw.test.NoSuchThing"));
  EXPECT_THAT(response.file_descriptor_response().file_descriptor_proto(),
              IsEmpty());
  EXPECT_EQ(response.original_request().file_containing_symbol(),
            "gw.test.NoSuchThing");

  EXPECT_EQ(Ask(stream.get(), Symbol("")).error_response().error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(FileNames(Ask(stream.get(), Symbol("gw.test.Item"))),
              ::testing::Contains("inventory.proto"));
  Close(stream.get());
}

TEST_F(ReflectionServiceTest, Extensions) {
  grpc::ClientContext context;
  auto stream = OpenStream(&context);
  ServerReflectionRequest request;
  request.mutable_file_containing_extension()->set_containing_type(
      "google.protobuf.MessageOptions");
  request.mutable_file_containing_extension()->set_extension_number(50999);
  std::vector<std::string> names = FileNames(Ask(stream.get(), request));
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0], "inventory.proto");

  request.mutable_file_containing_extension()->set_extension_number(51000);
  EXPECT_EQ(Ask(stream.get(), request).error_response().error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.mutable_file_containing_extension()->set_containing_type("gw.Nope");
  EXPECT_EQ(Ask(stream.get(), request).error_response().error_code(),
            grpc::StatusCode::NOT_FOUND);

  ServerReflectionRequest numbers;
  numbers.set_all_extension_numbers_of_type("google.protobuf.MessageOptions");
  ServerReflectionResponse response = Ask(stream.get(), numbers);
  EXPECT_EQ(response.all_extension_numbers_response().base_type_name(),
            "google.protobuf.MessageOptions");
  EXPECT_THAT(response.all_extension_numbers_response().extension_number(),
              ElementsAre(50999));
  numbers.set_all_extension_numbers_of_type("gw.test.Item");
  EXPECT_THAT(Ask(stream.get(), numbers)
                  .all_extension_numbers_response()
                  .extension_number(),
              IsEmpty());
  numbers.set_all_extension_numbers_of_type("gw.Nope");
  EXPECT_EQ(Ask(stream.get(), numbers).error_response().error_code(),
            grpc::StatusCode::NOT_FOUND);
  Close(stream.get());
}

TEST_F(ReflectionServiceTest, EmptyRequestIsUnimplemented) {
  grpc::ClientContext context;
  auto stream = OpenStream(&context);
  EXPECT_EQ(Ask(stream.get(), ServerReflectionRequest())
                .error_response()
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  Close(stream.get());
}

TEST_F(ReflectionServiceTest,
       PoolOverGeneratedPoolDescribesCompiledInServices) {
  server_->Shutdown();
  DescriptorPool pool(DescriptorPool::generated_pool());
  StartServer(&pool, {"grpc.reflection.v1alpha.ServerReflection"});
  grpc::ClientContext context;
  auto stream = OpenStream(&context);
  std::vector<std::string> names = FileNames(
      Ask(stream.get(), Symbol("grpc.reflection.v1alpha.ServerReflection")));
  EXPECT_THAT(names, ElementsAre("grpc/reflection/v1alpha/reflection.proto"));
  Close(stream.get());
  server_->Shutdown();
  server_ = nullptr;
}

TEST_F(ReflectionServiceTest, AnswerCanBeCalledDirectly) {
  absl::flat_hash_set<std::string> sent;
  ServerReflectionResponse response =
      service_->Answer(Symbol("gw.test.Audit"), &sent);
  EXPECT_THAT(
      FileNames(response),
      ElementsAre("inventory_common.proto", "google/protobuf/timestamp.proto"));
  EXPECT_THAT(sent, UnorderedElementsAre("inventory_common.proto",
                                         "google/protobuf/timestamp.proto"));
}

}  // namespace
}  // namespace amqp::gateway
