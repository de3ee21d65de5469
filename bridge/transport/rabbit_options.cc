#include "bridge/transport/rabbit_options.h"

#include <algorithm>
#include <array>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace amqp::transport {
namespace {

using Field = std::variant<bool RabbitOptions::*, int RabbitOptions::*,
                           std::string RabbitOptions::*>;

struct Option {
  absl::string_view name;
  Field field;
  int min = 0;  // integers only
};

constexpr Option kOptions[] = {
    {"ssl", &RabbitOptions::ssl},
    {"ssl_version", &RabbitOptions::ssl_version},
    {"ssl_key_file", &RabbitOptions::ssl_key_file},
    {"ssl_cert_file", &RabbitOptions::ssl_cert_file},
    {"ssl_ca_file", &RabbitOptions::ssl_ca_file},
    {"ssl_enforce_hostname_verification",
     &RabbitOptions::ssl_enforce_hostname_verification},
    {"heartbeat_timeout_threshold",
     &RabbitOptions::heartbeat_timeout_threshold},
    {"rabbit_retry_interval", &RabbitOptions::rabbit_retry_interval},
    {"rabbit_retry_backoff", &RabbitOptions::rabbit_retry_backoff},
    {"rabbit_interval_max", &RabbitOptions::rabbit_interval_max, 1},
    {"kombu_missing_consumer_retry_timeout",
     &RabbitOptions::kombu_missing_consumer_retry_timeout},
    {"rabbit_login_method", &RabbitOptions::rabbit_login_method},
    {"rabbit_qos_prefetch_count", &RabbitOptions::rabbit_qos_prefetch_count},
    {"amqp_durable_queues", &RabbitOptions::amqp_durable_queues},
    {"amqp_auto_delete", &RabbitOptions::amqp_auto_delete},
    {"rabbit_ha_queues", &RabbitOptions::rabbit_ha_queues},
    {"rabbit_quorum_queue", &RabbitOptions::rabbit_quorum_queue},
    {"rabbit_quorum_delivery_limit",
     &RabbitOptions::rabbit_quorum_delivery_limit},
    {"rabbit_quroum_max_memory_length",
     &RabbitOptions::rabbit_quroum_max_memory_length},
    {"rabbit_quroum_max_memory_bytes",
     &RabbitOptions::rabbit_quroum_max_memory_bytes},
    {"rabbit_transient_queues_ttl", &RabbitOptions::rabbit_transient_queues_ttl,
     1},
};

// oslo options that only steer the Python implementation (its heartbeat
// thread, kombu's own reconnect loop, compression, failover strategy) or that
// oslo itself no longer honours (direct_mandatory_flag: always on).
constexpr std::array<absl::string_view, 8> kNotApplicable = {
    "heartbeat_rate",
    "heartbeat_in_pthread",
    "kombu_reconnect_delay",
    "kombu_compression",
    "kombu_failover_strategy",
    "direct_mandatory_flag",
    "enable_cancel_on_failover",
    "ssl_enforce_fips_mode",
};

absl::Status BadValue(absl::string_view name, absl::string_view value,
                      absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("option ", name, "='", value, "' is not ", expected));
}

// oslo_config's Boolean type.
absl::Status ParseBool(absl::string_view name, absl::string_view value,
                       bool* out) {
  const std::string lower = absl::AsciiStrToLower(value);
  for (absl::string_view yes : {"1", "t", "true", "on", "y", "yes"}) {
    if (lower == yes) {
      *out = true;
      return absl::OkStatus();
    }
  }
  for (absl::string_view no : {"0", "f", "false", "off", "n", "no"}) {
    if (lower == no) {
      *out = false;
      return absl::OkStatus();
    }
  }
  return BadValue(name, value, "a boolean");
}

// The option called `name`; nullptr when there is none.
const Option* FindOption(absl::string_view name) {
  const Option* option =
      std::find_if(std::begin(kOptions), std::end(kOptions),
                   [&](const Option& o) { return o.name == name; });
  return option == std::end(kOptions) ? nullptr : option;
}

bool IsNotApplicable(absl::string_view name) {
  return std::find(kNotApplicable.begin(), kNotApplicable.end(), name) !=
         kNotApplicable.end();
}

}  // namespace

bool IsRabbitOption(absl::string_view name) {
  return IsNotApplicable(name) || FindOption(name) != nullptr;
}

absl::Status SetRabbitOption(absl::string_view name, absl::string_view value,
                             RabbitOptions* options) {
  if (IsNotApplicable(name)) return absl::OkStatus();
  const Option* option = FindOption(name);
  if (option == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown [oslo_messaging_rabbit] option '", name, "'"));
  }
  if (const auto* flag = std::get_if<bool RabbitOptions::*>(&option->field)) {
    return ParseBool(name, value, &(options->**flag));
  }
  if (const auto* text =
          std::get_if<std::string RabbitOptions::*>(&option->field)) {
    options->** text = std::string(value);
    return absl::OkStatus();
  }
  int number = 0;
  if (!absl::SimpleAtoi(value, &number)) {
    return BadValue(name, value, "an integer");
  }
  if (number < option->min) {
    return BadValue(name, value, absl::StrCat("at least ", option->min));
  }
  options->*std::get<int RabbitOptions::*>(option->field) = number;
  return absl::OkStatus();
}

absl::Status ApplyUrlQuery(const TransportUrl& url, RabbitOptions* options) {
  for (const auto& [name, value] : url.query) {
    if (absl::Status s = SetRabbitOption(name, value, options); !s.ok()) {
      return s;
    }
  }
  return ValidateRabbitOptions(*options);
}

absl::Status ValidateRabbitOptions(const RabbitOptions& options) {
  if (options.rabbit_quorum_queue && options.rabbit_ha_queues) {
    // oslo raises the same at the first declare.
    return absl::InvalidArgumentError(
        "rabbit_quorum_queue and rabbit_ha_queues are both enabled: a queue "
        "is quorum or HA (mirrored), not both");
  }
  if (options.rabbit_login_method != "AMQPLAIN" &&
      options.rabbit_login_method != "PLAIN") {
    return absl::InvalidArgumentError(absl::StrCat(
        "rabbit_login_method '", options.rabbit_login_method,
        "' is not supported: use PLAIN or AMQPLAIN (both send user and "
        "password)"));
  }
  if (!options.ssl_key_file.empty() && options.ssl_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "ssl_key_file is set but ssl_cert_file is not");
  }
  return absl::OkStatus();
}

bool DurableQueues(const RabbitOptions& options) {
  return options.amqp_durable_queues || options.rabbit_quorum_queue;
}

namespace {

// oslo's _get_queue_arguments(), in its key order.
std::vector<QueueArgument> QueueArguments(const RabbitOptions& options,
                                          bool quorum, int ttl_seconds) {
  std::vector<QueueArgument> arguments;
  if (options.rabbit_ha_queues) arguments.push_back({"x-ha-policy", "all"});
  if (quorum) {
    arguments.push_back({"x-queue-type", "quorum"});
    if (options.rabbit_quorum_delivery_limit > 0) {
      arguments.push_back(
          {"x-delivery-limit", options.rabbit_quorum_delivery_limit});
    }
    if (options.rabbit_quroum_max_memory_length > 0) {
      arguments.push_back(
          {"x-max-in-memory-length", options.rabbit_quroum_max_memory_length});
    }
    if (options.rabbit_quroum_max_memory_bytes > 0) {
      arguments.push_back(
          {"x-max-in-memory-bytes", options.rabbit_quroum_max_memory_bytes});
    }
  }
  if (ttl_seconds > 0) {
    arguments.push_back({"x-expires", int64_t{ttl_seconds} * 1000});
  }
  return arguments;
}

}  // namespace

std::vector<QueueArgument> TopicQueueArguments(const RabbitOptions& options) {
  return QueueArguments(options, options.rabbit_quorum_queue, 0);
}

std::vector<QueueArgument> TransientQueueArguments(
    const RabbitOptions& options) {
  return QueueArguments(options, false, options.rabbit_transient_queues_ttl);
}

}  // namespace amqp::transport
