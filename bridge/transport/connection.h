// One AMQP 0-9-1 connection to RabbitMQ on rabbitmq-c, with the flags, queue
// arguments and publisher confirms that oslo.messaging uses.
//
// Channel 1 consumes, declares and publishes in publisher-confirm mode.
// Messages whose answer is their confirmation (a call's request, a reply) may
// skip the confirm round trip: they go on a second channel without confirm
// mode, opened on first use, and only come back if the broker returns them.
//
// Publishes may be buffered: BufferPublish() encodes a message's frames into
// memory (publish_frames.h), and FlushOutput() writes all of them in one
// send, one TCP segment for the broker to read instead of one per frame.
// Every other write (acks, declares, consumes) flushes them first, so the
// broker sees everything in call order. Over TLS, where the socket is
// rabbitmq-c's alone, every publish is written at once.
//
// A Connection is not thread-safe (neither is rabbitmq-c): exactly one thread
// at a time, under the lock of the IoThread that owns it, calls it. It does no
// waiting of its own but for its writes: the owner polls fd() and calls
// NextEvent() when input is ready, so one thread can multiplex consuming,
// confirms and publishes handed over by other threads.

#ifndef BRIDGE_TRANSPORT_CONNECTION_H_
#define BRIDGE_TRANSPORT_CONNECTION_H_

#include <amqp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bridge/transport/rabbit_options.h"
#include "bridge/transport/transport_url.h"

namespace amqp::transport {

// The basic properties oslo.messaging sets on every message it publishes.
struct MessageProperties {
  absl::string_view content_type = "application/json";
  absl::string_view content_encoding = "utf-8";
  uint8_t delivery_mode = 2;     // persistent, as oslo sends it
  absl::string_view expiration;  // milliseconds as text; empty = none
};

// A message the broker delivered to one of our consumers.
struct Delivery {
  std::string consumer_tag;
  uint64_t delivery_tag = 0;
  std::string exchange;
  std::string routing_key;
  std::string content_type;  // empty when the publisher set none
  std::string expiration;    // the message TTL in ms as text; empty: none
  std::string body;
  // The size the content header announced. A body over the connection's
  // max_message_bytes is read and dropped frame by frame, never held: then
  // `oversized` is true and `body` stays empty.
  uint64_t body_size = 0;
  bool oversized = false;
  // Set by an IoThread's on_delivery to settle the delivery itself later
  // (Connection::Ack or Reject through IoThread::Run, on the same
  // connection): the IoThread then neither acks nor rejects it, and holds it
  // (Connection::Hold) so that no multiple ack settles it.
  bool settle_later = false;
  // Its consumer takes messages without acks (Consume's no_ack): the broker
  // settled it on delivery, there is nothing to ack or reject.
  bool no_ack = false;
};

// The broker's answer to one or more publishes in confirm mode.
struct PublisherConfirm {
  uint64_t sequence = 0;
  bool multiple = false;  // confirms every sequence <= `sequence`
  bool ack = true;        // false: basic.nack, the broker lost the message
};

// A mandatory publish that no queue was bound to receive (basic.return).
struct ReturnedMessage {
  // Published with confirms: a PublisherConfirm of it follows.
  bool confirmed = true;
  int reply_code = 0;
  std::string reply_text;
  std::string exchange;
  std::string routing_key;
  std::string body;
};

// UNAVAILABLE, naming the exchange and routing key no queue is bound to.
absl::Status UnroutableError(const ReturnedMessage& returned);

// What NextEvent() found: nothing yet, or one of the above.
using ConnectionEvent =
    std::variant<std::monostate, Delivery, PublisherConfirm, ReturnedMessage>;

struct QueueDeclaration {
  std::string name;
  bool durable = false;
  bool auto_delete = false;
  bool exclusive = false;
  std::vector<QueueArgument> arguments;
};

struct QueueStatus {
  uint32_t message_count = 0;
  uint32_t consumer_count = 0;
};

class Connection {
 public:
  struct Options {
    absl::Duration connect_timeout = absl::Seconds(5);
    // Bounds every synchronous AMQP method (declare, bind, consume...).
    absl::Duration rpc_timeout = absl::Seconds(10);
    // Shown by `rabbitmqctl list_connections name`.
    std::string connection_name;
    // Deliveries whose body is larger are not read into memory (see
    // Delivery::oversized); 0 means no limit.
    uint64_t max_message_bytes = 0;
  };

  // Connects, logs in (SASL PLAIN), opens channel 1 and turns on confirms
  // there, like oslo's send channels. TLS when `rabbit.ssl` is set. UNAVAILABLE
  // when the broker cannot be reached; the message never contains the password.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const BrokerHost& host, absl::string_view vhost,
      const RabbitOptions& rabbit, const Options& options);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Declares an exchange. Consumers call this before each bind: an
  // auto-delete exchange vanishes with its last binding, so a declaration
  // made earlier on this connection proves nothing.
  absl::Status DeclareExchange(absl::string_view name, absl::string_view type,
                               bool durable, bool auto_delete);
  // The same before a publish: once per connection for an exchange that
  // stays (as oslo's publisher does with `_declared_exchanges`), so later
  // calls are free; every time for an auto-delete one (a fanout exchange).
  // That one vanishes with its last binding, and a publish to it would make
  // the broker close the channel, which costs the connection and whatever
  // it carries (oslo recovers by publishing again on a fresh channel). One
  // round trip per fanout cast is cheaper.
  absl::Status DeclareExchangeToPublish(absl::string_view name,
                                        absl::string_view type, bool durable,
                                        bool auto_delete);
  // Whether a publish to `name` can skip DeclareExchangeToPublish.
  bool ExchangeDeclared(absl::string_view name) const {
    return declared_exchanges_.contains(name);
  }
  absl::StatusOr<QueueStatus> DeclareQueue(const QueueDeclaration& queue);
  // Passive declare on a side channel, so a missing queue (NOT_FOUND) does
  // not close the channel that consumes and publishes.
  absl::StatusOr<QueueStatus> InspectQueue(absl::string_view name);
  absl::Status BindQueue(absl::string_view queue, absl::string_view exchange,
                         absl::string_view routing_key);
  absl::Status DeleteQueue(absl::string_view name);
  // queue.delete(if_unused) on the side channel: deletes the queue only
  // while no consumer holds it (FAILED_PRECONDITION otherwise) and returns
  // how many messages went with it. RabbitMQ answers 0 for a missing queue.
  absl::StatusOr<uint32_t> DeleteUnusedQueue(absl::string_view name);
  // basic.qos(0, count, global=false); 0 means unlimited and sends nothing.
  absl::Status SetPrefetch(int count);
  // With `no_ack`, the broker settles each message as it delivers it (no
  // basic.ack per message, see Delivery::no_ack).
  absl::Status Consume(absl::string_view queue, absl::string_view consumer_tag,
                       bool no_ack = false);
  absl::Status CancelConsumer(absl::string_view consumer_tag);

  // Publishes on channel 1 and returns the publish sequence number that a
  // later PublisherConfirm refers to. With `confirm` false, publishes on the
  // channel without confirms instead and returns 0. Written at once, in one
  // send with whatever BufferPublish() left.
  absl::StatusOr<uint64_t> Publish(absl::string_view exchange,
                                   absl::string_view routing_key,
                                   const MessageProperties& properties,
                                   absl::string_view body, bool mandatory,
                                   bool confirm = true);
  // The same, but the message waits for the next FlushOutput() or the next
  // other write, whichever comes first, so that a burst goes out together.
  absl::StatusOr<uint64_t> BufferPublish(absl::string_view exchange,
                                         absl::string_view routing_key,
                                         const MessageProperties& properties,
                                         absl::string_view body, bool mandatory,
                                         bool confirm = true);
  // Writes what BufferPublish() left, all in one send when the socket takes
  // it. Waits while the socket is full, up to the rpc_timeout; an error
  // means the connection is unusable.
  absl::Status FlushOutput();
  bool HasPendingOutput() const { return !output_.empty(); }

  // Settle one delivery now (and forget it if it was held).
  absl::Status Ack(uint64_t delivery_tag);
  absl::Status Reject(uint64_t delivery_tag);
  // Acks a delivery with the next FlushAcks(): one basic.ack(multiple) then
  // settles every delivery deferred since the last flush, instead of one
  // frame (and one write) per delivery, which the broker and we both pay for.
  void DeferAck(uint64_t delivery_tag) {
    deferred_acks_.push_back(delivery_tag);
  }
  // Writes the deferred acks: one basic.ack(multiple) when no delivery is
  // held, else one basic.ack each, so that none settles a held delivery.
  absl::Status FlushAcks();
  // Marks a delivery that its owner settles later with Ack or Reject.
  void Hold(uint64_t delivery_tag) { held_.insert(delivery_tag); }
  bool holding() const { return !held_.empty(); }

  // The socket to poll for input.
  int fd() const;
  // True when rabbitmq-c already holds unread input: do not wait on fd().
  bool HasBufferedInput() const;
  // Reads at most one event without blocking. Also sends heartbeats when due
  // and detects a silent broker. An error means the connection is unusable.
  absl::StatusOr<ConnectionEvent> NextEvent();

  const BrokerHost& host() const { return host_; }

 private:
  Connection(amqp_connection_state_t state, const BrokerHost& host);
  absl::Status OpenChannel(amqp_channel_t channel, bool confirm);
  // The side channel of InspectQueue and DeleteUnusedQueue, which the broker
  // closes on their errors: opened on demand, its close acknowledged.
  absl::Status OpenProbeChannel();
  absl::Status ProbeReplyToStatus(const amqp_rpc_reply_t& reply,
                                  absl::string_view what);
  absl::StatusOr<ConnectionEvent> ReadDelivery(const amqp_frame_t& deliver);
  absl::StatusOr<ConnectionEvent> ReadNonDeliveryFrame(
      const amqp_frame_t& frame);

  amqp_connection_state_t state_;
  BrokerHost host_;
  // Publishes encoded but not written yet; always empty over TLS.
  std::string output_;
  bool tls_ = false;
  absl::Duration write_timeout_;
  uint64_t next_publish_sequence_ = 1;
  bool probe_channel_open_ = false;
  bool unconfirmed_channel_open_ = false;
  uint64_t max_message_bytes_ = 0;
  absl::flat_hash_set<std::string> declared_exchanges_;
  absl::flat_hash_set<std::string> no_ack_consumers_;
  // Acked by DeferAck and not written yet, in delivery order.
  std::vector<uint64_t> deferred_acks_;
  // Deliveries under Hold, not settled yet (at most the prefetch count).
  absl::flat_hash_set<uint64_t> held_;
};

}  // namespace amqp::transport

#endif  // BRIDGE_TRANSPORT_CONNECTION_H_
