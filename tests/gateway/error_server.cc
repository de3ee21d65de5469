// Test helper for error_details_py_test.py: a gRPC server whose
// grpc.health.v1.Health/Check always fails with ErrorMapper's status for the
// requested "service": an oslo failure of that class (module nova.exception),
// or a plain UNAVAILABLE status when it is empty. Prints its port on stdout,
// serves until stdin closes.

#include <grpcpp/grpcpp.h>

#include <iostream>
#include <memory>
#include <string>

#include "bridge/gateway/error_mapping.h"
#include "bridge/oslo/failure.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace {

class FailingHealth final : public grpc::health::v1::Health::Service {
 public:
  explicit FailingHealth(const amqp::gateway::ErrorMapper* mapper)
      : mapper_(mapper) {}

  grpc::Status Check(grpc::ServerContext*,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse*) override {
    if (request->service().empty()) {
      return mapper_->ToGrpc(
          absl::UnavailableError("cannot reach the broker at 127.0.0.1:5672"));
    }
    amqp::oslo::Failure failure;
    failure.class_name = request->service();
    failure.module = "nova.exception";
    failure.message = "Instance 42 could not be found.";
    failure.traceback = {"Traceback (most recent call last):\n"};
    return mapper_->ToGrpc(amqp::oslo::FailureToStatus(failure));
  }

 private:
  const amqp::gateway::ErrorMapper* mapper_;
};

}  // namespace

int main() {
  absl::StatusOr<amqp::gateway::ErrorMapper> mapper =
      amqp::gateway::ErrorMapper::Create("*Gone=NOT_FOUND", false);
  if (!mapper.ok()) {
    std::cerr << mapper.status() << "\n";
    return 1;
  }
  FailingHealth service(&*mapper);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "cannot listen on 127.0.0.1\n";
    return 1;
  }
  std::cout << port << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  server->Shutdown();
  return 0;
}
