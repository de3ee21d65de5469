#include "bridge/transport/tls_socket.h"

#include <amqp_ssl_socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bridge/transport/amqp_status.h"

namespace amqp::transport {
namespace {

// oslo's ssl_version names (Python ssl.PROTOCOL_* spellings) as the lowest
// TLS version rabbitmq-c may negotiate.
absl::StatusOr<amqp_tls_version_t> TlsVersion(absl::string_view name) {
  const std::string key = absl::AsciiStrToLower(name);
  if (key == "tlsv1" || key == "tlsv1_0" || key == "tlsv1.0") {
    return AMQP_TLSv1;
  }
  if (key == "tlsv1_1" || key == "tlsv1.1") return AMQP_TLSv1_1;
  if (key == "tlsv1_2" || key == "tlsv1.2") return AMQP_TLSv1_2;
  return absl::InvalidArgumentError(absl::StrCat(
      "ssl_version '", name, "' is not one of TLSv1, TLSv1_1, TLSv1_2"));
}

// rabbitmq-c says only "a SSL error occurred" when a file cannot be read.
absl::Status CheckReadable(absl::string_view option, absl::string_view path) {
  if (access(std::string(path).c_str(), R_OK) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("cannot read ", option, " ", path, ": ", strerror(errno)));
}

}  // namespace

absl::StatusOr<amqp_socket_t*> NewTlsSocket(amqp_connection_state_t state,
                                            const RabbitOptions& rabbit) {
  // Owned by `state`, which frees it with the connection.
  amqp_socket_t* socket = amqp_ssl_socket_new(state);
  if (socket == nullptr) return absl::InternalError("amqp_ssl_socket_new");
  if (!rabbit.ssl_version.empty()) {
    absl::StatusOr<amqp_tls_version_t> min_version =
        TlsVersion(rabbit.ssl_version);
    if (!min_version.ok()) return min_version.status();
    absl::Status s = LibraryStatus(
        amqp_ssl_socket_set_ssl_versions(socket, *min_version, AMQP_TLSvLATEST),
        absl::StrCat("ssl_version ", rabbit.ssl_version));
    if (!s.ok()) return s;
  }
  const std::pair<absl::string_view, absl::string_view> files[] = {
      {"ssl_ca_file", rabbit.ssl_ca_file},
      {"ssl_cert_file", rabbit.ssl_cert_file},
      {"ssl_key_file", rabbit.ssl_key_file}};
  for (const auto& [option, path] : files) {
    if (path.empty()) continue;
    if (absl::Status s = CheckReadable(option, path); !s.ok()) return s;
  }
  const bool verify = !rabbit.ssl_ca_file.empty();
  amqp_ssl_socket_set_verify_peer(socket, verify);
  amqp_ssl_socket_set_verify_hostname(
      socket, verify && rabbit.ssl_enforce_hostname_verification);
  if (verify) {
    absl::Status s = LibraryStatus(
        amqp_ssl_socket_set_cacert(socket, rabbit.ssl_ca_file.c_str()),
        absl::StrCat("reading ssl_ca_file ", rabbit.ssl_ca_file));
    if (!s.ok()) return s;
  }
  if (!rabbit.ssl_cert_file.empty()) {
    absl::Status s = LibraryStatus(
        amqp_ssl_socket_set_key(socket, rabbit.ssl_cert_file.c_str(),
                                rabbit.ssl_key_file.c_str()),
        absl::StrCat("reading ssl_cert_file ", rabbit.ssl_cert_file));
    if (!s.ok()) return s;
  }
  return socket;
}

std::string TlsHint(int rc, const BrokerHost& host,
                    const RabbitOptions& rabbit) {
  switch (rc) {
    case AMQP_STATUS_SSL_PEER_VERIFY_FAILED:
      return absl::StrCat(
          ": the broker's certificate does not verify against ssl_ca_file ",
          rabbit.ssl_ca_file, " (signed by another CA, or expired)");
    case AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED:
      return absl::StrCat(
          ": the broker's certificate does not name '", host.host,
          "' (ssl_enforce_hostname_verification; rabbitmq-c matches DNS "
          "names only, so connect by a name the certificate lists)");
    case AMQP_STATUS_SSL_CONNECTION_FAILED:
      return absl::StrCat(" (ssl=true: is port ", host.port,
                          " the broker's TLS listener?)");
    default:
      return "";
  }
}

}  // namespace amqp::transport
