// grpc_direct_server: the "direct gRPC" row of the benchmarks, the ceiling
// of the gRPC side. A plain C++ gRPC server answering
// examples.compute.Compute/Ping itself, with no broker behind it: the
// asynchronous API on one completion queue and one thread, as the bridge
// serves (bridge/gateway/server_queues.h), which is gRPC 1.51's cheapest
// way to serve a small call.
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
#include <thread>

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

// One Ping: waits for the call, answers it at once, and deletes itself once
// the answer is sent. Each completion of its tag is its next step.
class PingCall {
 public:
  PingCall(Compute::AsyncService* service, grpc::ServerCompletionQueue* queue,
           const std::string* host, std::atomic<int64_t>* calls)
      : service_(service), queue_(queue), host_(host), calls_(calls) {
    service_->RequestPing(&context_, &request_, &writer_, queue_, queue_, this);
  }

  void Proceed(bool ok) {
    if (answered_ || !ok) {  // sent, or the server is shutting down
      delete this;
      return;
    }
    new PingCall(service_, queue_, host_, calls_);  // the next one
    reply_.set_host(*host_);
    reply_.set_payload(request_.payload());
    calls_->fetch_add(1, std::memory_order_relaxed);
    answered_ = true;
    writer_.Finish(reply_, grpc::Status::OK, this);
  }

 private:
  Compute::AsyncService* const service_;
  grpc::ServerCompletionQueue* const queue_;
  const std::string* const host_;
  std::atomic<int64_t>* const calls_;
  grpc::ServerContext context_;
  PingRequest request_;
  PingReply reply_;
  grpc::ServerAsyncResponseWriter<PingReply> writer_{&context_};
  bool answered_ = false;
};

int Run() {
  const std::string host = absl::GetFlag(FLAGS_host);
  std::atomic<int64_t> calls{0};
  Compute::AsyncService service;
  grpc::ServerBuilder builder;
  int port = 0;
  const std::string listen = absl::GetFlag(FLAGS_listen);
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::ServerCompletionQueue> queue =
      builder.AddCompletionQueue();
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "grpc_direct_server: cannot listen on " << listen << "\n";
    return 2;
  }
  new PingCall(&service, queue.get(), &host, &calls);
  std::thread serving([&queue] {
    void* tag = nullptr;
    bool ok = false;
    while (queue->Next(&tag, &ok)) static_cast<PingCall*>(tag)->Proceed(ok);
  });
  std::cout << "listening on " << listen.substr(0, listen.rfind(':')) << ":"
            << port << std::endl;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown();  // fails the waiting request; calls end
  queue->Shutdown();
  serving.join();
  std::cout << "served " << calls.load() << " calls" << std::endl;
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
