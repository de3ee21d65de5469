// The absl flags of the settings table (settings.h) and which of them the
// user gave. In the program's main file, at global scope:
//
//   AMQP_BRIDGE_SETTINGS(AMQP_BRIDGE_SETTING_FLAG)
//
//   int main(int argc, char** argv) {
//     amqp::config::ParseCommandLine(argc, argv);
//     absl::StatusOr<BridgeConfig> config =
//         LoadBridgeConfig(absl::GetFlag(FLAGS_config),
//                          amqp::config::GivenFlags());
//
// Each flag reports every value the command line sets through absl's
// OnUpdate callback: that tells a flag the user gave from one left at its
// default (even a default given again, which must still win over the file),
// and it keeps every occurrence of a repeatable flag, where absl keeps only
// the last.

#ifndef BRIDGE_CONFIG_SETTING_FLAGS_H_
#define BRIDGE_CONFIG_SETTING_FLAGS_H_

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/strings/string_view.h"
#include "bridge/config/bridge_config.h"
#include "bridge/config/settings.h"
#include "bridge/transport/transport_url.h"

namespace amqp::config {

// Parses the command line (absl::ParseCommandLine, which handles --help and
// exits on errors), recording the settings' flags it sets.
std::vector<char*> ParseCommandLine(int argc, char** argv);

// The settings' flags the last ParseCommandLine set, as text for
// LoadBridgeConfig: a repeatable flag's occurrences joined with commas, any
// other flag's last value.
ConfigOverrides GivenFlags();

// For AMQP_BRIDGE_SETTING_FLAG: records one value a flag was set to while
// ParseCommandLine runs (absl also runs the callback when it registers the
// flag: that is no value the user gave).
void RecordFlag(absl::string_view flag, std::string text);

// A flag's value as the text LoadBridgeConfig parses (never through
// AbslUnparseFlag, which masks a secret).
inline std::string FlagText(const std::string& value) { return value; }
std::string FlagText(bool value);
std::string FlagText(int64_t value);
std::string FlagText(uint64_t value);
inline std::string FlagText(int value) { return FlagText(int64_t{value}); }
std::string FlagText(const std::vector<std::string>& value);
std::string FlagText(const transport::TransportUrlFlag& value);

// The flag's default: the table's text, parsed as the flag's type. Constant
// for bools and integers, whose absl flags must be constant-initialized.
template <typename T>
constexpr T FlagDefault(absl::string_view text) {
  if constexpr (std::is_same_v<T, bool>) {
    return text == "true";
  } else if constexpr (std::is_integral_v<T>) {
    T value = 0;
    for (const char digit : text) value = value * 10 + (digit - '0');
    return value;
  } else {
    T value{};
    std::string error;
    // A default that does not parse is a bug of the table, which
    // tests/config:settings_test catches (the flag's default differs).
    absl::ParseFlag(text, &value, &error);
    return value;
  }
}

}  // namespace amqp::config

// Defines the absl flag of one row of AMQP_BRIDGE_SETTINGS (see settings.h).
// A secret's flag type must mask it in --help (AbslUnparseFlag).
#define AMQP_BRIDGE_SETTING_FLAG(flag, FlagType, default_value, section, key, \
                                 secrecy, help, field, kind)                  \
  static_assert(                                                              \
      ::amqp::config::Secrecy::secrecy != ::amqp::config::Secrecy::kSecret || \
          !std::is_same_v<FlagType, std::string>,                             \
      "--" #flag                                                              \
      " is a secret: give it a flag type whose "                              \
      "AbslUnparseFlag masks it");                                            \
  ABSL_FLAG(FlagType, flag,                                                   \
            ::amqp::config::FlagDefault<FlagType>(default_value), help)       \
      .OnUpdate([] {                                                          \
        ::amqp::config::RecordFlag(                                           \
            #flag, ::amqp::config::FlagText(absl::GetFlag(FLAGS_##flag)));    \
      });

#endif  // BRIDGE_CONFIG_SETTING_FLAGS_H_
