// The TLS socket of a broker connection, set up from oslo's
// [oslo_messaging_rabbit] ssl options (ssl_version, ssl_ca_file, ssl_cert_file,
// ssl_key_file, ssl_enforce_hostname_verification), and what a TLS failure most
// likely means, for the operator.

#ifndef BRIDGE_TRANSPORT_TLS_SOCKET_H_
#define BRIDGE_TRANSPORT_TLS_SOCKET_H_

#include <amqp.h>

#include <string>

#include "absl/status/statusor.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

namespace amqp::transport {

// A TLS socket of `state`, not yet open: verifies the broker's certificate
// (and host name, if asked) only when ssl_ca_file is set, as oslo does, and
// presents ssl_cert_file when set. FAILED_PRECONDITION for a file that cannot
// be read, INVALID_ARGUMENT for an unknown ssl_version.
absl::StatusOr<amqp_socket_t*> NewTlsSocket(amqp_connection_state_t state,
                                            const RabbitOptions& rabbit);

// A hint to append to the error of opening a TLS socket to `host` with
// rabbitmq-c status `rc`, or "" when it has none.
std::string TlsHint(int rc, const BrokerHost& host,
                    const RabbitOptions& rabbit);

}  // namespace amqp::transport

#endif  // BRIDGE_TRANSPORT_TLS_SOCKET_H_
