#include "bridge/transport/connection.h"

#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/transport/amqp_status.h"
#include "bridge/transport/publish_frames.h"
#include "bridge/transport/tls_socket.h"

namespace amqp::transport {
namespace {

constexpr amqp_channel_t kChannel = 1;
// Passive declares fail by closing their channel; they get their own.
constexpr amqp_channel_t kProbeChannel = 2;
// Publishes that await no confirm (see Connection::Publish).
constexpr amqp_channel_t kUnconfirmedChannel = 3;

amqp_bytes_t Bytes(absl::string_view s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

std::string ToString(amqp_bytes_t b) {
  return std::string(static_cast<const char*>(b.bytes), b.len);
}

// Keeps the storage behind an amqp_table_t alive for one call.
class Table {
 public:
  explicit Table(const std::vector<QueueArgument>& arguments) {
    entries_.reserve(arguments.size());
    for (const QueueArgument& argument : arguments) {
      amqp_table_entry_t entry;
      entry.key = Bytes(argument.key);
      if (const auto* number = std::get_if<int64_t>(&argument.value)) {
        entry.value.kind = AMQP_FIELD_KIND_I64;
        entry.value.value.i64 = *number;
      } else {
        entry.value.kind = AMQP_FIELD_KIND_UTF8;
        entry.value.value.bytes = Bytes(std::get<std::string>(argument.value));
      }
      entries_.push_back(entry);
    }
  }
  amqp_table_t get() {
    return amqp_table_t{static_cast<int>(entries_.size()), entries_.data()};
  }

 private:
  std::vector<amqp_table_entry_t> entries_;
};

}  // namespace

absl::Status UnroutableError(const ReturnedMessage& returned) {
  return absl::UnavailableError(
      absl::StrCat("no queue is bound to exchange '", returned.exchange,
                   "' with routing key '", returned.routing_key, "' (",
                   returned.reply_code, " ", returned.reply_text, ")"));
}

Connection::Connection(amqp_connection_state_t state, const BrokerHost& host)
    : state_(state), host_(host) {}

Connection::~Connection() {
  // Best effort: a dead socket makes these return at once.
  (void)FlushOutput();
  amqp_channel_close(state_, kChannel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(state_);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const BrokerHost& host, absl::string_view vhost,
    const RabbitOptions& rabbit, const Options& options) {
  amqp_connection_state_t state = amqp_new_connection();
  if (state == nullptr)
    return absl::ResourceExhaustedError("amqp_new_connection");
  std::unique_ptr<Connection> connection(new Connection(state, host));
  const std::string where = absl::StrCat(host.host, ":", host.port);

  amqp_socket_t* socket = nullptr;
  if (rabbit.ssl) {
    absl::StatusOr<amqp_socket_t*> tls = NewTlsSocket(state, rabbit);
    if (!tls.ok()) return tls.status();
    socket = *tls;
  } else {
    socket = amqp_tcp_socket_new(state);
    if (socket == nullptr) return absl::InternalError("amqp_tcp_socket_new");
  }

  timeval connect_timeout = absl::ToTimeval(options.connect_timeout);
  int rc = amqp_socket_open_noblock(socket, host.host.c_str(), host.port,
                                    &connect_timeout);
  if (rc != AMQP_STATUS_OK) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", where,
                                               ": ", amqp_error_string2(rc),
                                               TlsHint(rc, host, rabbit)));
  }
  timeval rpc_timeout = absl::ToTimeval(options.rpc_timeout);
  amqp_set_handshake_timeout(state, &connect_timeout);
  amqp_set_rpc_timeout(state, &rpc_timeout);

  std::string vhost_str(vhost.empty() ? "/" : vhost);
  // The capabilities oslo (py-amqp) announces. consumer_cancel_notify
  // matters: without it the broker deletes a queue under its consumer (a
  // cluster node's queues after a failover) silently, and the consumer goes
  // quiet; with it, basic.cancel arrives and the connection starts over.
  amqp_table_entry_t capability_entries[] = {
      {Bytes("authentication_failure_close"),
       {AMQP_FIELD_KIND_BOOLEAN, {.boolean = 1}}},
      {Bytes("connection.blocked"), {AMQP_FIELD_KIND_BOOLEAN, {.boolean = 1}}},
      {Bytes("consumer_cancel_notify"),
       {AMQP_FIELD_KIND_BOOLEAN, {.boolean = 1}}},
  };
  amqp_table_entry_t properties_entries[] = {
      {Bytes("connection_name"),
       {AMQP_FIELD_KIND_UTF8, {.bytes = Bytes(options.connection_name)}}},
      {Bytes("product"),
       {AMQP_FIELD_KIND_UTF8, {.bytes = Bytes("grpc-amqp-bridge")}}},
      {Bytes("capabilities"),
       {AMQP_FIELD_KIND_TABLE, {.table = {3, capability_entries}}}},
  };
  amqp_table_t properties = {3, properties_entries};
  amqp_rpc_reply_t login = amqp_login_with_properties(
      state, vhost_str.c_str(), /*channel_max=*/0, /*frame_max=*/131072,
      rabbit.heartbeat_timeout_threshold, &properties, AMQP_SASL_METHOD_PLAIN,
      host.user.c_str(), host.password.c_str());
  if (absl::Status s =
          ReplyToStatus(login, absl::StrCat("login to ", where, " as ",
                                            host.user, " vhost ", vhost_str));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = connection->OpenChannel(kChannel, /*confirm=*/true);
      !s.ok()) {
    return s;
  }
  connection->max_message_bytes_ = options.max_message_bytes;
  connection->tls_ = rabbit.ssl;
  connection->write_timeout_ = options.rpc_timeout;
  return connection;
}

absl::Status Connection::OpenChannel(amqp_channel_t channel, bool confirm) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  amqp_channel_open(state_, channel);
  absl::Status s = ReplyToStatus(amqp_get_rpc_reply(state_), "channel.open");
  if (!s.ok() || !confirm) return s;
  amqp_confirm_select(state_, channel);
  return ReplyToStatus(amqp_get_rpc_reply(state_), "confirm.select");
}

absl::Status Connection::DeclareExchange(absl::string_view name,
                                         absl::string_view type, bool durable,
                                         bool auto_delete) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  amqp_exchange_declare(state_, kChannel, Bytes(name), Bytes(type),
                        /*passive=*/false, durable, auto_delete,
                        /*internal=*/false, amqp_empty_table);
  return ReplyToStatus(amqp_get_rpc_reply(state_),
                       absl::StrCat("declaring exchange '", name, "'"));
}

absl::Status Connection::DeclareExchangeToPublish(absl::string_view name,
                                                  absl::string_view type,
                                                  bool durable,
                                                  bool auto_delete) {
  if (declared_exchanges_.contains(name)) return absl::OkStatus();
  absl::Status s = DeclareExchange(name, type, durable, auto_delete);
  if (s.ok() && !auto_delete) declared_exchanges_.emplace(name);
  return s;
}

absl::StatusOr<QueueStatus> Connection::DeclareQueue(
    const QueueDeclaration& queue) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  Table arguments(queue.arguments);
  amqp_queue_declare_ok_t* ok = amqp_queue_declare(
      state_, kChannel, Bytes(queue.name), /*passive=*/false, queue.durable,
      queue.exclusive, queue.auto_delete, arguments.get());
  absl::Status s =
      ReplyToStatus(amqp_get_rpc_reply(state_),
                    absl::StrCat("declaring queue '", queue.name, "'"));
  if (!s.ok()) return s;
  return QueueStatus{ok->message_count, ok->consumer_count};
}

absl::Status Connection::OpenProbeChannel() {
  if (probe_channel_open_) return absl::OkStatus();
  if (absl::Status s = OpenChannel(kProbeChannel, false); !s.ok()) return s;
  probe_channel_open_ = true;
  return absl::OkStatus();
}

absl::Status Connection::ProbeReplyToStatus(const amqp_rpc_reply_t& reply,
                                            absl::string_view what) {
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
      reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    // The broker closed only the probe channel: acknowledge and carry on.
    amqp_channel_close_ok_t close_ok;
    amqp_send_method(state_, kProbeChannel, AMQP_CHANNEL_CLOSE_OK_METHOD,
                     &close_ok);
    probe_channel_open_ = false;
  }
  return ReplyToStatus(reply, what);
}

absl::StatusOr<QueueStatus> Connection::InspectQueue(absl::string_view name) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  if (absl::Status s = OpenProbeChannel(); !s.ok()) return s;
  amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(state_, kProbeChannel, Bytes(name), /*passive=*/true,
                         false, false, false, amqp_empty_table);
  absl::Status s =
      ProbeReplyToStatus(amqp_get_rpc_reply(state_),
                         absl::StrCat("inspecting queue '", name, "'"));
  if (!s.ok()) return s;
  return QueueStatus{ok->message_count, ok->consumer_count};
}

absl::StatusOr<uint32_t> Connection::DeleteUnusedQueue(absl::string_view name) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  if (absl::Status s = OpenProbeChannel(); !s.ok()) return s;
  amqp_queue_delete_ok_t* ok =
      amqp_queue_delete(state_, kProbeChannel, Bytes(name), /*if_unused=*/true,
                        /*if_empty=*/false);
  absl::Status s = ProbeReplyToStatus(
      amqp_get_rpc_reply(state_), absl::StrCat("deleting queue '", name, "'"));
  if (!s.ok()) return s;
  return ok->message_count;
}

absl::Status Connection::BindQueue(absl::string_view queue,
                                   absl::string_view exchange,
                                   absl::string_view routing_key) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  amqp_queue_bind(state_, kChannel, Bytes(queue), Bytes(exchange),
                  Bytes(routing_key), amqp_empty_table);
  return ReplyToStatus(
      amqp_get_rpc_reply(state_),
      absl::StrCat("binding queue '", queue, "' to '", exchange, "' with key '",
                   routing_key, "'"));
}

absl::Status Connection::DeleteQueue(absl::string_view name) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  amqp_queue_delete(state_, kChannel, Bytes(name), /*if_unused=*/false,
                    /*if_empty=*/false);
  return ReplyToStatus(amqp_get_rpc_reply(state_),
                       absl::StrCat("deleting queue '", name, "'"));
}

absl::Status Connection::SetPrefetch(int count) {
  if (count <= 0) return absl::OkStatus();
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  amqp_basic_qos(state_, kChannel, 0, static_cast<uint16_t>(count),
                 /*global=*/false);
  return ReplyToStatus(amqp_get_rpc_reply(state_), "basic.qos");
}

absl::Status Connection::Consume(absl::string_view queue,
                                 absl::string_view consumer_tag, bool no_ack) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  amqp_basic_consume(state_, kChannel, Bytes(queue), Bytes(consumer_tag),
                     /*no_local=*/false, no_ack,
                     /*exclusive=*/false, amqp_empty_table);
  absl::Status s = ReplyToStatus(amqp_get_rpc_reply(state_),
                                 absl::StrCat("consuming queue '", queue, "'"));
  if (s.ok() && no_ack) no_ack_consumers_.emplace(consumer_tag);
  return s;
}

absl::Status Connection::CancelConsumer(absl::string_view consumer_tag) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  no_ack_consumers_.erase(consumer_tag);
  amqp_basic_cancel(state_, kChannel, Bytes(consumer_tag));
  return ReplyToStatus(
      amqp_get_rpc_reply(state_),
      absl::StrCat("cancelling consumer '", consumer_tag, "'"));
}

absl::StatusOr<uint64_t> Connection::Publish(
    absl::string_view exchange, absl::string_view routing_key,
    const MessageProperties& properties, absl::string_view body, bool mandatory,
    bool confirm) {
  absl::StatusOr<uint64_t> sequence = BufferPublish(
      exchange, routing_key, properties, body, mandatory, confirm);
  if (!sequence.ok()) return sequence;
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  return sequence;
}

absl::StatusOr<uint64_t> Connection::BufferPublish(
    absl::string_view exchange, absl::string_view routing_key,
    const MessageProperties& properties, absl::string_view body, bool mandatory,
    bool confirm) {
  if (!confirm && !unconfirmed_channel_open_) {
    if (absl::Status s = OpenChannel(kUnconfirmedChannel, /*confirm=*/false);
        !s.ok()) {
      return s;
    }
    unconfirmed_channel_open_ = true;
  }
  amqp_basic_properties_t props;
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG |
                 AMQP_BASIC_CONTENT_ENCODING_FLAG |
                 AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_PRIORITY_FLAG |
                 AMQP_BASIC_HEADERS_FLAG;
  props.content_type = Bytes(properties.content_type);
  props.content_encoding = Bytes(properties.content_encoding);
  props.delivery_mode = properties.delivery_mode;
  props.priority = 0;
  props.headers = amqp_empty_table;  // oslo sends an empty table
  if (!properties.expiration.empty()) {
    props._flags |= AMQP_BASIC_EXPIRATION_FLAG;
    props.expiration = Bytes(properties.expiration);
  }
  const amqp_channel_t channel = confirm ? kChannel : kUnconfirmedChannel;
  if (tls_) {
    const int rc = amqp_basic_publish(state_, channel, Bytes(exchange),
                                      Bytes(routing_key), mandatory,
                                      /*immediate=*/false, &props, Bytes(body));
    if (rc != AMQP_STATUS_OK) {
      return absl::UnavailableError(
          absl::StrCat("publishing to '", exchange, "' with key '", routing_key,
                       "': ", amqp_error_string2(rc)));
    }
  } else {
    amqp_basic_publish_t method{};
    method.exchange = Bytes(exchange);
    method.routing_key = Bytes(routing_key);
    method.mandatory = mandatory;
    if (absl::Status s = AppendPublishFrames(
            channel, method, props, body, amqp_get_frame_max(state_), &output_);
        !s.ok()) {
      return s;
    }
  }
  return confirm ? next_publish_sequence_++ : 0;
}

absl::Status Connection::FlushOutput() {
  if (output_.empty()) return absl::OkStatus();  // most calls: no clock read
  size_t written = 0;
  const absl::Time deadline = absl::Now() + write_timeout_;
  while (written < output_.size()) {
    const ssize_t n = send(fd(), output_.data() + written,
                           output_.size() - written, MSG_NOSIGNAL);
    if (n > 0) {
      written += n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The broker reads slower than we write: wait, as rabbitmq-c would.
      const absl::Duration left = deadline - absl::Now();
      pollfd writable{fd(), POLLOUT, 0};
      if (left > absl::ZeroDuration() &&
          (poll(&writable, 1, absl::ToInt64Milliseconds(left) + 1) >= 0 ||
           errno == EINTR)) {
        continue;
      }
    }
    const int error = n < 0 ? errno : EPIPE;
    output_.clear();
    return absl::UnavailableError(absl::StrCat(
        "writing to ", host_.host, ":", host_.port, ": ",
        absl::Now() >= deadline ? "timed out" : std::strerror(error)));
  }
  output_.clear();
  return absl::OkStatus();
}

absl::Status Connection::Ack(uint64_t delivery_tag) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  held_.erase(delivery_tag);
  return LibraryStatus(amqp_basic_ack(state_, kChannel, delivery_tag, false),
                       "basic.ack");
}

absl::Status Connection::FlushAcks() {
  if (deferred_acks_.empty()) return absl::OkStatus();
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  absl::Status status;
  if (held_.empty()) {
    // Delivery tags grow on the channel: the last one covers the others.
    status =
        LibraryStatus(amqp_basic_ack(state_, kChannel, deferred_acks_.back(),
                                     /*multiple=*/true),
                      "basic.ack");
  } else {
    for (uint64_t tag : deferred_acks_) {
      status = LibraryStatus(amqp_basic_ack(state_, kChannel, tag, false),
                             "basic.ack");
      if (!status.ok()) break;
    }
  }
  deferred_acks_.clear();
  return status;
}

absl::Status Connection::Reject(uint64_t delivery_tag) {
  if (absl::Status s = FlushOutput(); !s.ok()) return s;
  held_.erase(delivery_tag);
  return LibraryStatus(
      amqp_basic_reject(state_, kChannel, delivery_tag, /*requeue=*/false),
      "basic.reject");
}

int Connection::fd() const { return amqp_get_sockfd(state_); }

bool Connection::HasBufferedInput() const {
  return amqp_frames_enqueued(state_) || amqp_data_in_buffer(state_);
}

absl::StatusOr<ConnectionEvent> Connection::NextEvent() {
  amqp_maybe_release_buffers(state_);
  timeval no_wait{0, 0};
  amqp_frame_t frame;
  const int rc = amqp_simple_wait_frame_noblock(state_, &frame, &no_wait);
  if (rc == AMQP_STATUS_TIMEOUT) return std::monostate();
  if (rc != AMQP_STATUS_OK) {
    return LibraryStatus(
        rc, absl::StrCat("connection to ", host_.host, ":", host_.port));
  }
  if (frame.frame_type == AMQP_FRAME_METHOD &&
      frame.payload.method.id == AMQP_BASIC_DELIVER_METHOD) {
    return ReadDelivery(frame);
  }
  return ReadNonDeliveryFrame(frame);
}

// What amqp_consume_message does, except that the content header's body size
// is checked before the body is read: an oversized body is skipped frame by
// frame instead of being allocated whole.
absl::StatusOr<ConnectionEvent> Connection::ReadDelivery(
    const amqp_frame_t& deliver) {
  const auto* method =
      static_cast<const amqp_basic_deliver_t*>(deliver.payload.method.decoded);
  const amqp_channel_t channel = deliver.channel;
  Delivery delivery;
  delivery.consumer_tag = ToString(method->consumer_tag);
  delivery.delivery_tag = method->delivery_tag;
  delivery.no_ack = !no_ack_consumers_.empty() &&
                    no_ack_consumers_.contains(delivery.consumer_tag);
  delivery.exchange = ToString(method->exchange);
  delivery.routing_key = ToString(method->routing_key);

  // Content frames of one channel are never interleaved with other frames
  // of that channel, and no other channel is busy here (channel 2 only
  // carries synchronous passive declares): the next frames are this
  // message's header and body.
  amqp_frame_t frame;
  int rc = amqp_simple_wait_frame(state_, &frame);
  if (rc != AMQP_STATUS_OK) return LibraryStatus(rc, "reading a delivery");
  if (frame.frame_type != AMQP_FRAME_HEADER || frame.channel != channel) {
    if (frame.frame_type == AMQP_FRAME_METHOD) {
      absl::StatusOr<ConnectionEvent> event = ReadNonDeliveryFrame(frame);
      if (!event.ok()) return event.status();  // a close
    }
    return absl::UnavailableError(
        "reading a delivery: no content header after basic.deliver");
  }
  const auto* properties = static_cast<const amqp_basic_properties_t*>(
      frame.payload.properties.decoded);
  if (properties->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG) {
    delivery.content_type = ToString(properties->content_type);
  }
  if (properties->_flags & AMQP_BASIC_EXPIRATION_FLAG) {
    delivery.expiration = ToString(properties->expiration);
  }
  delivery.body_size = frame.payload.properties.body_size;
  // rabbitmq-c allocates every frame in its channel's pool: give each one
  // back once copied (or skipped), so a large body is never held twice.
  amqp_maybe_release_buffers_on_channel(state_, channel);
  delivery.oversized =
      max_message_bytes_ > 0 && delivery.body_size > max_message_bytes_;
  // The broker caps bodies (max_message_size, 128 MiB by default); do not
  // trust a header's size for the reservation beyond that.
  if (!delivery.oversized) {
    delivery.body.reserve(std::min<uint64_t>(delivery.body_size, 128 << 20));
  }
  uint64_t read = 0;
  while (read < delivery.body_size) {
    rc = amqp_simple_wait_frame(state_, &frame);
    if (rc != AMQP_STATUS_OK) return LibraryStatus(rc, "reading a delivery");
    if (frame.frame_type != AMQP_FRAME_BODY || frame.channel != channel ||
        read + frame.payload.body_fragment.len > delivery.body_size) {
      return absl::UnavailableError(
          "reading a delivery: its body frames do not match its header");
    }
    read += frame.payload.body_fragment.len;
    if (!delivery.oversized) {
      delivery.body.append(
          static_cast<const char*>(frame.payload.body_fragment.bytes),
          frame.payload.body_fragment.len);
    }
    amqp_maybe_release_buffers_on_channel(state_, channel);
  }
  return delivery;
}

absl::StatusOr<ConnectionEvent> Connection::ReadNonDeliveryFrame(
    const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return std::monostate();
  switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
      auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
      return PublisherConfirm{ack->delivery_tag, ack->multiple != 0, true};
    }
    case AMQP_BASIC_NACK_METHOD: {
      auto* nack =
          static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
      return PublisherConfirm{nack->delivery_tag, nack->multiple != 0, false};
    }
    case AMQP_BASIC_RETURN_METHOD: {
      auto* ret =
          static_cast<amqp_basic_return_t*>(frame.payload.method.decoded);
      ReturnedMessage returned;
      returned.confirmed = frame.channel == kChannel;
      returned.reply_code = ret->reply_code;
      returned.reply_text = ToString(ret->reply_text);
      returned.exchange = ToString(ret->exchange);
      returned.routing_key = ToString(ret->routing_key);
      amqp_message_t message;
      amqp_rpc_reply_t read =
          amqp_read_message(state_, frame.channel, &message, 0);
      if (absl::Status s = ReplyToStatus(read, "reading a returned message");
          !s.ok()) {
        return s;
      }
      returned.body = ToString(message.body);
      amqp_destroy_message(&message);
      return returned;
    }
    case AMQP_CHANNEL_CLOSE_METHOD: {
      auto* close =
          static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
      amqp_channel_close_ok_t close_ok;
      amqp_send_method(state_, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD,
                       &close_ok);
      return absl::Status(
          CodeForReply(close->reply_code),
          absl::StrCat("broker closed channel ", frame.channel, ": ",
                       close->reply_code, " ", ToString(close->reply_text)));
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
      auto* close =
          static_cast<amqp_connection_close_t*>(frame.payload.method.decoded);
      amqp_connection_close_ok_t close_ok;
      amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
      return absl::UnavailableError(
          absl::StrCat("broker closed the connection: ", close->reply_code, " ",
                       ToString(close->reply_text)));
    }
    default:
      // basic.cancel (queue deleted) and the like: the owner reconnects on
      // errors, and a cancelled consumer shows up as silence, so say so.
      if (frame.payload.method.id == AMQP_BASIC_CANCEL_METHOD) {
        return absl::UnavailableError("broker cancelled a consumer");
      }
      return std::monostate();
  }
}

}  // namespace amqp::transport
