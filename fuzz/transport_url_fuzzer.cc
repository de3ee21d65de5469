// Fuzzes the transport_url parser and what consumes its result: the
// [oslo_messaging_rabbit] overrides in the query, the queue arguments derived
// from them, and the redacted form written to logs.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace amqp::transport;  // NOLINT(build/namespaces)
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<TransportUrl> url = ParseTransportUrl(text);
  if (!url.ok()) return 0;
  FUZZ_CHECK(!url->hosts.empty());
  FUZZ_CHECK(!url->vhost.empty());
  for (const BrokerHost& host : url->hosts) {
    FUZZ_CHECK(host.port > 0 && host.port <= 65535);
  }
  const std::string redacted = url->Redacted();
  FUZZ_CHECK(absl::StartsWith(redacted, url->scheme + "://"));
  FUZZ_CHECK(absl::StrContains(redacted, ":***@"));

  RabbitOptions options;
  if (ApplyUrlQuery(*url, &options).ok()) {
    FUZZ_CHECK(ValidateRabbitOptions(options).ok());
    DurableQueues(options);
    const std::vector<QueueArgument> topic = TopicQueueArguments(options);
    const std::vector<QueueArgument> transient =
        TransientQueueArguments(options);
    for (const QueueArgument& argument : topic) {
      FUZZ_CHECK(!argument.key.empty());
    }
    for (const QueueArgument& argument : transient) {
      FUZZ_CHECK(!argument.key.empty());
    }
  }
  return 0;
}
