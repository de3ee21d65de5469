// nova_compute_server: a C++ nova-compute serving the slice of nova's compute
// RPC API in proto/examples/nova_compute.proto (version 6.0) over
// oslo.messaging, for nova's own Python client. docs/nova.md.
//
//   nova_compute_server --server=compute-host-1 --instances=<uuid>,<uuid>
//       --transport_url=rabbit://guest:guest@127.0.0.1:5672/
//
// Logs "ready" once it consumes; stops on SIGINT or SIGTERM.

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "examples/cpp/example_server.h"
#include "examples/nova/nova_compute_service.h"

ABSL_FLAG(std::vector<std::string>, instances, {},
          "uuids of the instances this host runs (others are not found)");

int main(int argc, char** argv) {
  return examples::RunExampleServer(
      argc, argv, "Serves a slice of nova's compute RPC API 6.0.",
      [](const std::string& server) {
        return std::make_unique<examples::nova_compute::NovaCompute>(
            server, absl::GetFlag(FLAGS_instances));
      });
}
