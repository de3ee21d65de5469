// The table of the bridge's settings: one row per setting gives its flag, the
// flag's C++ type and default, its INI section and key, whether its value is
// a secret, its --help text, the BridgeConfig field it fills and the kind of
// value it takes. Everything else is derived from the row: the absl flag
// (AMQP_BRIDGE_SETTING_FLAG in setting_flags.h), the defaults, the INI
// mapping and the flag overrides of LoadBridgeConfig, and DescribeConfig's
// start-up line. A new setting is one row here plus its BridgeConfig field.
//
// It is an X-macro because the flags must be defined in the program's main
// file (absl's --help lists only the flags of the file named like the
// program) while the rest of the row is used here in bridge/config.
//
//   X(flag, FlagType, default, section, key, secrecy, help, field, kind)
//
//   flag     the flag's name (--flag) and the name in ConfigOverrides.
//   FlagType the absl flag's type: std::string, int, bool, ..., a
//            std::vector<std::string> for a repeatable flag (its occurrences
//            add up), a type whose AbslUnparseFlag masks it for a secret.
//   default  text, parsed like a value of the file; "" leaves the field
//            empty. The flag's own default is the same text parsed as
//            FlagType, so --help shows it.
//   section  the INI section; "DEFAULT" is shared with other programs (keys
//            the bridge does not know are ignored there), any other section
//            named here is the bridge's own (unknown keys are refused).
//   key      the INI key; "*": every key of the section is one entry, given
//            to the kind as <key> and <value> ([upgrade_levels], [backends]).
//   secrecy  kSecret or kPlain: DescribeConfig masks a secret.
//   help     the flag's --help text.
//   field    the BridgeConfig member, also the setting's name in the
//            start-up line.
//   kind     how the value is read and shown (settings.cc): Text, Token,
//            OptionalToken, Count, Switch, Seconds, SecondsOrOff, List, Url,
//            VersionCapList; its SettingType is the setting's type.
//
// Precedence: the defaults, then the file, then the flags the user gave; a
// list's flags replace the file's entries, a version cap flag wins over the
// file for its topic only.

#ifndef BRIDGE_CONFIG_SETTINGS_H_
#define BRIDGE_CONFIG_SETTINGS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/config/bridge_config.h"

// clang-format off
#define AMQP_BRIDGE_SETTINGS(X)                                               \
  X(listen, std::string, "127.0.0.1:50051", "grpc_amqp_bridge", "listen",     \
    kPlain,                                                                   \
    "gRPC address to listen on (HOST:PORT; port 0 picks a free one).",        \
    listen, Token(1024))                                                      \
  X(descriptor_set, std::vector<std::string>, "", "grpc_amqp_bridge",        \
    "descriptor_set", kPlain,                                                 \
    "FileDescriptorSet made with protoc --include_imports "                   \
    "--descriptor_set_out; repeat the flag (or separate with commas) "        \
    "for several. Every service with (amqp.service) options is served.",     \
    descriptor_sets, List(",\n", "(none)"))                                   \
  X(transport_url, ::amqp::transport::TransportUrlFlag, "rabbit://",          \
    "DEFAULT", "transport_url", kSecret,                                      \
    "oslo transport_url: rabbit://USER:PASS@HOST:PORT[,HOST2...]/VHOST"       \
    "[?oslo_messaging_rabbit options]. The password is never logged.",        \
    transport_url, Url())                                                     \
  X(control_exchange, std::string, "openstack", "DEFAULT",                    \
    "control_exchange", kPlain,                                               \
    "AMQP exchange of services whose (amqp.service) names none.",             \
    control_exchange, Token(255))                                             \
  X(rpc_response_timeout, std::string, "60", "DEFAULT",                       \
    "rpc_response_timeout", kPlain,                                           \
    "Seconds a call waits for its reply when the gRPC client sets no "        \
    "deadline.",                                                              \
    rpc_response_timeout, Seconds(absl::InfiniteDuration()))                  \
  X(gather_window, std::string, "1s", "grpc_amqp_bridge", "gather_window",    \
    kPlain,                                                                   \
    "How long a GATHER stream collects replies (x-amqp-gather-window-ms "     \
    "overrides it per call); always closed before the deadline.",             \
    gather_window, Seconds(kMaxGatherWindow))                                 \
  X(fail_fast_no_consumer, bool, "true", "grpc_amqp_bridge",                  \
    "fail_fast_no_consumer", kPlain,                                          \
    "Answer UNAVAILABLE at once when a call's target queue has no "           \
    "consumer (its server is gone) instead of waiting for the timeout.",      \
    fail_fast_no_consumer, Switch())                                          \
  X(error_map, std::string, "", "grpc_amqp_bridge", "error_map", kPlain,      \
    "Extra oslo exception -> gRPC code rules, checked before the "            \
    "defaults: 'QuotaExceeded=RESOURCE_EXHAUSTED,*Gone=NOT_FOUND'.",          \
    error_map, Text("(default)"))                                             \
  X(include_tracebacks, bool, "false", "grpc_amqp_bridge",                    \
    "include_tracebacks", kPlain,                                             \
    "Send remote Python tracebacks to gRPC clients in error messages.",       \
    include_tracebacks, Switch())                                             \
  X(io_threads, int, "2", "grpc_amqp_bridge", "io_threads", kPlain,           \
    "AMQP connections, one I/O thread each.",                                 \
    io_threads, Count(1, kMaxIoThreads))                                      \
  X(grpc_threads, int, "1", "grpc_amqp_bridge", "grpc_threads", kPlain,       \
    "gRPC completion queues, one thread each.",                               \
    grpc_threads, Count(1, kMaxGrpcThreads))                                  \
  X(max_message_bytes, uint64_t, "16777216", "grpc_amqp_bridge",              \
    "max_message_bytes", kPlain,                                              \
    "AMQP replies and subscription casts with a larger body are "             \
    "rejected unread (one log line each); 0 = no limit.",                     \
    max_message_bytes, Count(0, kMaxMessageBytesLimit))                       \
  X(max_receive_message_bytes, int, "4194304", "grpc_amqp_bridge",            \
    "max_receive_message_bytes", kPlain,                                      \
    "gRPC requests larger than this fail with RESOURCE_EXHAUSTED.",           \
    max_receive_message_bytes, Count(1, kMaxReceiveMessageBytesLimit))        \
  X(max_inflight, int64_t, "10000", "grpc_amqp_bridge", "max_inflight",       \
    kPlain,                                                                   \
    "gRPC calls in progress at once; beyond it a call fails at once "         \
    "with RESOURCE_EXHAUSTED. 0 = no limit.",                                 \
    max_inflight, Count(0, kMaxInflightLimit))                                \
  X(grpc_tls_cert, std::string, "", "grpc_amqp_bridge", "grpc_tls_cert",      \
    kPlain,                                                                   \
    "PEM certificate chain of the gRPC server. With --grpc_tls_key, the "     \
    "gRPC port serves TLS only (no plaintext); without, plaintext.",          \
    grpc_tls_cert, Text("(none)"))                                            \
  X(grpc_tls_key, std::string, "", "grpc_amqp_bridge", "grpc_tls_key",        \
    kPlain, "PEM private key of --grpc_tls_cert.",                            \
    grpc_tls_key, Text("(none)"))                                             \
  X(grpc_tls_client_ca, std::string, "", "grpc_amqp_bridge",                  \
    "grpc_tls_client_ca", kPlain,                                             \
    "PEM file of the CAs that sign client certificates. Set (needs "          \
    "--grpc_tls_cert): every client must present a certificate that "         \
    "verifies against it, or its connection is refused (mutual TLS).",        \
    grpc_tls_client_ca, Text("(none)"))                                       \
  X(metrics_listen, std::string, "", "metrics", "listen", kPlain,             \
    "HOST:PORT serving /metrics in the Prometheus text format "               \
    "([metrics] listen in the file); empty: off.",                            \
    metrics_listen, OptionalToken(1024, "off"))                               \
  X(access_log, std::string, "", "grpc_amqp_bridge", "access_log", kPlain,    \
    "File that gets one line per gRPC call (appended), '-' for "              \
    "standard output; empty: off.",                                           \
    access_log, Text("off"))                                                  \
  X(publisher_id, std::string, "grpc_amqp_bridge", "grpc_amqp_bridge",        \
    "publisher_id", kPlain,                                                   \
    "Publisher id of notifications that `notify` methods send when the "      \
    "call sets no x-amqp-publisher-id.",                                      \
    publisher_id, Token(255))                                                 \
  X(notification_buffer, int64_t, "1000", "grpc_amqp_bridge",                 \
    "notification_buffer", kPlain,                                            \
    "Notifications a NOTIFICATIONS stream holds for a slow reader; one "      \
    "more ends it with RESOURCE_EXHAUSTED.",                                  \
    notification_buffer, Count(1, kMaxNotificationBuffer))                    \
  X(version_cap, std::vector<std::string>, "", "upgrade_levels", "*",         \
    kPlain,                                                                   \
    "<topic>=<X.Y>, repeatable: the highest version calls to <topic> "        \
    "send (nova.conf's [upgrade_levels]); a method above it sends its "       \
    "fallback_version, or fails with FAILED_PRECONDITION.",                   \
    version_caps, VersionCapList())                                           \
  X(call_monitor_timeout, std::string, "0", "grpc_amqp_bridge",               \
    "call_monitor_timeout", kPlain,                                           \
    "oslo's call_monitor_timeout for calls (seconds or with a unit; 0 = "     \
    "off): the server heartbeats while it works and a call fails with "       \
    "DEADLINE_EXCEEDED when none came for that long. Per call: "              \
    "x-amqp-call-monitor-ms.",                                                \
    call_monitor_timeout, SecondsOrOff(kMaxCallMonitorTimeout))               \
  X(backend, std::vector<std::string>, "", "backends", "*", kPlain,           \
    "<package.Service>=<host:port>, repeatable: serve that service's "        \
    "oslo topic to oslo callers by calling the gRPC backend "                 \
    "(docs/reverse.md); replaces the INI file's [backends].",                 \
    backends, List(",", "(none)"))                                            \
  X(server_name, std::string, "", "grpc_amqp_bridge", "server_name", kPlain,  \
    "The server name of the <topic>.<server> queues the backends "            \
    "consume (oslo's host); default: this machine's host name.",              \
    server_name, Token(255, "(host name)"))                                   \
  X(backend_tls_ca, std::string, "", "grpc_amqp_bridge", "backend_tls_ca",    \
    kPlain,                                                                   \
    "PEM file of the CAs of the backends' certificates: TLS to every "        \
    "backend. Empty: plaintext.",                                             \
    backend_tls_ca, Text("(none)"))
// clang-format on

namespace amqp::config {

// What a setting's value is; a list's flags replace the file's entries.
enum class SettingType { kString, kInt, kBool, kDuration, kList, kMap, kUrl };

// Whether the start-up line may show a setting's value.
enum class Secrecy { kPlain, kSecret };

// A row's kind, bound to its BridgeConfig field.
struct SettingValue {
  SettingType type;
  // Parses one value (a flag's, a file's or the default) into the field.
  std::function<absl::Status(absl::string_view text, BridgeConfig*)> set;
  // One entry of a whole section (key "*"): its key and value as written.
  std::function<absl::Status(absl::string_view key, absl::string_view value,
                             BridgeConfig*)>
      set_entry;
  // The field for the start-up line.
  std::function<std::string(const BridgeConfig&)> describe;
  // For a kind that can hold a secret in part (a URL's password): the field
  // with the secret masked. Unset: a secret shows as "***".
  std::function<std::string(const BridgeConfig&)> redact;
};

// One row of AMQP_BRIDGE_SETTINGS.
struct Setting {
  absl::string_view flag;
  absl::string_view section;
  absl::string_view key;
  absl::string_view default_value;
  Secrecy secrecy;
  absl::string_view help;
  absl::string_view field;
  SettingValue value;

  bool whole_section() const { return key == "*"; }
};

// The setting's value for the start-up line; a secret masked.
std::string DescribeSetting(const Setting& setting, const BridgeConfig& config);

// The rows, in the table's order.
const std::vector<Setting>& Settings();

// The row of --`flag`; nullptr when there is none.
const Setting* FindSettingByFlag(absl::string_view flag);

// The row of `key` in `section` (a "*" row takes every key of its section);
// nullptr when there is none.
const Setting* FindSettingByKey(absl::string_view section,
                                absl::string_view key);

}  // namespace amqp::config

#endif  // BRIDGE_CONFIG_SETTINGS_H_
