// oslo_rpc: call, cast, fanout and serve against any oslo.messaging
// deployment, from the command line.
//
//   oslo_rpc call --transport_url=rabbit://u:p@host:5672/ --topic=compute
//       --server=host1 --version=5.0 get_info '{"instance_id": "x"}'
//   oslo_rpc serve --topic=compute --server=host1
//   oslo_rpc queues --topic=compute --server=host1,host2 [--delete_unused]
//
// Exit codes: 0 ok; 1 the server answered with a failure (printed on stderr
// as class, module and message); 2 timeout; 3 nobody listening or broker
// unreachable; 64 bad usage.

#include <glog/logging.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/json.h"
#include "bridge/rpc/dispatcher.h"
#include "bridge/rpc/endpoint.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/rpc/rpc_server.h"
#include "bridge/tools/topic_queues.h"
#include "bridge/transport/connection.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

// Its own type: --help shows the current value with passwords as "***".
ABSL_FLAG(amqp::transport::TransportUrlFlag, transport_url, {"rabbit://"},
          "oslo transport_url: rabbit://user:pass@host:port[,host2...]/vhost"
          "[?option=value...]");
ABSL_FLAG(std::string, exchange, "openstack",
          "control exchange (oslo's control_exchange)");
ABSL_FLAG(std::string, topic, "", "target topic (required)");
ABSL_FLAG(std::string, server, "",
          "target server: call/cast go to <topic>.<server>; serve listens "
          "there (required for serve); queues: the servers whose queues to "
          "report, comma-separated");
ABSL_FLAG(std::string, version, "",
          "call/cast: target version to request, e.g. 5.0; serve: the "
          "endpoint's version (default 1.0)");
ABSL_FLAG(std::string, namespace, "",
          "call/cast: target namespace to request; serve: the endpoint's");
ABSL_FLAG(double, timeout, 60, "seconds to wait for a reply or the broker");
ABSL_FLAG(double, call_monitor_timeout, 0,
          "call: oslo's call_monitor_timeout in seconds (0 = off): sent as "
          "_timeout, the server heartbeats every int(it)/2 s, and the call "
          "fails (exit 2) when neither a heartbeat nor the reply came for "
          "that long");
ABSL_FLAG(std::string, context, "{}",
          "oslo context as a JSON object; each key is sent as _context_<key>");
ABSL_FLAG(std::string, fail_method, "",
          "serve: this method fails with an InvalidArgument error (a "
          "RemoteError for Python clients) instead of echoing");
ABSL_FLAG(std::string, none_method, "",
          "serve: this method returns null (None) instead of the echo");
ABSL_FLAG(std::string, sleep_method, "",
          "serve: this method sleeps for its `seconds` argument before it "
          "echoes (heartbeating meanwhile when the caller sent _timeout)");
ABSL_FLAG(bool, delete_unused, false,
          "queues: delete the reported queues that have no consumer (and the "
          "messages waiting in them)");

namespace amqp {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitTimeout = 2;
constexpr int kExitUnavailable = 3;
constexpr int kExitUsage = 64;

constexpr char kUsage[] =
    "oslo_rpc call|cast|fanout|serve|queues [flags] [METHOD [JSON_ARGS]]\n"
    "  call METHOD [ARGS]    prints the JSON result\n"
    "  cast METHOD [ARGS]    returns once the broker has the message\n"
    "  fanout METHOD [ARGS]  cast to every server of the topic\n"
    "  serve                 answers every call with {method, args, context}\n"
    "                        (--fail_method fails one, --none_method returns\n"
    "                        null from one, --sleep_method sleeps in one)\n"
    "  queues                consumers and messages of the queues <topic> and\n"
    "                        <topic>.<server> for each --server=a,b; with\n"
    "                        --delete_unused, deletes those without consumer\n"
    "Exit codes: 0 ok, 1 remote failure, 2 timeout, 3 no listener or broker "
    "unreachable, 64 usage.";

int ExitCodeFor(const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) return kExitTimeout;
  if (absl::IsUnavailable(status)) return kExitUnavailable;
  return kExitFailure;
}

int ReportError(const absl::Status& status) {
  if (std::optional<oslo::Failure> failure = oslo::FailureFromStatus(status)) {
    std::cerr << failure->module << "." << failure->class_name << ": "
              << failure->message << "\n";
  } else {
    std::cerr << "oslo_rpc: " << status.message() << "\n";
  }
  return ExitCodeFor(status);
}

struct Transport {
  transport::TransportUrl url;
  transport::RabbitOptions rabbit;
};

absl::StatusOr<Transport> LoadTransport() {
  absl::StatusOr<transport::TransportUrl> url =
      transport::ParseTransportUrl(absl::GetFlag(FLAGS_transport_url).text);
  if (!url.ok()) return url.status();
  Transport t{*std::move(url), {}};
  if (absl::Status s = transport::ApplyUrlQuery(t.url, &t.rabbit); !s.ok()) {
    return s;
  }
  return t;
}

std::optional<std::string> FlagOrNullopt(const absl::Flag<std::string>& flag) {
  std::string value = absl::GetFlag(flag);
  if (value.empty()) return std::nullopt;
  return value;
}

int RunClient(const std::string& command, const Transport& transport,
              const std::string& method, const std::string& args_json) {
  oslo::JsonDocument args = oslo::NewJsonDocument();
  if (absl::Status s = oslo::ParseJson(args_json, &args);
      !s.ok() || !args.IsObject()) {
    std::cerr << "oslo_rpc: JSON_ARGS must be a JSON object"
              << (s.ok() ? "" : absl::StrCat(": ", s.message())) << "\n";
    return kExitUsage;
  }
  oslo::JsonDocument context = oslo::NewJsonDocument();
  if (absl::Status s = oslo::ParseJson(absl::GetFlag(FLAGS_context), &context);
      !s.ok() || !context.IsObject()) {
    std::cerr << "oslo_rpc: --context must be a JSON object"
              << (s.ok() ? "" : absl::StrCat(": ", s.message())) << "\n";
    return kExitUsage;
  }
  const absl::Duration timeout = absl::Seconds(absl::GetFlag(FLAGS_timeout));
  rpc::CallSpec spec;
  spec.target.exchange = absl::GetFlag(FLAGS_exchange);
  spec.target.topic = absl::GetFlag(FLAGS_topic);
  spec.target.server = absl::GetFlag(FLAGS_server);
  spec.target.version = FlagOrNullopt(FLAGS_version);
  spec.target.namespace_ = FlagOrNullopt(FLAGS_namespace);
  spec.target.fanout = command == "fanout";
  spec.timeout = timeout;
  if (const double monitor = absl::GetFlag(FLAGS_call_monitor_timeout);
      monitor > 0) {
    spec.call_monitor_timeout = absl::Seconds(monitor);
  }

  rpc::RpcClient client({transport.url, transport.rabbit, 1, "oslo_rpc"});
  if (!client.WaitReady(timeout)) {
    return ReportError(absl::UnavailableError(
        absl::StrCat("broker unreachable at ", transport.url.Redacted())));
  }
  const std::string canonical_args = oslo::ToPyJson(args);
  if (command == "call") {
    absl::StatusOr<std::string> result =
        client.Call(spec, method, canonical_args, &context);
    if (!result.ok()) return ReportError(result.status());
    std::cout << *result << "\n";
    return 0;
  }
  absl::Status cast = client.Cast(spec, method, canonical_args, &context);
  return cast.ok() ? 0 : ReportError(cast);
}

// Answers every call with what it received, and logs every cast.
int Serve(const Transport& transport) {
  const std::string version =
      FlagOrNullopt(FLAGS_version).value_or(std::string("1.0"));
  rpc::FunctionEndpoint endpoint(version, FlagOrNullopt(FLAGS_namespace));
  const std::string fail_method = absl::GetFlag(FLAGS_fail_method);
  const std::string none_method = absl::GetFlag(FLAGS_none_method);
  const std::string sleep_method = absl::GetFlag(FLAGS_sleep_method);
  endpoint.SetFallback(
      [&](rpc::CallContext& context,
          const rapidjson::Value& args) -> absl::StatusOr<std::string> {
        if (!sleep_method.empty() && context.method() == sleep_method) {
          auto seconds = args.FindMember("seconds");
          if (seconds != args.MemberEnd() && seconds->value.IsNumber()) {
            absl::SleepFor(absl::Seconds(seconds->value.GetDouble()));
          }
        }
        std::string echo;
        oslo::PyJsonWriter writer(&echo);
        writer.StartObject();
        writer.Key("method");
        writer.String(context.method());
        writer.Key("args");
        args.Accept(writer);
        writer.Key("context");
        context.values().Accept(writer);
        writer.EndObject();
        LOG(INFO) << (context.is_call() ? "call " : "cast ") << echo;
        if (!fail_method.empty() && context.method() == fail_method) {
          return absl::InvalidArgumentError(
              absl::StrCat("method ", context.method(),
                           " fails on purpose (--fail_method)"));
        }
        if (!none_method.empty() && context.method() == none_method) {
          return std::string("null");
        }
        return echo;
      });
  rpc::Dispatcher dispatcher;
  dispatcher.AddEndpoint(&endpoint);

  // Block the stop signals before any thread starts, then wait for one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  rpc::RpcServer::Options options;
  options.url = transport.url;
  options.rabbit = transport.rabbit;
  options.target.exchange = absl::GetFlag(FLAGS_exchange);
  options.target.topic = absl::GetFlag(FLAGS_topic);
  options.target.server = absl::GetFlag(FLAGS_server);
  options.name = "oslo_rpc-serve";
  rpc::RpcServer server(options, &dispatcher);
  if (server.WaitReady(absl::Seconds(absl::GetFlag(FLAGS_timeout)))) {
    LOG(INFO) << "serving topic '" << options.target.topic << "' server '"
              << options.target.server << "' on exchange '"
              << options.target.exchange << "' at " << transport.url.Redacted()
              << " (version " << version << ")";
  } else {
    LOG(WARNING) << "broker not reachable yet at " << transport.url.Redacted()
                 << "; serving once it is";
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LOG(INFO) << "stopping on signal " << signal_number;
  server.Stop();
  return 0;
}

// Reports (and with --delete_unused deletes) the topic's queues by name:
// AMQP cannot list queues (see topic_queues.h).
int Queues(const Transport& transport) {
  std::vector<std::string> servers =
      absl::StrSplit(absl::GetFlag(FLAGS_server), ',', absl::SkipEmpty());
  transport::Connection::Options options;
  options.connect_timeout = absl::Seconds(absl::GetFlag(FLAGS_timeout));
  options.connection_name = "oslo_rpc-queues";
  absl::Status status = absl::UnavailableError("no broker host");
  for (const transport::BrokerHost& host : transport.url.hosts) {
    absl::StatusOr<std::unique_ptr<transport::Connection>> connection =
        transport::Connection::Open(host, transport.url.vhost, transport.rabbit,
                                    options);
    if (!connection.ok()) {
      status = connection.status();
      continue;
    }
    std::vector<tools::TopicQueue> queues = tools::InspectTopicQueues(
        **connection,
        tools::TopicQueueNames(absl::GetFlag(FLAGS_topic), servers),
        absl::GetFlag(FLAGS_delete_unused));
    size_t width = 0;
    for (const tools::TopicQueue& queue : queues) {
      width = std::max(width, queue.name.size());
    }
    int exit_code = 0;
    for (const tools::TopicQueue& queue : queues) {
      std::cout << tools::FormatTopicQueue(queue, width) << "\n";
      if (!queue.status.ok() && !absl::IsNotFound(queue.status)) {
        exit_code = ExitCodeFor(queue.status);
      }
    }
    return exit_code;
  }
  return ReportError(status);
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  if (positional.size() < 2) {
    std::cerr << kUsage << "\n";
    return kExitUsage;
  }
  const std::string command = positional[1];
  if (absl::GetFlag(FLAGS_topic).empty()) {
    std::cerr << "oslo_rpc: --topic is required\n";
    return kExitUsage;
  }
  absl::StatusOr<Transport> transport = LoadTransport();
  if (!transport.ok()) {
    std::cerr << "oslo_rpc: " << transport.status().message() << "\n";
    return kExitUsage;
  }
  if (command == "serve") {
    if (absl::GetFlag(FLAGS_server).empty()) {
      std::cerr << "oslo_rpc: serve needs --server\n";
      return kExitUsage;
    }
    return Serve(*transport);
  }
  if (command == "queues") {
    if (positional.size() != 2) {
      std::cerr << "oslo_rpc: queues takes no arguments\n";
      return kExitUsage;
    }
    return Queues(*transport);
  }
  if (command != "call" && command != "cast" && command != "fanout") {
    std::cerr << "oslo_rpc: unknown command '" << command << "'\n"
              << kUsage << "\n";
    return kExitUsage;
  }
  if (positional.size() < 3 || positional.size() > 4) {
    std::cerr << "oslo_rpc: " << command << " needs METHOD [JSON_ARGS]\n";
    return kExitUsage;
  }
  return RunClient(command, *transport, positional[2],
                   positional.size() == 4 ? positional[3] : "{}");
}

}  // namespace
}  // namespace amqp

int main(int argc, char** argv) { return amqp::Main(argc, argv); }
