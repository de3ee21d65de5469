// grpc_direct_server: the "direct gRPC" row of the benchmarks, the ceiling
// of the gRPC side. A plain C++ gRPC server (callback API, like the bridge)
// answering examples.compute.Compute/Ping itself, with no broker behind it.
//
//   grpc_direct_server --listen=127.0.0.1:0    # prints "listening on H:P"
//
// Stops on SIGINT or SIGTERM and prints the number of Ping calls served.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "examples/compute.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "address to listen on (port 0 picks a free one)");
ABSL_FLAG(std::string, host, "direct", "PingReply.host");

namespace amqp::bench {
namespace {

using examples::compute::Compute;
using examples::compute::PingReply;
using examples::compute::PingRequest;

class DirectCompute : public Compute::CallbackService {
 public:
  explicit DirectCompute(std::string host) : host_(std::move(host)) {}

  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const PingRequest* request,
                                 PingReply* response) override {
    response->set_host(host_);
    response->set_payload(request->payload());
    calls_.fetch_add(1, std::memory_order_relaxed);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  int64_t calls() const { return calls_.load(); }

 private:
  const std::string host_;
  std::atomic<int64_t> calls_{0};
};

int Run() {
  DirectCompute service(absl::GetFlag(FLAGS_host));
  grpc::ServerBuilder builder;
  int port = 0;
  const std::string listen = absl::GetFlag(FLAGS_listen);
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "grpc_direct_server: cannot listen on " << listen << "\n";
    return 2;
  }
  std::cout << "listening on " << listen.substr(0, listen.rfind(':')) << ":"
            << port << std::endl;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown();
  std::cout << "served " << service.calls() << " calls" << std::endl;
  return 0;
}

}  // namespace
}  // namespace amqp::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "plain gRPC server for Compute.Ping: the benchmarks' gRPC ceiling");
  absl::ParseCommandLine(argc, argv);
  // Only Run's sigwait() takes the stop signals: block them before gRPC
  // starts its threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return amqp::bench::Run();
}
