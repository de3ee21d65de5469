// What the example C++ oslo servers share: their flags (--transport_url,
// --exchange, --topic, --server, executor and size limits) and serving one
// endpoint over oslo.messaging until SIGINT or SIGTERM.

#ifndef EXAMPLES_CPP_EXAMPLE_SERVER_H_
#define EXAMPLES_CPP_EXAMPLE_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "bridge/rpc/endpoint.h"

namespace examples {

// Parses the command line, builds the endpoint for this server's name
// (--server) with `make_endpoint`, serves it on --topic and --topic.--server,
// logs "ready: ..." once it consumes, and returns main()'s exit code when a
// stop signal came (64 for bad flags).
int RunExampleServer(int argc, char** argv, const char* usage,
                     const std::function<std::unique_ptr<amqp::rpc::Endpoint>(
                         const std::string& server)>& make_endpoint);

}  // namespace examples

#endif  // EXAMPLES_CPP_EXAMPLE_SERVER_H_
