#include "bridge/config/settings.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bridge/transport/transport_url.h"

namespace amqp::config {
namespace {

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

std::string SecondsText(absl::Duration duration) {
  return absl::StrCat(absl::ToDoubleSeconds(duration), "s");
}

std::string OrWhenEmpty(const std::string& text, absl::string_view when_empty) {
  return text.empty() ? std::string(when_empty) : text;
}

// The kinds of the table's rows: each binds to its BridgeConfig field in
// Bind() below.

// Any text; `when_empty` is what the start-up line shows for "".
struct Text {
  explicit Text(absl::string_view when_empty) : when_empty(when_empty) {}
  absl::string_view when_empty;
};

// Non-empty, printable, no spaces, at most `max_bytes` (an AMQP short string
// or an address).
struct Token {
  explicit Token(size_t max_bytes, absl::string_view when_empty = "")
      : max_bytes(max_bytes), when_empty(when_empty) {}
  size_t max_bytes;
  absl::string_view when_empty;
  bool optional = false;
};

// A Token, or "" for off.
Token OptionalToken(size_t max_bytes, absl::string_view when_empty) {
  Token token(max_bytes, when_empty);
  token.optional = true;
  return token;
}

// A whole number from `min` to `max`.
struct Count {
  Count(int64_t min, uint64_t max) : min(min), max(max) {}
  int64_t min;
  uint64_t max;
};

// An oslo boolean.
struct Switch {};

// A duration (ParseDuration) up to `max`.
struct Seconds {
  explicit Seconds(absl::Duration max) : max(max) {}
  absl::Duration max;
};

// A Seconds, or "0" for off.
struct SecondsOrOff {
  explicit SecondsOrOff(absl::Duration max) : max(max) {}
  absl::Duration max;
};

// Items split at any of `separators`, stripped, empty ones skipped; every
// value adds its items (the file's repeated keys add up). A whole-section
// row adds "<key>=<value>" per entry.
struct List {
  List(absl::string_view separators, absl::string_view when_empty)
      : separators(separators), when_empty(when_empty) {}
  absl::string_view separators;
  absl::string_view when_empty;
};

// An oslo transport_url; "" is oslo's "not set": rabbit://.
struct Url {};

// <topic>=<X.Y>[,...]; in the file one key per topic.
struct VersionCapList {};

SettingValue Bind(std::string BridgeConfig::*field, const Text& kind) {
  return {SettingType::kString,
          [field](absl::string_view text, BridgeConfig* config) {
            config->*field = std::string(text);
            return absl::OkStatus();
          },
          nullptr,
          [field, kind](const BridgeConfig& config) {
            return OrWhenEmpty(config.*field, kind.when_empty);
          }};
}

SettingValue Bind(std::string BridgeConfig::*field, const Token& kind) {
  return {SettingType::kString,
          [field, kind](absl::string_view text, BridgeConfig* config) {
            if (!kind.optional || !text.empty()) {
              if (absl::Status s = CheckToken(text, kind.max_bytes); !s.ok()) {
                return s;
              }
            }
            config->*field = std::string(text);
            return absl::OkStatus();
          },
          nullptr,
          [field, kind](const BridgeConfig& config) {
            return OrWhenEmpty(config.*field, kind.when_empty);
          }};
}

template <typename Int>
SettingValue Bind(Int BridgeConfig::*field, const Count& kind) {
  return {
      SettingType::kInt,
      [field, kind](absl::string_view text, BridgeConfig* config) {
        const Int min = static_cast<Int>(kind.min);
        const Int max = static_cast<Int>(kind.max);
        Int number = 0;
        if (!absl::SimpleAtoi(text, &number) || number < min || number > max) {
          return absl::InvalidArgumentError(absl::StrCat(
              "'", text, "' is not a whole number from ", min, " to ", max));
        }
        config->*field = number;
        return absl::OkStatus();
      },
      nullptr,
      [field](const BridgeConfig& config) {
        return absl::StrCat(config.*field);
      }};
}

SettingValue Bind(bool BridgeConfig::*field, Switch) {
  return {SettingType::kBool,
          [field](absl::string_view text, BridgeConfig* config) {
            return ParseBool(text, &(config->*field));
          },
          nullptr,
          [field](const BridgeConfig& config) {
            return std::string(config.*field ? "true" : "false");
          }};
}

SettingValue Bind(absl::Duration BridgeConfig::*field, const Seconds& kind) {
  return {SettingType::kDuration,
          [field, kind](absl::string_view text, BridgeConfig* config) {
            return ParseDuration(text, kind.max, &(config->*field));
          },
          nullptr,
          [field](const BridgeConfig& config) {
            return SecondsText(config.*field);
          }};
}

SettingValue Bind(absl::Duration BridgeConfig::*field,
                  const SecondsOrOff& kind) {
  return {SettingType::kDuration,
          [field, kind](absl::string_view text, BridgeConfig* config) {
            if (text == "0") {
              config->*field = absl::ZeroDuration();
              return absl::OkStatus();
            }
            return ParseDuration(text, kind.max, &(config->*field));
          },
          nullptr,
          [field](const BridgeConfig& config) {
            return config.*field == absl::ZeroDuration()
                       ? std::string("off")
                       : SecondsText(config.*field);
          }};
}

SettingValue Bind(std::vector<std::string> BridgeConfig::*field,
                  const List& kind) {
  return {SettingType::kList,
          [field, kind](absl::string_view text, BridgeConfig* config) {
            for (absl::string_view item :
                 absl::StrSplit(text, absl::ByAnyChar(kind.separators))) {
              item = absl::StripAsciiWhitespace(item);
              if (!item.empty()) (config->*field).emplace_back(item);
            }
            return absl::OkStatus();
          },
          // <package.Service> = <host:port>, checked where backends start.
          [field](absl::string_view key, absl::string_view value,
                  BridgeConfig* config) {
            (config->*field).push_back(absl::StrCat(key, "=", value));
            return absl::OkStatus();
          },
          [field, kind](const BridgeConfig& config) {
            return OrWhenEmpty(absl::StrJoin(config.*field, ","),
                               kind.when_empty);
          }};
}

SettingValue Bind(transport::TransportUrl BridgeConfig::*field, Url) {
  // Never the password, even where the row is not marked secret.
  auto redacted = [field](const BridgeConfig& config) {
    return (config.*field).Redacted();
  };
  return {SettingType::kUrl,
          [field](absl::string_view text, BridgeConfig* config) {
            if (text.empty()) {
              config->*field = transport::TransportUrl();
              return absl::OkStatus();
            }
            // ParseTransportUrl's errors never contain the password; do not
            // add the value either.
            absl::StatusOr<transport::TransportUrl> url =
                transport::ParseTransportUrl(text);
            if (!url.ok()) return url.status();
            config->*field = *std::move(url);
            return absl::OkStatus();
          },
          nullptr, redacted, redacted};
}

SettingValue Bind(rpc::VersionCaps BridgeConfig::*field, VersionCapList) {
  return {SettingType::kMap,
          [field](absl::string_view text, BridgeConfig* config) {
            return (config->*field).SetFromList(text);
          },
          [field](absl::string_view key, absl::string_view value,
                  BridgeConfig* config) {
            return (config->*field).Set(key, value);
          },
          [field](const BridgeConfig& config) {
            return (config.*field).Describe();
          }};
}

#define AMQP_BRIDGE_SETTING_ROW(flag, FlagType, default_value, section, key, \
                                secrecy, help, field, kind)                  \
  Setting{#flag,                                                             \
          section,                                                           \
          key,                                                               \
          default_value,                                                     \
          Secrecy::secrecy,                                                  \
          help,                                                              \
          #field,                                                            \
          Bind(&BridgeConfig::field, kind)},

}  // namespace

const std::vector<Setting>& Settings() {
  static const auto* const kSettings =
      new std::vector<Setting>{AMQP_BRIDGE_SETTINGS(AMQP_BRIDGE_SETTING_ROW)};
  return *kSettings;
}

#undef AMQP_BRIDGE_SETTING_ROW

std::string DescribeSetting(const Setting& setting,
                            const BridgeConfig& config) {
  if (setting.secrecy == Secrecy::kPlain) return setting.value.describe(config);
  return setting.value.redact ? setting.value.redact(config) : "***";
}

const Setting* FindSettingByFlag(absl::string_view flag) {
  const std::vector<Setting>& settings = Settings();
  auto it = std::find_if(settings.begin(), settings.end(),
                         [&](const Setting& s) { return s.flag == flag; });
  return it == settings.end() ? nullptr : &*it;
}

const Setting* FindSettingByKey(absl::string_view section,
                                absl::string_view key) {
  const std::vector<Setting>& settings = Settings();
  auto it =
      std::find_if(settings.begin(), settings.end(), [&](const Setting& s) {
        return s.section == section && (s.whole_section() || s.key == key);
      });
  return it == settings.end() ? nullptr : &*it;
}

}  // namespace amqp::config
