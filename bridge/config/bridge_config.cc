#include "bridge/config/bridge_config.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "bridge/config/oslo_ini.h"

namespace amqp::config {
namespace {

constexpr absl::string_view kDefaultSection = "DEFAULT";
constexpr absl::string_view kBridgeSection = "grpc_amqp_bridge";
constexpr absl::string_view kRabbitSection = "oslo_messaging_rabbit";
// Its keys are the settings named "metrics_" + key: [metrics] listen is
// --metrics_listen.
constexpr absl::string_view kMetricsSection = "metrics";
constexpr absl::string_view kMetricsPrefix = "metrics_";
// nova.conf's: each key a topic, each value its version cap.
constexpr absl::string_view kUpgradeLevelsSection = "upgrade_levels";
constexpr absl::string_view kBackendsSection = "backends";

// oslo_config.types.Boolean.
absl::Status ParseBool(absl::string_view text, bool* out) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "true" || lower == "1" || lower == "on" || lower == "yes") {
    *out = true;
    return absl::OkStatus();
  }
  if (lower == "false" || lower == "0" || lower == "off" || lower == "no") {
    *out = false;
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "'", text, "' is not a boolean (true/false, yes/no, on/off, 1/0)"));
}

// Whole or fractional seconds ("60", "0.5"), or a number with a unit
// ("500ms", "1.5s", "2m"): positive and finite, at most `max`.
absl::Status ParseDuration(absl::string_view text, absl::Duration max,
                           absl::Duration* out) {
  absl::Duration duration;
  double seconds = 0;
  const bool plain_number =
      !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return absl::ascii_isdigit(c) || c == '.';
      });
  bool parsed = false;
  if (plain_number) {
    parsed = absl::SimpleAtod(text, &seconds);
    duration = absl::Seconds(seconds);
  } else {
    parsed = absl::ParseDuration(text, &duration);
  }
  if (!parsed || duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text,
        "' is not a duration: give seconds (60) or a number with a unit "
        "(500ms, 1.5s, 2m)"));
  }
  if (duration <= absl::ZeroDuration() || duration > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is out of range: it must be more than 0",
        max == absl::InfiniteDuration()
            ? ""
            : absl::StrCat(" and at most ", absl::FormatDuration(max))));
  }
  *out = duration;
  return absl::OkStatus();
}

// Something that ends up in an AMQP short string or an address: non-empty,
// printable, no spaces.
absl::Status CheckToken(absl::string_view text, size_t max_bytes) {
  if (text.empty()) return absl::InvalidArgumentError("must not be empty");
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("is longer than ", max_bytes, " bytes"));
  }
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", absl::CHexEscape(text),
                       "' contains whitespace or a control character"));
    }
  }
  return absl::OkStatus();
}

// A whole number from `min` to `max`.
template <typename Int>
absl::Status ParseCount(absl::string_view value, Int min, Int max, Int* out) {
  Int number = 0;
  if (!absl::SimpleAtoi(value, &number) || number < min || number > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", value, "' is not a whole number from ", min, " to ", max));
  }
  *out = number;
  return absl::OkStatus();
}

using Setter = absl::Status (*)(absl::string_view value, BridgeConfig* config);

// A key of [DEFAULT] or [grpc_amqp_bridge], also usable as a flag.
struct Setting {
  absl::string_view key;
  absl::string_view section;
  Setter set;
};

const Setting kSettings[] = {
    {"transport_url", kDefaultSection,
     [](absl::string_view value, BridgeConfig* config) {
       // Empty is oslo's "not set": the default, rabbit://.
       if (value.empty()) {
         config->transport_url = transport::TransportUrl();
         return absl::OkStatus();
       }
       // ParseTransportUrl's errors never contain the password; do not add
       // the value either.
       absl::StatusOr<transport::TransportUrl> url =
           transport::ParseTransportUrl(value);
       if (!url.ok()) return url.status();
       config->transport_url = *std::move(url);
       return absl::OkStatus();
     }},
    {"control_exchange", kDefaultSection,
     [](absl::string_view value, BridgeConfig* config) {
       if (absl::Status s = CheckToken(value, 255); !s.ok()) return s;
       config->control_exchange = std::string(value);
       return absl::OkStatus();
     }},
    {"rpc_response_timeout", kDefaultSection,
     [](absl::string_view value, BridgeConfig* config) {
       return ParseDuration(value, absl::InfiniteDuration(),
                            &config->rpc_response_timeout);
     }},
    {"listen", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       if (absl::Status s = CheckToken(value, 1024); !s.ok()) return s;
       config->listen = std::string(value);
       return absl::OkStatus();
     }},
    {"descriptor_set", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       // Appends: the file's repeated keys add up; a flag clears first.
       for (absl::string_view path :
            absl::StrSplit(value, absl::ByAnyChar(",\n"))) {
         path = absl::StripAsciiWhitespace(path);
         if (!path.empty()) config->descriptor_sets.emplace_back(path);
       }
       return absl::OkStatus();
     }},
    {"gather_window", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       return ParseDuration(value, kMaxGatherWindow, &config->gather_window);
     }},
    {"fail_fast_no_consumer", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       return ParseBool(value, &config->fail_fast_no_consumer);
     }},
    {"error_map", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       config->error_map = std::string(value);
       return absl::OkStatus();
     }},
    {"include_tracebacks", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       return ParseBool(value, &config->include_tracebacks);
     }},
    {"io_threads", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       int threads = 0;
       if (!absl::SimpleAtoi(value, &threads) || threads < 1 ||
           threads > kMaxIoThreads) {
         return absl::InvalidArgumentError(absl::StrCat(
             "'", value, "' is not a whole number from 1 to ", kMaxIoThreads));
       }
       config->io_threads = threads;
       return absl::OkStatus();
     }},
    {"max_message_bytes", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       return ParseCount<uint64_t>(value, 0, kMaxMessageBytesLimit,
                                   &config->max_message_bytes);
     }},
    {"max_receive_message_bytes", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       return ParseCount<int>(value, 1, kMaxReceiveMessageBytesLimit,
                              &config->max_receive_message_bytes);
     }},
    {"max_inflight", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       return ParseCount<int64_t>(value, 0, kMaxInflightLimit,
                                  &config->max_inflight);
     }},
    {"grpc_tls_cert", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       config->grpc_tls_cert = std::string(value);
       return absl::OkStatus();
     }},
    {"grpc_tls_key", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       config->grpc_tls_key = std::string(value);
       return absl::OkStatus();
     }},
    {"grpc_tls_client_ca", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       config->grpc_tls_client_ca = std::string(value);
       return absl::OkStatus();
     }},
    {"publisher_id", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       if (absl::Status s = CheckToken(value, 255); !s.ok()) return s;
       config->publisher_id = std::string(value);
       return absl::OkStatus();
     }},
    {"notification_buffer", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       return ParseCount<int64_t>(value, 1, kMaxNotificationBuffer,
                                  &config->notification_buffer);
     }},
    {"access_log", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       config->access_log = std::string(value);
       return absl::OkStatus();
     }},
    {"metrics_listen", kMetricsSection,
     [](absl::string_view value, BridgeConfig* config) {
       if (!value.empty()) {
         if (absl::Status s = CheckToken(value, 1024); !s.ok()) return s;
       }
       config->metrics_listen = std::string(value);
       return absl::OkStatus();
     }},
    {"call_monitor_timeout", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       if (value == "0") {
         config->call_monitor_timeout = absl::ZeroDuration();
         return absl::OkStatus();
       }
       return ParseDuration(value, kMaxCallMonitorTimeout,
                            &config->call_monitor_timeout);
     }},
    {"server_name", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       if (absl::Status s = CheckToken(value, 255); !s.ok()) return s;
       config->server_name = std::string(value);
       return absl::OkStatus();
     }},
    {"backend_tls_ca", kBridgeSection,
     [](absl::string_view value, BridgeConfig* config) {
       config->backend_tls_ca = std::string(value);
       return absl::OkStatus();
     }},
    // Flag only (--backend=pkg.Service=host:port, repeatable, joined with
    // commas); the file has [backends] instead.
    {"backend", kBackendsSection,
     [](absl::string_view value, BridgeConfig* config) {
       for (absl::string_view entry : absl::StrSplit(value, ',')) {
         entry = absl::StripAsciiWhitespace(entry);
         if (!entry.empty()) config->backends.emplace_back(entry);
       }
       return absl::OkStatus();
     }},
    // Flag only (--version_cap=compute=5.0, repeatable); the file has
    // [upgrade_levels] instead.
    {"version_cap", kUpgradeLevelsSection,
     [](absl::string_view value, BridgeConfig* config) {
       return config->version_caps.SetFromList(value);
     }},
};

const Setting* FindSetting(absl::string_view key) {
  const Setting* setting =
      std::find_if(std::begin(kSettings), std::end(kSettings),
                   [&](const Setting& s) { return s.key == key; });
  return setting == std::end(kSettings) ? nullptr : setting;
}

// SetRabbitOption() has no lookup of its own: an option it knows accepts a
// value or rejects it as a bad value, never as unknown.
bool IsRabbitOption(absl::string_view key) {
  transport::RabbitOptions scratch;
  const absl::Status s = transport::SetRabbitOption(key, "", &scratch);
  return s.ok() || !absl::StartsWith(s.message(), "unknown");
}

// Where a key belongs, for a hint when it is in the wrong section.
std::string SectionHint(absl::string_view key) {
  if (const Setting* setting = FindSetting(key)) {
    return absl::StrCat(" (it belongs in [", setting->section, "])");
  }
  if (IsRabbitOption(key)) {
    return absl::StrCat(" (it belongs in [", kRabbitSection, "])");
  }
  return "";
}

absl::Status ApplyFile(const std::string& path, BridgeConfig* config) {
  absl::StatusOr<std::vector<IniEntry>> entries = ReadOsloIniFile(path);
  if (!entries.ok()) return entries.status();
  for (const IniEntry& entry : *entries) {
    const std::string where = absl::StrCat(path, ":", entry.line, ": [",
                                           entry.section, "] ", entry.key);
    const bool metrics_section = entry.section == kMetricsSection;
    const bool bridge_section =
        entry.section == kBridgeSection || metrics_section;
    const bool rabbit_section = entry.section == kRabbitSection;
    if (entry.section == kUpgradeLevelsSection) {
      if (absl::Status s = config->version_caps.Set(entry.key, entry.value);
          !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": ", s.message()));
      }
      continue;
    }
    if (entry.section == kBackendsSection) {
      // <package.Service> = <host:port>, checked where backends start.
      config->backends.push_back(absl::StrCat(entry.key, "=", entry.value));
      continue;
    }
    const Setting* setting = FindSetting(
        metrics_section ? absl::StrCat(kMetricsPrefix, entry.key) : entry.key);
    if (setting != nullptr && setting->section != entry.section) {
      setting = nullptr;
    }
    if (setting == nullptr && !rabbit_section) {
      if (!bridge_section) continue;  // [DEFAULT] and others' sections
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unknown key in [", entry.section, "]",
                       SectionHint(entry.key)));
    }
    absl::StatusOr<std::string> value = UnescapeOsloValue(entry.value);
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", value.status().message()));
    }
    if (rabbit_section) {
      absl::Status s =
          transport::SetRabbitOption(entry.key, *value, &config->rabbit);
      if (!s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": ", s.message(),
            IsRabbitOption(entry.key) ? "" : SectionHint(entry.key)));
      }
      continue;
    }
    if (absl::Status s = setting->set(*value, config); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyOverrides(const ConfigOverrides& overrides,
                            BridgeConfig* config) {
  for (const auto& [key, value] : overrides) {
    const Setting* setting = FindSetting(key);
    if (setting == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", key, ": not a bridge setting"));
    }
    // A flag replaces the file's list instead of adding to it.
    if (key == "descriptor_set") config->descriptor_sets.clear();
    if (key == "backend") config->backends.clear();
    if (absl::Status s = setting->set(value, config); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", key, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::string SecondsText(absl::Duration duration) {
  return absl::StrCat(absl::ToDoubleSeconds(duration), "s");
}

const char* BoolText(bool value) { return value ? "true" : "false"; }

}  // namespace

absl::StatusOr<BridgeConfig> LoadBridgeConfig(
    const std::string& config_path, const ConfigOverrides& overrides) {
  BridgeConfig config;
  if (!config_path.empty()) {
    config.config_file = config_path;
    if (absl::Status s = ApplyFile(config_path, &config); !s.ok()) return s;
  }
  if (absl::Status s = ApplyOverrides(overrides, &config); !s.ok()) return s;
  // oslo applies the transport_url query over [oslo_messaging_rabbit].
  if (absl::Status s =
          transport::ApplyUrlQuery(config.transport_url, &config.rabbit);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("RabbitMQ options ([", kRabbitSection,
                     "] and the transport_url query): ", s.message()));
  }
  if (config.grpc_tls_cert.empty() != config.grpc_tls_key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "grpc_tls_cert and grpc_tls_key go together: give both or neither ([",
        kBridgeSection, "] or --grpc_tls_cert/--grpc_tls_key)"));
  }
  if (!config.grpc_tls_client_ca.empty() && config.grpc_tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "grpc_tls_client_ca needs grpc_tls_cert and grpc_tls_key: client "
        "certificates are only asked for over TLS");
  }
  if (config.descriptor_sets.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no descriptor set to serve: give --descriptor_set or [",
                     kBridgeSection, "] descriptor_set"));
  }
  return config;
}

std::string DescribeConfig(const BridgeConfig& config) {
  const transport::RabbitOptions& rabbit = config.rabbit;
  return absl::StrCat(
      "config=", config.config_file.empty() ? "(none)" : config.config_file,
      " listen=", config.listen,
      " descriptor_sets=", absl::StrJoin(config.descriptor_sets, ","),
      " transport_url=", config.transport_url.Redacted(),
      " control_exchange=", config.control_exchange,
      " rpc_response_timeout=", SecondsText(config.rpc_response_timeout),
      " gather_window=", SecondsText(config.gather_window),
      " fail_fast_no_consumer=", BoolText(config.fail_fast_no_consumer),
      " include_tracebacks=", BoolText(config.include_tracebacks),
      " io_threads=", config.io_threads,
      " max_message_bytes=", config.max_message_bytes,
      " max_receive_message_bytes=", config.max_receive_message_bytes,
      " max_inflight=", config.max_inflight,
      " publisher_id=", config.publisher_id,
      " notification_buffer=", config.notification_buffer,
      " error_map=", config.error_map.empty() ? "(default)" : config.error_map,
      " metrics_listen=",
      config.metrics_listen.empty() ? "off" : config.metrics_listen,
      " access_log=", config.access_log.empty() ? "off" : config.access_log,
      " version_caps=", config.version_caps.Describe(), " backends=",
      config.backends.empty() ? "(none)" : absl::StrJoin(config.backends, ","),
      config.backends.empty()
          ? ""
          : absl::StrCat(" server_name=", config.server_name,
                         " backend_tls_ca=",
                         config.backend_tls_ca.empty() ? "(none)"
                                                       : config.backend_tls_ca),
      " call_monitor_timeout=",
      config.call_monitor_timeout == absl::ZeroDuration()
          ? "off"
          : SecondsText(config.call_monitor_timeout),
      " grpc_tls=",
      config.grpc_tls_cert.empty()
          ? "off"
          : absl::StrCat("cert ", config.grpc_tls_cert,
                         config.grpc_tls_client_ca.empty()
                             ? ", no client certificates"
                             : absl::StrCat(", client certificates verified "
                                            "against ",
                                            config.grpc_tls_client_ca)),
      " ssl=", BoolText(rabbit.ssl),
      " heartbeat_timeout_threshold=", rabbit.heartbeat_timeout_threshold,
      " durable_queues=", BoolText(transport::DurableQueues(rabbit)),
      " quorum_queues=", BoolText(rabbit.rabbit_quorum_queue),
      " ha_queues=", BoolText(rabbit.rabbit_ha_queues));
}

}  // namespace amqp::config
