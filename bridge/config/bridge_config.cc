#include "bridge/config/bridge_config.h"

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bridge/config/oslo_ini.h"
#include "bridge/config/settings.h"

namespace amqp::config {
namespace {

constexpr absl::string_view kDefaultSection = "DEFAULT";
constexpr absl::string_view kBridgeSection = "grpc_amqp_bridge";
constexpr absl::string_view kRabbitSection = "oslo_messaging_rabbit";

// A section of the bridge's own: the table names it (other than [DEFAULT]),
// so a key there that the table does not know is a mistake.
bool IsBridgeSection(absl::string_view section) {
  return section != kDefaultSection &&
         absl::c_any_of(Settings(), [&](const Setting& setting) {
           return setting.section == section;
         });
}

// Where a key belongs, for a hint when it is in the wrong section.
std::string SectionHint(absl::string_view key) {
  for (const Setting& setting : Settings()) {
    if (setting.key == key || setting.flag == key) {
      return absl::StrCat(" (it belongs in [", setting.section, "])");
    }
  }
  if (transport::IsRabbitOption(key)) {
    return absl::StrCat(" (it belongs in [", kRabbitSection, "])");
  }
  return "";
}

absl::Status ApplyEntry(const IniEntry& entry, BridgeConfig* config) {
  if (entry.section == kRabbitSection) {
    absl::StatusOr<std::string> value = UnescapeOsloValue(entry.value);
    if (!value.ok()) return value.status();
    absl::Status s =
        transport::SetRabbitOption(entry.key, *value, &config->rabbit);
    if (!s.ok() && !transport::IsRabbitOption(entry.key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(s.message(), SectionHint(entry.key)));
    }
    return s;
  }
  const Setting* setting = FindSettingByKey(entry.section, entry.key);
  if (setting == nullptr) {
    if (!IsBridgeSection(entry.section)) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown key in [", entry.section, "]", SectionHint(entry.key)));
  }
  // A whole section's entries are taken as written.
  if (setting->whole_section()) {
    return setting->value.set_entry(entry.key, entry.value, config);
  }
  absl::StatusOr<std::string> value = UnescapeOsloValue(entry.value);
  if (!value.ok()) return value.status();
  return setting->value.set(*value, config);
}

// `overrides` names the flags given: a list's flags replace the file's
// entries, which are then only checked.
absl::Status ApplyFile(const std::string& path,
                       const ConfigOverrides& overrides, BridgeConfig* config) {
  absl::StatusOr<std::vector<IniEntry>> entries = ReadOsloIniFile(path);
  if (!entries.ok()) return entries.status();
  BridgeConfig replaced;
  for (const IniEntry& entry : *entries) {
    const Setting* setting = FindSettingByKey(entry.section, entry.key);
    const bool replaced_by_flag =
        setting != nullptr && setting->value.type == SettingType::kList &&
        overrides.count(std::string(setting->flag)) > 0;
    if (absl::Status s =
            ApplyEntry(entry, replaced_by_flag ? &replaced : config);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", entry.line, ": [", entry.section, "] ",
                       entry.key, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyDefaults(BridgeConfig* config) {
  for (const Setting& setting : Settings()) {
    if (setting.default_value.empty()) continue;  // the field stays empty
    if (absl::Status s = setting.value.set(setting.default_value, config);
        !s.ok()) {
      return absl::InternalError(absl::StrCat("the default of --", setting.flag,
                                              " is bad: ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyOverrides(const ConfigOverrides& overrides,
                            BridgeConfig* config) {
  for (const auto& [flag, value] : overrides) {
    const Setting* setting = FindSettingByFlag(flag);
    if (setting == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": not a bridge setting"));
    }
    if (absl::Status s = setting->value.set(value, config); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

const char* BoolText(bool value) { return value ? "true" : "false"; }

}  // namespace

absl::StatusOr<BridgeConfig> LoadBridgeConfig(
    const std::string& config_path, const ConfigOverrides& overrides) {
  BridgeConfig config;
  if (absl::Status s = ApplyDefaults(&config); !s.ok()) return s;
  if (!config_path.empty()) {
    config.config_file = config_path;
    if (absl::Status s = ApplyFile(config_path, overrides, &config); !s.ok()) {
      return s;
    }
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
  std::string line = absl::StrCat(
      "config=", config.config_file.empty() ? "(none)" : config.config_file);
  for (const Setting& setting : Settings()) {
    absl::StrAppend(&line, " ", setting.field, "=",
                    DescribeSetting(setting, config));
  }
  const transport::RabbitOptions& rabbit = config.rabbit;
  absl::StrAppend(
      &line, " grpc_tls=",
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
  return line;
}

}  // namespace amqp::config
