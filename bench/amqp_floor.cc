// amqp_floor: the floor row of the benchmarks, a raw rabbitmq-c
// request/reply loop with no JSON, no oslo and no gRPC. What it costs is two
// broker hops: request to the server's queue, reply to the client's queue.
//
//   amqp_floor --role=server --queue=bench_floor_1       # prints "ready"
//   amqp_floor --role=client --queue=bench_floor_1 --mode=latency --calls=2000
//   amqp_floor --role=client --queue=bench_floor_1 --mode=throughput
//       --in_flight=64 --seconds=5
//
// Both sides use what oslo uses on the wire for the same hops: persistent
// messages with a content type into non-durable queues, consumers that ack
// every message. No publisher confirms and no mandatory flag: this is the
// least a request/reply over RabbitMQ can cost (--confirm, --mandatory and
// --expiration add them, to see what each costs the broker). The client
// prints one JSON line (see load_stats.h).

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/load_stats.h"
#include "bridge/transport/transport_url.h"

ABSL_FLAG(std::string, role, "client", "server or client");
ABSL_FLAG(std::string, transport_url, "rabbit://guest:guest@127.0.0.1:5672/",
          "broker");
ABSL_FLAG(std::string, queue, "bench_floor", "the server's request queue");
ABSL_FLAG(std::string, mode, "latency",
          "client: latency (sequential calls) or throughput (closed loop)");
ABSL_FLAG(int, calls, 2000, "latency mode: calls measured");
ABSL_FLAG(int, in_flight, 1, "throughput mode: calls kept in flight");
ABSL_FLAG(double, seconds, 5, "throughput mode: measured time");
ABSL_FLAG(double, warmup_seconds, 0.5, "time run before measuring");
ABSL_FLAG(int, payload_bytes, 64, "request body size");
ABSL_FLAG(bool, confirm, false,
          "both sides publish in confirm mode (what a publisher confirm adds "
          "to the floor)");
ABSL_FLAG(bool, mandatory, false, "publish with the mandatory flag");
ABSL_FLAG(std::string, expiration, "", "per-message TTL of requests, ms");

namespace amqp::bench {
namespace {

constexpr amqp_channel_t kChannel = 1;

amqp_bytes_t Bytes(absl::string_view s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

[[noreturn]] void Die(absl::string_view what) {
  std::fprintf(stderr, "amqp_floor: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::exit(1);
}

void Check(amqp_rpc_reply_t reply, absl::string_view what) {
  if (reply.reply_type != AMQP_RESPONSE_NORMAL)
    Die(absl::StrCat(what, " failed"));
}

amqp_connection_state_t Connect() {
  absl::StatusOr<transport::TransportUrl> url =
      transport::ParseTransportUrl(absl::GetFlag(FLAGS_transport_url));
  if (!url.ok()) Die(url.status().message());
  const transport::BrokerHost& host = url->hosts.front();
  amqp_connection_state_t conn = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn);
  if (amqp_socket_open(socket, host.host.c_str(), host.port) != AMQP_STATUS_OK)
    Die("cannot connect to the broker");
  Check(amqp_login(conn, url->vhost.empty() ? "/" : url->vhost.c_str(), 0,
                   131072, 0, AMQP_SASL_METHOD_PLAIN, host.user.c_str(),
                   host.password.c_str()),
        "login");
  amqp_channel_open(conn, kChannel);
  Check(amqp_get_rpc_reply(conn), "channel.open");
  if (absl::GetFlag(FLAGS_confirm)) {
    amqp_confirm_select(conn, kChannel);
    Check(amqp_get_rpc_reply(conn), "confirm.select");
  }
  return conn;
}

// Declares `name` (server-named when empty) and consumes it with acks.
std::string DeclareAndConsume(amqp_connection_state_t conn,
                              const std::string& name) {
  amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(conn, kChannel, Bytes(name), /*passive=*/0,
                         /*durable=*/0, /*exclusive=*/name.empty() ? 1 : 0,
                         /*auto_delete=*/1, amqp_empty_table);
  Check(amqp_get_rpc_reply(conn), "queue.declare");
  std::string queue(static_cast<char*>(ok->queue.bytes), ok->queue.len);
  amqp_basic_consume(conn, kChannel, Bytes(queue), amqp_empty_bytes,
                     /*no_local=*/0, /*no_ack=*/0, /*exclusive=*/0,
                     amqp_empty_table);
  Check(amqp_get_rpc_reply(conn), "basic.consume");
  return queue;
}

void Publish(amqp_connection_state_t conn, absl::string_view routing_key,
             absl::string_view reply_to, absl::string_view correlation_id,
             absl::string_view body) {
  amqp_basic_properties_t props;
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                 AMQP_BASIC_CORRELATION_ID_FLAG;
  props.content_type = Bytes("application/octet-stream");
  props.delivery_mode = 2;
  props.correlation_id = Bytes(correlation_id);
  if (!reply_to.empty()) {
    props._flags |= AMQP_BASIC_REPLY_TO_FLAG;
    props.reply_to = Bytes(reply_to);
  }
  static const std::string* const kExpiration =
      new std::string(absl::GetFlag(FLAGS_expiration));
  if (!reply_to.empty() && !kExpiration->empty()) {
    props._flags |= AMQP_BASIC_EXPIRATION_FLAG;
    props.expiration = Bytes(*kExpiration);
  }
  if (amqp_basic_publish(conn, kChannel, amqp_empty_bytes, Bytes(routing_key),
                         absl::GetFlag(FLAGS_mandatory), 0, &props,
                         Bytes(body)) != AMQP_STATUS_OK) {
    Die("basic.publish");
  }
}

// Waits up to `timeout` for one delivery; false on timeout. Publisher
// confirms (--confirm) are read and dropped on the way.
bool Receive(amqp_connection_state_t conn, absl::Duration timeout,
             amqp_envelope_t* envelope) {
  while (true) {
    amqp_maybe_release_buffers(conn);
    timeval tv = absl::ToTimeval(timeout);
    amqp_rpc_reply_t reply = amqp_consume_message(conn, envelope, &tv, 0);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return true;
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_TIMEOUT) {
      return false;
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      amqp_frame_t frame;
      if (amqp_simple_wait_frame(conn, &frame) == AMQP_STATUS_OK &&
          frame.frame_type == AMQP_FRAME_METHOD &&
          frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
        continue;
      }
    }
    Die("receiving a message");
  }
}

void Ack(amqp_connection_state_t conn, uint64_t tag) {
  if (amqp_basic_ack(conn, kChannel, tag, 0) != AMQP_STATUS_OK) Die("ack");
}

int Server() {
  amqp_connection_state_t conn = Connect();
  DeclareAndConsume(conn, absl::GetFlag(FLAGS_queue));
  std::puts("ready");
  std::fflush(stdout);
  while (true) {
    amqp_envelope_t envelope;
    if (!Receive(conn, absl::Seconds(1), &envelope)) continue;
    const amqp_basic_properties_t& p = envelope.message.properties;
    Publish(
        conn,
        absl::string_view(static_cast<char*>(p.reply_to.bytes), p.reply_to.len),
        "",
        absl::string_view(static_cast<char*>(p.correlation_id.bytes),
                          p.correlation_id.len),
        absl::string_view(static_cast<char*>(envelope.message.body.bytes),
                          envelope.message.body.len));
    Ack(conn, envelope.delivery_tag);
    amqp_destroy_envelope(&envelope);
  }
}

int Client() {
  amqp_connection_state_t conn = Connect();
  const std::string reply_queue = DeclareAndConsume(conn, "");
  const std::string server_queue = absl::GetFlag(FLAGS_queue);
  const std::string body(absl::GetFlag(FLAGS_payload_bytes), 'x');
  uint64_t next_id = 0;
  auto send = [&] {
    Publish(conn, server_queue, reply_queue, absl::StrCat(next_id++), body);
  };
  LoadStats stats;

  if (absl::GetFlag(FLAGS_mode) == "latency") {
    const absl::Time warm_until =
        absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_warmup_seconds));
    const int calls = absl::GetFlag(FLAGS_calls);
    bool warming = true;
    const absl::Time started = absl::Now();
    absl::Time measured_from = started;
    while (warming || stats.calls() < calls) {
      const absl::Time sent = absl::Now();
      if (warming && sent >= warm_until) {
        warming = false;
        measured_from = sent;
      }
      send();
      amqp_envelope_t envelope;
      if (!Receive(conn, absl::Seconds(10), &envelope)) Die("no reply in 10 s");
      if (!warming) stats.Record(absl::Now() - sent);
      Ack(conn, envelope.delivery_tag);
      amqp_destroy_envelope(&envelope);
    }
    stats.Print("latency", absl::Now() - measured_from);
    return 0;
  }

  const int in_flight = absl::GetFlag(FLAGS_in_flight);
  const absl::Time start = absl::Now();
  const absl::Time measure_from =
      start + absl::Seconds(absl::GetFlag(FLAGS_warmup_seconds));
  const absl::Time measure_until =
      measure_from + absl::Seconds(absl::GetFlag(FLAGS_seconds));
  int outstanding = 0;
  for (; outstanding < in_flight; ++outstanding) send();
  while (outstanding > 0) {
    amqp_envelope_t envelope;
    if (!Receive(conn, absl::Seconds(10), &envelope)) Die("no reply in 10 s");
    --outstanding;
    stats.Ended();
    const absl::Time now = absl::Now();
    if (now >= measure_from && now < measure_until) stats.Count();
    Ack(conn, envelope.delivery_tag);
    amqp_destroy_envelope(&envelope);
    if (now < measure_until) {
      send();
      ++outstanding;
    }
  }
  stats.Print("throughput", measure_until - measure_from);
  return 0;
}

}  // namespace
}  // namespace amqp::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "raw rabbitmq-c request/reply: the benchmarks' floor");
  absl::ParseCommandLine(argc, argv);
  return absl::GetFlag(FLAGS_role) == "server" ? amqp::bench::Server()
                                               : amqp::bench::Client();
}
