#include "bridge/transport/io_thread.h"

#include <glog/logging.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "bridge/transport/log_text.h"
#include "bridge/transport/write_batch.h"

namespace amqp::transport {
namespace {

// Bounds how late a heartbeat goes out: rabbitmq-c sends them while reading.
constexpr absl::Duration kMaxPollInterval = absl::Seconds(1);
// Events handled per wake-up before commands get a turn again.
constexpr int kMaxEventsPerTurn = 256;

// The IoThread whose thread this is, if any.
thread_local const IoThread* current_io_thread = nullptr;

std::string ConnectionName(absl::string_view name) {
  return absl::StrCat(name, ":", getpid());
}

// The payload that marks ShuttingDownError; its value says nothing more.
constexpr absl::string_view kShuttingDownPayload =
    "type.googleapis.com/amqp.transport.ShuttingDown";

}  // namespace

absl::Status ShuttingDownError() {
  absl::Status status =
      absl::UnavailableError("AMQP connection is shutting down");
  status.SetPayload(kShuttingDownPayload, absl::Cord());
  return status;
}

bool IsShuttingDown(const absl::Status& status) {
  return status.GetPayload(kShuttingDownPayload).has_value();
}

IoThread::IoThread(Config config)
    : config_(std::move(config)), hosts_(config_.url.hosts) {
  std::shuffle(hosts_.begin(), hosts_.end(), std::random_device());
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  PCHECK(wake_fd_ >= 0) << "eventfd";
  thread_ = std::thread([this] {
    // "amqp-io-<n>" in creation order, for top -H and profilers.
    static std::atomic<int> next_id{0};
    const std::string name = absl::StrCat("amqp-io-", next_id.fetch_add(1));
    pthread_setname_np(pthread_self(), name.c_str());
    current_io_thread = this;
    Loop();
  });
}

IoThread::~IoThread() {
  // No batch flushes this connection from now on; what they held goes out
  // as the connection closes.
  WriteBatch::Forget(this);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  thread_.join();
  close(wake_fd_);
}

void IoThread::Publish(OutgoingMessage message, PublishDone done) {
  // Publish from this thread when the connection is free, the link is up,
  // nothing queued would be overtaken and the broker need not be asked
  // anything first: no hand-off to the I/O thread, and a stalled broker
  // never blocks the caller (a gRPC thread).
  if (io_mu_.TryLock()) {
    bool direct =
        connection_ != nullptr && broken_.ok() && !NeedsRoundTrip(message);
    if (direct) {
      absl::MutexLock lock(&mu_);
      direct = !stopping_ && commands_.empty();
    }
    if (direct) {
      Verdicts verdicts;
      DoPublish(message, done, &verdicts);
      // Written now, or with the rest of the calling thread's burst.
      WriteBatch* batch = WriteBatch::OfThisThread();
      if (batch == nullptr && broken_.ok()) WriteOutput();
      const bool held = batch != nullptr && connection_->HasPendingOutput();
      // The I/O thread disconnects a broken link, and reads what rabbitmq-c
      // buffered while sending (poll() no longer sees it on the socket).
      const bool wake = !broken_.ok() || connection_->HasBufferedInput();
      io_mu_.Unlock();
      if (held) batch->Hold(this);
      Report(verdicts);
      if (wake) Wake();
      return;
    }
    io_mu_.Unlock();
  }
  Command command{std::move(message), std::move(done), {}};
  if (!Enqueue(command)) {
    command.done(ShuttingDownError());
  }
}

bool IoThread::Enqueue(Command& command) {
  bool first;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    first = commands_.empty();
    commands_.push_back(std::move(command));
  }
  // The thread takes the whole queue when it wakes: one wake-up is enough.
  // Its own commands (a callback's reply) need none: WaitForWork looks.
  if (first && current_io_thread != this) Wake();
  return true;
}

void IoThread::WriteOutput() {
  if (absl::Status s = connection_->FlushOutput(); !s.ok()) {
    broken_ = std::move(s);
  }
}

bool IoThread::KeepUnlessBroken() {
  if (!broken_.ok()) {
    const absl::Status why = broken_;  // Disconnect clears broken_
    Disconnect(why);
  }
  return connection_ != nullptr;
}

void IoThread::FlushHeld() {
  bool wake = false;
  {
    absl::MutexLock lock(&io_mu_);
    if (connection_ == nullptr || !broken_.ok()) return;
    WriteOutput();
    wake = !broken_.ok();
  }
  if (wake) Wake();  // the I/O thread drops the connection
}

void IoThread::Report(Verdicts& verdicts) {
  for (Verdict& verdict : verdicts) verdict.done(std::move(verdict.status));
  verdicts.clear();
}

void IoThread::Run(Task task) {
  Command command{std::nullopt, {}, std::move(task)};
  if (!Enqueue(command)) command.task(nullptr);
}

bool IoThread::WaitConnected(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (!connected()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

void IoThread::Wake() {
  uint64_t one = 1;
  // A full counter already means "wake up"; nothing to handle.
  (void)!write(wake_fd_, &one, sizeof(one));
}

void IoThread::WaitForWork(int fd, absl::Duration timeout) {
  {
    // Commands this thread queued itself did not wake it.
    absl::MutexLock lock(&mu_);
    if (!commands_.empty() || stopping_) return;
  }
  // `fd` stays open: only this thread closes the connection.
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {fd, POLLIN, 0}};
  poll(fds, 2, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  // Drained only when set: a wake-up that comes after poll() returned makes
  // the next poll() return at once.
  if ((fds[0].revents & POLLIN) != 0) {
    uint64_t drained;
    (void)!read(wake_fd_, &drained, sizeof(drained));
  }
}

void IoThread::Loop() {
  Verdicts verdicts;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    io_mu_.Lock();
    if (connection_ == nullptr && !Connect()) {
      io_mu_.Unlock();
      // oslo/kombu: retry_interval, then + backoff per failure, up to max.
      const double seconds = std::min(
          config_.rabbit.rabbit_retry_interval +
              (failed_attempts_ - 1) * config_.rabbit.rabbit_retry_backoff,
          config_.rabbit.rabbit_interval_max);
      const absl::Time retry_at = absl::Now() + absl::Seconds(seconds);
      // Keep answering commands (with UNAVAILABLE) while waiting to retry.
      while (absl::Now() < retry_at) {
        {
          absl::MutexLock lock(&io_mu_);
          RunCommands(&verdicts);
        }
        Report(verdicts);
        {
          absl::MutexLock lock(&mu_);
          if (stopping_) break;
        }
        WaitForWork(-1, std::min(retry_at - absl::Now(), kMaxPollInterval));
      }
      continue;
    }
    RunCommands(&verdicts);
    bool input_ok = KeepUnlessBroken() && ProcessInput();
    if (input_ok) {
      // What this turn published (commands, callbacks) goes out in one write.
      WriteOutput();
      input_ok = KeepUnlessBroken();
    }
    const bool buffered = input_ok && connection_->HasBufferedInput();
    const int fd = input_ok ? connection_->fd() : -1;
    io_mu_.Unlock();
    Report(verdicts);
    if (input_ok && !buffered) WaitForWork(fd, kMaxPollInterval);
  }
  {
    absl::MutexLock lock(&io_mu_);
    RunCommands(&verdicts);  // fails what is queued: stopping_ is set
    Disconnect(ShuttingDownError());
  }
  Report(verdicts);
}

bool IoThread::Connect() {
  const BrokerHost& host = hosts_[next_host_];
  next_host_ = (next_host_ + 1) % hosts_.size();
  Connection::Options options;
  options.connection_name = ConnectionName(config_.name);
  options.max_message_bytes = config_.max_message_bytes;
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Open(host, config_.url.vhost, config_.rabbit, options);
  absl::Status status = connection.status();
  if (status.ok() && config_.on_connect)
    status = config_.on_connect(**connection);
  if (!status.ok()) {
    ++failed_attempts_;
    if (failed_attempts_ == 1 || failed_attempts_ % 10 == 0) {
      LOG(WARNING) << config_.name << ": " << status.message() << " (attempt "
                   << failed_attempts_ << ", retrying)";
    }
    last_error_ = status;
    if (config_.on_state) config_.on_state(false);
    return false;
  }
  // Where a connection went after a loss (failover) is worth a line even
  // when the first attempt worked.
  if (connected_before_) reconnects_.fetch_add(1, std::memory_order_relaxed);
  if (failed_attempts_ > 0 || connected_before_) {
    LOG(INFO) << config_.name << ": connected to " << host.host << ":"
              << host.port << " after " << failed_attempts_
              << " failed attempt(s)";
  }
  connected_before_ = true;
  failed_attempts_ = 0;
  connection_ = *std::move(connection);
  broken_ = absl::OkStatus();
  first_unconfirmed_ = 1;  // sequence numbers restart with the channel
  connected_.store(true, std::memory_order_release);
  if (config_.on_state) config_.on_state(true);
  return true;
}

void IoThread::Disconnect(const absl::Status& why) {
  if (connection_ != nullptr) {
    LOG_IF(WARNING, !IsShuttingDown(why))
        << config_.name << ": lost the connection to "
        << connection_->host().host << ":" << connection_->host().port << ": "
        << why.message();
  }
  const bool was_connected = connection_ != nullptr;
  connected_.store(false, std::memory_order_release);
  connection_.reset();
  if (was_connected && config_.on_state) config_.on_state(false);
  broken_ = absl::OkStatus();
  last_error_ = why;
  auto unconfirmed = std::move(unconfirmed_);
  unconfirmed_.clear();
  unconfirmed_count_.store(0, std::memory_order_relaxed);
  for (PendingPublish& pending : unconfirmed) {
    if (pending.confirmed) continue;
    pending.done(absl::UnavailableError(absl::StrCat(
        "connection to the broker lost before it confirmed the message: ",
        why.message())));
  }
}

void IoThread::RunCommands(Verdicts* verdicts) {
  std::vector<Command> commands;
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    commands.swap(commands_);
    stopping = stopping_;
  }
  for (Command& command : commands) {
    const bool usable = connection_ != nullptr && broken_.ok() && !stopping;
    if (!command.message.has_value()) {
      command.task(usable ? connection_.get() : nullptr);
    } else if (stopping) {
      verdicts->push_back({std::move(command.done), ShuttingDownError()});
    } else if (!usable) {
      verdicts->push_back(
          {std::move(command.done),
           absl::UnavailableError(absl::StrCat(
               "broker unreachable: ",
               broken_.ok() ? last_error_.message() : broken_.message()))});
    } else {
      DoPublish(*command.message, command.done, verdicts);
    }
  }
}

void IoThread::DoPublish(OutgoingMessage& message, PublishDone& done,
                         Verdicts* verdicts) {
  absl::Status status;
  if (message.declare.has_value()) {
    const ExchangeSpec& x = *message.declare;
    status = connection_->DeclareExchangeToPublish(x.name, x.type, x.durable,
                                                   x.auto_delete);
  }
  if (status.ok() && message.require_consumer) {
    if (absl::Status idle = CheckConsumers(message.routing_key); !idle.ok()) {
      verdicts->push_back({std::move(done), std::move(idle)});
      return;
    }
  }
  absl::StatusOr<uint64_t> sequence;
  if (status.ok()) {
    MessageProperties properties;
    properties.expiration = message.expiration;
    sequence = connection_->BufferPublish(message.exchange, message.routing_key,
                                          properties, message.body,
                                          message.mandatory, message.confirm);
    status = sequence.status();
  }
  if (!status.ok()) {
    verdicts->push_back({std::move(done), status});
    // A failed declare (e.g. flag mismatch) closes the channel: the I/O
    // thread starts over.
    broken_ = std::move(status);
    return;
  }
  if (!message.confirm) {
    verdicts->push_back({std::move(done), absl::OkStatus()});
    return;
  }
  // Sequence numbers are consecutive from 1 on each connection.
  unconfirmed_.push_back(PendingPublish{
      std::move(message.exchange), std::move(message.routing_key),
      absl::Hash<absl::string_view>()(message.body), std::move(done),
      absl::OkStatus()});
  unconfirmed_count_.store(unconfirmed_.size(), std::memory_order_relaxed);
}

bool IoThread::NeedsRoundTrip(const OutgoingMessage& message) const {
  if (message.declare.has_value() &&
      !connection_->ExchangeDeclared(message.declare->name)) {
    return true;
  }
  return message.require_consumer &&
         FreshConsumerCount(message.routing_key, absl::Now()) == nullptr;
}

const IoThread::ConsumerCount* IoThread::FreshConsumerCount(
    const std::string& queue, absl::Time now) const {
  auto it = consumer_counts_.find(queue);
  if (it == consumer_counts_.end() ||
      now - it->second.checked >= kConsumerCountTtl) {
    return nullptr;
  }
  return &it->second;
}

absl::Status IoThread::CheckConsumers(const std::string& queue) {
  const absl::Time now = absl::Now();
  const ConsumerCount* count = FreshConsumerCount(queue, now);
  if (count == nullptr) {
    absl::StatusOr<QueueStatus> status = connection_->InspectQueue(queue);
    if (absl::IsNotFound(status.status())) {
      // No queue at all: the mandatory flag reports it with the exchange.
      consumer_counts_.erase(queue);
      return absl::OkStatus();
    }
    if (!status.ok()) {
      // Cannot tell: let the request go rather than refuse a live server.
      LOG_EVERY_N(WARNING, 100)
          << config_.name << ": cannot count the consumers of '" << queue
          << "': " << status.status().message();
      return absl::OkStatus();
    }
    // Entries of queues no longer used are dropped when the map grows large.
    if (consumer_counts_.size() > 10000) consumer_counts_.clear();
    count = &consumer_counts_
                 .insert_or_assign(queue,
                                   ConsumerCount{status->consumer_count, now})
                 .first->second;
  }
  if (count->consumers > 0) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("queue '", queue,
                   "' has no consumer: no server is listening on it "
                   "(its server may have stopped; the queue outlives it)"));
}

bool IoThread::ProcessInput() {
  // One read per turn at least: it also sends heartbeats when due. After
  // that, only what rabbitmq-c already holds: asking the socket for more
  // (recv, then poll) would cost two syscalls to learn there is none, and
  // WaitForWork's poll returns at once if there is.
  for (int i = 0; i < kMaxEventsPerTurn; ++i) {
    absl::StatusOr<ConnectionEvent> event = connection_->NextEvent();
    if (!event.ok()) {
      Disconnect(event.status());
      return false;
    }
    if (std::holds_alternative<std::monostate>(*event)) break;
    HandleEvent(*event);
    if (connection_ == nullptr) return false;
    if (!connection_->HasBufferedInput()) break;
  }
  return SettleDeferred();  // the acks of this turn's deliveries
}

bool IoThread::SettleDeferred() {
  if (absl::Status s = connection_->FlushAcks(); !s.ok()) {
    Disconnect(s);
    return false;
  }
  if (config_.on_settled) config_.on_settled();
  return true;
}

void IoThread::HandleEvent(ConnectionEvent& event) {
  if (auto* delivery = std::get_if<Delivery>(&event)) {
    const uint64_t tag = delivery->delivery_tag;
    bool ack = false;
    if (delivery->oversized) {
      LOG(WARNING) << config_.name << ": rejecting a " << delivery->body_size
                   << "-byte message on '" << LogText(delivery->routing_key)
                   << "' unread: over max_message_bytes ("
                   << config_.max_message_bytes << ")";
    } else {
      ack = config_.on_delivery ? config_.on_delivery(*delivery) : true;
      if (delivery->settle_later) {
        // The acks deferred so far go out first, in one multiple ack that
        // cannot cover it.
        if (SettleDeferred()) connection_->Hold(tag);
        return;
      }
    }
    if (delivery->no_ack) return;  // the broker settled it already
    if (!ack) {
      if (absl::Status s = connection_->Reject(tag); !s.ok()) Disconnect(s);
      return;
    }
    connection_->DeferAck(tag);
    // While a delivery is held, no multiple ack may go out: each ack is then
    // written alone, at once, and its work starts right after it.
    if (connection_->holding()) SettleDeferred();
    return;
  }
  if (auto* confirm = std::get_if<PublisherConfirm>(&event)) {
    Confirm(*confirm);
    return;
  }
  auto& returned = std::get<ReturnedMessage>(event);
  returns_.fetch_add(1, std::memory_order_relaxed);
  if (!returned.confirmed) {
    if (config_.on_return) {
      config_.on_return(returned);
    } else {
      LOG(WARNING) << config_.name << ": dropping a returned message: "
                   << LogText(UnroutableError(returned).message());
    }
    return;
  }
  // basic.return carries no sequence number: it precedes the confirm of the
  // same message, so match the oldest unconfirmed one with the same content.
  const size_t body_hash = absl::Hash<absl::string_view>()(returned.body);
  for (PendingPublish& pending : unconfirmed_) {
    if (!pending.confirmed && pending.returned.ok() &&
        pending.body_hash == body_hash &&
        pending.exchange == returned.exchange &&
        pending.routing_key == returned.routing_key) {
      pending.returned = UnroutableError(returned);
      return;
    }
  }
}

void IoThread::Confirm(const PublisherConfirm& confirm) {
  if (confirm.sequence < first_unconfirmed_) return;  // already confirmed
  const uint64_t index = confirm.sequence - first_unconfirmed_;
  if (index >= unconfirmed_.size()) return;  // not ours: ignore
  auto settle = [&confirm](PendingPublish& pending) {
    if (pending.confirmed) return;
    pending.confirmed = true;
    pending.done(confirm.ack ? std::move(pending.returned)
                             : absl::UnavailableError(
                                   "the broker refused the message (nack)"));
    pending.done = nullptr;  // drops what the callback holds at once
  };
  if (confirm.multiple) {
    for (uint64_t i = 0; i <= index; ++i) settle(unconfirmed_[i]);
  } else {
    settle(unconfirmed_[index]);
  }
  // Pop the confirmed prefix; later ones confirmed out of order wait there.
  while (!unconfirmed_.empty() && unconfirmed_.front().confirmed) {
    unconfirmed_.pop_front();
    ++first_unconfirmed_;
  }
  unconfirmed_count_.store(unconfirmed_.size(), std::memory_order_relaxed);
}

IoThread::Stats IoThread::stats() const {
  return {reconnects_.load(std::memory_order_relaxed),
          returns_.load(std::memory_order_relaxed),
          unconfirmed_count_.load(std::memory_order_relaxed)};
}

}  // namespace amqp::transport
