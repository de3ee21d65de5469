// compute_server: the example compute service (proto/examples/compute.proto)
// served over oslo.messaging by the generated ComputeEndpoint.
//
//   compute_server --server=host1
//       --transport_url=rabbit://guest:guest@127.0.0.1:5672/
//
// Logs "ready" once it consumes; stops on SIGINT or SIGTERM.

#include <memory>

#include "examples/cpp/compute_service.h"
#include "examples/cpp/example_server.h"

int main(int argc, char** argv) {
  return examples::RunExampleServer(
      argc, argv, "Serves the example compute service over oslo.messaging.",
      [](const std::string& server) {
        return std::make_unique<examples::compute::InMemoryCompute>(server);
      });
}
