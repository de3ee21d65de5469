// The settings of the grpc_amqp_bridge process, from defaults, an
// oslo.config-style INI file (--config) and command-line flags, in that order
// of precedence (flags win). The file uses oslo's own keys where oslo has one,
// so a bridge can read a service's nova.conf-like file as it is:
//
//   [DEFAULT]
//   transport_url = rabbit://nova:secret@rabbit1:5672/
//   control_exchange = nova
//   rpc_response_timeout = 60
//
//   [oslo_messaging_rabbit]
//   # Any option RabbitOptions knows (oslo has no inline comments).
//   heartbeat_timeout_threshold = 30
//
//   [metrics]
//   listen = 127.0.0.1:9464
//
//   [upgrade_levels]
//   # A version cap per topic, as in nova.conf (numbers, not release names).
//   compute = 5.0
//
//   [grpc_amqp_bridge]
//   listen = 0.0.0.0:50051
//   descriptor_set = /etc/bridge/api.pb, /etc/bridge/more.pb
//   gather_window = 500ms
//
// [DEFAULT] and sections the bridge does not know are shared with other
// programs, so keys the bridge does not know there are ignored, as oslo
// ignores them; an unknown key in [grpc_amqp_bridge], [metrics] or
// [oslo_messaging_rabbit] is an error. Each setting's flag, key, default and
// help text is a row of the table in settings.h. Usage from main():
//
//   AMQP_BRIDGE_SETTINGS(AMQP_BRIDGE_SETTING_FLAG)  // setting_flags.h
//   ...
//   ParseCommandLine(argc, argv);  // records the flags the user gave
//   absl::StatusOr<BridgeConfig> config =
//       LoadBridgeConfig(absl::GetFlag(FLAGS_config), GivenFlags());
//   if (!config.ok()) { LOG(ERROR) << config.status(); return 2; }
//   LOG(INFO) << "starting: " << DescribeConfig(*config);

#ifndef BRIDGE_CONFIG_BRIDGE_CONFIG_H_
#define BRIDGE_CONFIG_BRIDGE_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bridge/rpc/version.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

namespace amqp::config {

// Bounds enforced on the bridge's own settings.
inline constexpr absl::Duration kMaxGatherWindow = absl::Hours(1);
inline constexpr int kMaxIoThreads = 64;
inline constexpr int kMaxGrpcThreads = 64;
inline constexpr uint64_t kMaxMessageBytesLimit = uint64_t{512} << 20;
inline constexpr int kMaxReceiveMessageBytesLimit = 1 << 30;
inline constexpr int64_t kMaxInflightLimit = 10000000;
inline constexpr int64_t kMaxNotificationBuffer = 1000000;
inline constexpr absl::Duration kMaxCallMonitorTimeout = absl::Hours(1);

// The settings, filled by LoadBridgeConfig: the defaults come from the table
// (settings.h), not from this struct.
struct BridgeConfig {
  // [grpc_amqp_bridge] descriptor_set, --descriptor_set: FileDescriptorSet
  // files (protoc --include_imports --descriptor_set_out). Comma-separated;
  // in the file also repeated keys or continuation lines. At least one.
  std::vector<std::string> descriptor_sets;
  // [grpc_amqp_bridge] listen: the gRPC listening address.
  std::string listen;
  // [DEFAULT] transport_url. Default (and when empty) "rabbit://", which is
  // guest:guest@localhost:5672/ as in oslo. Log it with Redacted() only.
  transport::TransportUrl transport_url;
  // [oslo_messaging_rabbit], then transport_url's query options on top (as
  // oslo does), validated together.
  transport::RabbitOptions rabbit;
  // [DEFAULT] control_exchange: the exchange of services without their own.
  std::string control_exchange;
  // [DEFAULT] rpc_response_timeout: the reply wait of calls without a gRPC
  // deadline. Whole seconds as in oslo, or a number with a unit ("1.5s").
  absl::Duration rpc_response_timeout;
  // [grpc_amqp_bridge] gather_window: how long a GATHER stream collects
  // replies (a per-call header may change it). Seconds or with a unit
  // ("500ms"); at most kMaxGatherWindow.
  absl::Duration gather_window;
  // [grpc_amqp_bridge] fail_fast_no_consumer: answer UNAVAILABLE at once when
  // the target queue has no consumer.
  bool fail_fast_no_consumer = false;
  // [grpc_amqp_bridge] error_map: the operator's oslo exception -> gRPC code
  // mapping, passed on unparsed ("" = the design's defaults only).
  std::string error_map;
  // [grpc_amqp_bridge] include_tracebacks: send oslo tracebacks to gRPC
  // clients (in status details). Off: they are only logged.
  bool include_tracebacks = false;
  // [grpc_amqp_bridge] io_threads: AMQP connections / I/O threads, 1 to
  // kMaxIoThreads.
  int io_threads = 0;
  // [grpc_amqp_bridge] grpc_threads: gRPC completion queues / threads, 1 to
  // kMaxGrpcThreads.
  int grpc_threads = 0;
  // [grpc_amqp_bridge] max_message_bytes: AMQP replies (and subscription
  // casts) with a larger body are rejected unread, with one log line; 0 =
  // no limit, at most kMaxMessageBytesLimit (RabbitMQ's own ceiling).
  uint64_t max_message_bytes = 0;
  // [grpc_amqp_bridge] max_receive_message_bytes: gRPC requests larger than
  // this fail with RESOURCE_EXHAUSTED (set explicitly on the server; gRPC's
  // own default is also 4 MiB).
  int max_receive_message_bytes = 0;
  // [grpc_amqp_bridge] max_inflight: gRPC calls in progress at once; beyond
  // it a call fails at once with RESOURCE_EXHAUSTED. 0 = no limit.
  int64_t max_inflight = 0;
  // [grpc_amqp_bridge] grpc_tls_cert, grpc_tls_key: PEM files of the gRPC
  // server's certificate chain and private key. Both set: the gRPC port
  // serves TLS only; neither: plaintext.
  std::string grpc_tls_cert;
  std::string grpc_tls_key;
  // [grpc_amqp_bridge] grpc_tls_client_ca: PEM file of the CAs that sign
  // client certificates. Set (needs grpc_tls_cert): every client must
  // present a certificate that verifies against it (mutual TLS).
  std::string grpc_tls_client_ca;
  // [grpc_amqp_bridge] publisher_id: the publisher id of notifications sent
  // by `notify` methods whose call sets no x-amqp-publisher-id.
  std::string publisher_id;
  // [grpc_amqp_bridge] notification_buffer: notifications a NOTIFICATIONS
  // stream holds for a slow reader; one more ends the stream with
  // RESOURCE_EXHAUSTED. 1 to kMaxNotificationBuffer.
  int64_t notification_buffer = 0;
  // [metrics] listen, --metrics_listen: HOST:PORT where /metrics is served
  // in the Prometheus text format; "" = off.
  std::string metrics_listen;
  // [grpc_amqp_bridge] access_log: a file that gets one line per gRPC call
  // (appended), "-" for standard output; "" = off.
  std::string access_log;
  // [upgrade_levels] <topic> = <X.Y>, --version_cap=<topic>=<X.Y>
  // (repeatable; a flag wins over the file for its topic): the highest
  // version calls to a topic send. A release alias ("zed") is refused,
  // naming the key.
  rpc::VersionCaps version_caps;
  // [grpc_amqp_bridge] call_monitor_timeout: oslo's call_monitor_timeout
  // for calls whose client sent no x-amqp-call-monitor-ms; "0" (the default)
  // = off. Seconds or with a unit, at most kMaxCallMonitorTimeout.
  absl::Duration call_monitor_timeout;
  // The reverse direction (docs/reverse.md): [backends] <package.Service> =
  // <host:port> lines, --backend=<package.Service>=<host:port> (repeatable;
  // the flags replace the file's list), as "<service>=<address>" entries.
  std::vector<std::string> backends;
  // [grpc_amqp_bridge] server_name: the server of the <topic>.<server>
  // queues the reverse direction consumes; "" = the host name.
  std::string server_name;
  // [grpc_amqp_bridge] backend_tls_ca: PEM file of the CAs that sign the
  // backends' certificates; set: TLS to every backend, else plaintext.
  std::string backend_tls_ca;
  // The file the settings were read from; "" when none.
  std::string config_file;
};

// Flag name -> value text, for the flags the user set on the command line
// only (a flag left at its default must not hide the file's value):
// GivenFlags() (setting_flags.h) gives them. Names are the table's flags
// (settings.h); values are parsed like the file's; a repeatable flag's
// occurrences are joined with commas. A list's flag (--descriptor_set,
// --backend) replaces the file's list. [oslo_messaging_rabbit] options have
// no flags: put them in the transport_url query instead.
using ConfigOverrides = std::map<std::string, std::string>;

// Defaults, then the file at `config_path` (none when empty), then
// `overrides`. Errors name where the bad setting came from
// ("<path>:<line>: [section] key: ..." or "--key: ..."): the file's read
// status (NOT_FOUND...) when it cannot be read; INVALID_ARGUMENT for a syntax
// error, an unknown key in [grpc_amqp_bridge] or [oslo_messaging_rabbit] or
// in `overrides`, a bad value, or no descriptor set. They never contain a
// password.
absl::StatusOr<BridgeConfig> LoadBridgeConfig(const std::string& config_path,
                                              const ConfigOverrides& overrides);

// One line for the start-up log: every setting, the transport_url with its
// passwords replaced by "***" (TransportUrl::Redacted()).
std::string DescribeConfig(const BridgeConfig& config);

}  // namespace amqp::config

#endif  // BRIDGE_CONFIG_BRIDGE_CONFIG_H_
