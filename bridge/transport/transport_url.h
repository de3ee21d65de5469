// oslo.messaging's transport_url, parsed the way the library parses it:
//
//   rabbit://user:pass@host:port[,user:pass@host2:port]/vhost?option=value
//
// User, password and vhost are URL-escaped; IPv6 hosts go in brackets; a
// missing user or password is kombu's "guest", a missing port 5672, and an
// empty vhost "/". The query carries [oslo_messaging_rabbit] overrides (see
// rabbit_options.h).

#ifndef BRIDGE_TRANSPORT_TRANSPORT_URL_H_
#define BRIDGE_TRANSPORT_TRANSPORT_URL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace amqp::transport {

struct BrokerHost {
  std::string host = "localhost";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
};

struct TransportUrl {
  std::string scheme = "rabbit";
  // Never empty: a bare "rabbit://" means guest:guest@localhost:5672.
  std::vector<BrokerHost> hosts = {BrokerHost()};
  std::string vhost = "/";
  // Query options in URL order; a repeated key keeps its values joined by
  // ',' like oslo.
  std::vector<std::pair<std::string, std::string>> query;

  // The URL with every password replaced by "***", for logs and errors.
  std::string Redacted() const;
};

// Accepts the "rabbit" and "kombu" schemes oslo maps to its RabbitMQ driver,
// and "amqp"/"amqps" (kombu's spelling; "amqps" adds ssl=true). Errors name
// the offending part but never contain a password.
absl::StatusOr<TransportUrl> ParseTransportUrl(absl::string_view url);

// The type of a --transport_url command-line flag. absl prints a flag's value
// (--help shows "currently: ...") through AbslUnparseFlag, which gives this
// one with its passwords replaced by "***"; parsing keeps the text as it is
// and never fails, so absl never quotes it in an error either:
//
//   ABSL_FLAG(amqp::transport::TransportUrlFlag, transport_url,
//             {"rabbit://"}, "oslo transport_url");
//   ParseTransportUrl(absl::GetFlag(FLAGS_transport_url).text);
struct TransportUrlFlag {
  std::string text;
};
bool AbslParseFlag(absl::string_view text, TransportUrlFlag* flag,
                   std::string* error);
std::string AbslUnparseFlag(const TransportUrlFlag& flag);

}  // namespace amqp::transport

#endif  // BRIDGE_TRANSPORT_TRANSPORT_URL_H_
