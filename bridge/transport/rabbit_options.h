// The [oslo_messaging_rabbit] options this runtime honours, with oslo's names
// and defaults, and the queue arguments oslo derives from them. Options come
// from defaults, then the transport_url query (as oslo's ConfigOptsProxy does).

#ifndef BRIDGE_TRANSPORT_RABBIT_OPTIONS_H_
#define BRIDGE_TRANSPORT_RABBIT_OPTIONS_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/transport/transport_url.h"

namespace amqp::transport {

struct RabbitOptions {
  // TLS (rabbitmq-c's OpenSSL socket).
  bool ssl = false;
  std::string ssl_version;  // minimum: "TLSv1_2", "TLSv1.3"...; "" = library
  std::string ssl_key_file;
  std::string ssl_cert_file;
  std::string ssl_ca_file;  // set: verify the broker's certificate chain
  bool ssl_enforce_hostname_verification = false;

  // Connection health and reconnection (seconds).
  int heartbeat_timeout_threshold = 60;  // 0 disables AMQP heartbeats
  int rabbit_retry_interval = 1;
  int rabbit_retry_backoff = 2;
  int rabbit_interval_max = 30;
  // How long a reply is retried while the caller's reply queue is missing.
  int kombu_missing_consumer_retry_timeout = 60;
  std::string rabbit_login_method = "AMQPLAIN";

  // Queues.
  int rabbit_qos_prefetch_count = 0;  // 0: unlimited
  bool amqp_durable_queues = false;
  bool amqp_auto_delete = false;
  bool rabbit_ha_queues = false;
  bool rabbit_quorum_queue = false;
  int rabbit_quorum_delivery_limit = 0;
  int rabbit_quroum_max_memory_length = 0;  // sic: oslo's spelling
  int rabbit_quroum_max_memory_bytes = 0;   // sic
  int rabbit_transient_queues_ttl = 1800;   // fanout and reply queues
};

// Sets one option by its oslo name from its text form (oslo_config's parsing:
// "true/yes/on/1" booleans, decimal integers). oslo options that do not apply
// to this runtime (e.g. heartbeat_in_pthread) are accepted and have no effect;
// an unknown name or a bad value is INVALID_ARGUMENT.
absl::Status SetRabbitOption(absl::string_view name, absl::string_view value,
                             RabbitOptions* options);

// Whether `name` is an [oslo_messaging_rabbit] option SetRabbitOption takes
// (including those it accepts without effect).
bool IsRabbitOption(absl::string_view name);

// Applies every query option of `url`, then validates the result.
absl::Status ApplyUrlQuery(const TransportUrl& url, RabbitOptions* options);

// Rejects combinations oslo rejects (quorum and HA queues together...).
absl::Status ValidateRabbitOptions(const RabbitOptions& options);

// Topic queues and exchanges are durable with amqp_durable_queues, and always
// with quorum queues (they cannot be transient).
bool DurableQueues(const RabbitOptions& options);

// One x-argument of queue.declare.
struct QueueArgument {
  std::string key;
  std::variant<int64_t, std::string> value;

  friend bool operator==(const QueueArgument& a, const QueueArgument& b) {
    return a.key == b.key && a.value == b.value;
  }
};

// Arguments of the topic and topic.server queues: x-ha-policy or the
// x-queue-type=quorum family.
std::vector<QueueArgument> TopicQueueArguments(const RabbitOptions& options);
// Arguments of fanout and reply queues: x-ha-policy and x-expires.
std::vector<QueueArgument> TransientQueueArguments(
    const RabbitOptions& options);

}  // namespace amqp::transport

#endif  // BRIDGE_TRANSPORT_RABBIT_OPTIONS_H_
