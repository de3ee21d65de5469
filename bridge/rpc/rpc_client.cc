#include "bridge/rpc/rpc_client.h"

#include <glog/logging.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/ids.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/request.h"
#include "bridge/transport/log_text.h"

namespace amqp::rpc {

CallSpec CallSpec::Prepare(
    absl::string_view server, std::optional<std::string> version,
    std::optional<absl::Duration> timeout,
    std::optional<std::string> namespace_,
    std::optional<absl::Duration> call_monitor_timeout) const {
  CallSpec copy = *this;
  if (call_monitor_timeout.has_value()) {
    copy.call_monitor_timeout = *call_monitor_timeout;
  }
  if (!server.empty()) copy.target.server = std::string(server);
  if (version.has_value()) copy.target.version = std::move(version);
  if (namespace_.has_value()) copy.target.namespace_ = std::move(namespace_);
  if (timeout.has_value()) copy.timeout = *timeout;
  return copy;
}

// One call in flight. Whoever unregisters it from the ReplyWaiter first (the
// reply, the timer, the call monitor, a failed publish, or Cancel) finishes
// it.
class RpcClient::PendingCall
    : public ReplySink,
      public std::enable_shared_from_this<PendingCall> {
 public:
  PendingCall(RpcClient* client, std::string msg_id, CallDone done)
      : client_(client), msg_id_(std::move(msg_id)), done_(std::move(done)) {}

  void set_timer(DeadlineTimer::TimerId id) {
    absl::MutexLock lock(&mu_);
    timer_ = id;
    if (finished_) client_->timer_.Cancel(id);  // the reply was faster
  }

  // oslo's call monitor: fails the call with `expired` when neither a
  // heartbeat nor the reply came within `timeout`, measured from now and
  // from each heartbeat.
  void WatchHeartbeats(absl::Duration timeout, absl::Status expired) {
    absl::MutexLock lock(&mu_);
    monitor_timeout_ = timeout;
    monitor_expired_ = std::move(expired);
    last_heartbeat_ = absl::Now();
    ScheduleMonitorLocked(last_heartbeat_ + timeout);
  }

  void OnReply(oslo::Reply reply) override {
    if (!reply.ending()) {
      if (reply.is_heartbeat()) {
        absl::MutexLock lock(&mu_);
        last_heartbeat_ = absl::Now();  // the monitor checks it when due
      } else {
        // A pre-Newton server's result before its "ending" message: keep
        // it, like oslo's client.
        early_result_ = std::move(reply);
      }
      return;
    }
    if (!client_->waiter_.Unregister(msg_id_)) return;
    CancelTimers();
    if (reply.failure().has_value()) {
      done_(oslo::FailureToStatus(*reply.failure()));
    } else if (reply.result().IsNull() && early_result_.has_value()) {
      done_(*std::move(early_result_));
    } else {
      done_(std::move(reply));
    }
  }

  void Abort(absl::Status status) override { Fail(std::move(status)); }

  // Finishes with an error unless the call already finished.
  void Fail(absl::Status status) {
    if (!client_->waiter_.Unregister(msg_id_)) return;
    CancelTimers();
    done_(std::move(status));
  }

 private:
  void ScheduleMonitorLocked(absl::Time due)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    monitor_ = client_->timer_.Schedule(
        due, [self = shared_from_this()] { self->CheckMonitor(); });
  }

  // Rescheduling here, not per heartbeat, keeps heartbeats off the timer.
  void CheckMonitor() {
    absl::Status expired;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      const absl::Time due = last_heartbeat_ + monitor_timeout_;
      if (absl::Now() < due) {
        ScheduleMonitorLocked(due);
        return;
      }
      expired = monitor_expired_;
    }
    Fail(std::move(expired));
  }

  void CancelTimers() {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    client_->timer_.Cancel(timer_);
    if (monitor_ != 0) client_->timer_.Cancel(monitor_);
  }

  RpcClient* const client_;
  const std::string msg_id_;
  CallDone done_;
  std::optional<oslo::Reply> early_result_;  // only touched by the I/O thread
  absl::Mutex mu_;
  DeadlineTimer::TimerId timer_ ABSL_GUARDED_BY(mu_) = 0;
  DeadlineTimer::TimerId monitor_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration monitor_timeout_ ABSL_GUARDED_BY(mu_);
  absl::Time last_heartbeat_ ABSL_GUARDED_BY(mu_);
  absl::Status monitor_expired_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// One gather in flight: every final reply goes to `on_reply` until the window
// closes, `expect` replies came, the publish failed or the caller cancelled.
// One mutex serialises the callbacks, so `on_reply` never runs after `done`.
class RpcClient::PendingGather : public ReplySink {
 public:
  PendingGather(RpcClient* client, std::string msg_id, int expect,
                GatherReply on_reply, GatherDone done)
      : client_(client),
        msg_id_(std::move(msg_id)),
        expect_(expect),
        on_reply_(std::move(on_reply)),
        done_(std::move(done)) {}

  void set_timer(DeadlineTimer::TimerId id) {
    absl::MutexLock lock(&mu_);
    timer_ = id;
  }

  void OnReply(oslo::Reply reply) override {
    if (!reply.ending()) return;  // heartbeats say nothing about the result
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    ++summary_.replies;
    if (reply.failure().has_value()) {
      ++summary_.failures;
      on_reply_(oslo::FailureToStatus(*reply.failure()));
    } else {
      on_reply_(std::move(reply));
    }
    if (expect_ > 0 && summary_.replies >= expect_) {
      FinishLocked(absl::OkStatus());
    }
  }

  void Abort(absl::Status status) override {
    absl::MutexLock lock(&mu_);
    FinishLocked(std::move(status));
  }

 private:
  void FinishLocked(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    client_->waiter_.Unregister(msg_id_);
    client_->timer_.Cancel(timer_);
    done_(std::move(status), summary_);
  }

  RpcClient* const client_;
  const std::string msg_id_;
  const int expect_;
  absl::Mutex mu_;
  GatherReply on_reply_ ABSL_GUARDED_BY(mu_);
  GatherDone done_ ABSL_GUARDED_BY(mu_);
  DeadlineTimer::TimerId timer_ ABSL_GUARDED_BY(mu_) = 0;
  GatherSummary summary_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// What a subscription needs on the I/O thread, shared with its handle.
struct RpcClient::SubscriberState {
  std::string consumer_tag;
  std::string queue;
  std::string exchange;  // the topic's fanout exchange
  std::string topic;
  absl::Mutex mu;
  bool closed ABSL_GUARDED_BY(mu) = false;
  CastReceived on_cast ABSL_GUARDED_BY(mu);

  void Deliver(const oslo::Request& request) {
    absl::MutexLock lock(&mu);
    if (!closed) on_cast(request);
  }
};

class RpcClient::SubscriptionImpl : public Subscription {
 public:
  SubscriptionImpl(RpcClient* client, std::shared_ptr<SubscriberState> state)
      : client_(client), state_(std::move(state)) {}
  ~SubscriptionImpl() override {
    {
      absl::MutexLock lock(&state_->mu);  // waits for a running callback
      state_->closed = true;
    }
    client_->Unsubscribe(state_->consumer_tag);
  }

 private:
  RpcClient* const client_;
  const std::shared_ptr<SubscriberState> state_;
};

namespace {

// A subscription's queue: oslo's fanout queue shape, but deleted with its
// last consumer since it belongs to one gRPC stream.
transport::QueueDeclaration SubscriptionQueue(
    const std::string& name, const transport::RabbitOptions& rabbit) {
  return transport::QueueDeclaration{
      name, /*durable=*/false,
      /*auto_delete=*/true, /*exclusive=*/false,
      transport::TransientQueueArguments(rabbit)};
}

absl::Status DeclareSubscription(transport::Connection& connection,
                                 const RpcClient::Options& options,
                                 const std::string& exchange,
                                 const std::string& queue,
                                 const std::string& topic,
                                 const std::string& consumer_tag) {
  if (absl::Status s = connection.DeclareExchange(exchange, "fanout",
                                                  /*durable=*/false,
                                                  /*auto_delete=*/true);
      !s.ok()) {
    return s;
  }
  if (auto s =
          connection.DeclareQueue(SubscriptionQueue(queue, options.rabbit));
      !s.ok()) {
    return s.status();
  }
  if (absl::Status s = connection.BindQueue(queue, exchange, topic); !s.ok()) {
    return s;
  }
  return connection.Consume(queue, consumer_tag);
}

}  // namespace

RpcClient::RpcClient(Options options)
    : options_(std::move(options)),
      reply_queue_(absl::StrCat("reply_", oslo::NewUuid4Hex())) {
  const int threads = std::max(1, options_.io_threads);
  for (int i = 0; i < threads; ++i) {
    transport::IoThread::Config config{options_.url, options_.rabbit,
                                       absl::StrCat(options_.name, "-", i),
                                       nullptr, nullptr};
    config.max_message_bytes = options_.max_message_bytes;
    config.on_return = [this](transport::ReturnedMessage& returned) {
      OnReturn(returned);
    };
    if (i == 0) {
      config.on_connect = [this](transport::Connection& connection) {
        return DeclareAndConsume(connection);
      };
      config.on_delivery = [this](transport::Delivery& delivery) {
        return OnDelivery(delivery);
      };
      config.on_state = options_.on_connection_state;
    }
    io_threads_.push_back(
        std::make_unique<transport::IoThread>(std::move(config)));
  }
}

RpcClient::~RpcClient() { io_threads_.clear(); }

bool RpcClient::WaitReady(absl::Duration timeout) const {
  return io_threads_[0]->WaitConnected(timeout);
}

absl::Status RpcClient::DeclareAndConsume(transport::Connection& connection) {
  // The reply queue: like oslo's, classic, not durable, with x-expires.
  transport::QueueDeclaration queue{
      reply_queue_, /*durable=*/false, /*auto_delete=*/false,
      /*exclusive=*/false, transport::TransientQueueArguments(options_.rabbit)};
  if (auto s = connection.DeclareQueue(queue); !s.ok()) return s.status();
  // Without acks: a reply is settled as it is delivered (a malformed one
  // would only be rejected, that is dropped, anyway), which spares a
  // basic.ack frame, and its syscall, per call.
  if (absl::Status s = connection.Consume(reply_queue_, "1", /*no_ack=*/true);
      !s.ok()) {
    return s;
  }
  absl::MutexLock lock(&subscriptions_mu_);
  for (const auto& [tag, state] : subscriptions_) {
    if (absl::Status s =
            DeclareSubscription(connection, options_, state->exchange,
                                state->queue, state->topic, tag);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

bool RpcClient::OnDelivery(transport::Delivery& delivery) {
  if (delivery.consumer_tag == "1") return OnReplyDelivery(delivery);
  std::shared_ptr<SubscriberState> state;
  {
    absl::MutexLock lock(&subscriptions_mu_);
    auto it = subscriptions_.find(delivery.consumer_tag);
    if (it != subscriptions_.end()) state = it->second;
  }
  if (state == nullptr) return true;  // its stream just ended
  absl::StatusOr<oslo::Request> request =
      oslo::Request::Decode(std::move(delivery.body));
  if (delivery.content_type != "application/json" || !request.ok()) {
    LOG(WARNING) << "subscription " << state->queue
                 << ": rejecting a malformed message: "
                 << (request.ok()
                         ? "content type is not application/json"
                         : transport::LogText(request.status().message()));
    return false;
  }
  state->Deliver(*request);
  return true;
}

bool RpcClient::OnReplyDelivery(transport::Delivery& delivery) {
  if (delivery.content_type != "application/json") {
    LOG(WARNING) << "reply queue " << reply_queue_
                 << ": rejecting a message with content type '"
                 << transport::LogText(delivery.content_type)
                 << "' (want application/json)";
    return false;
  }
  absl::StatusOr<oslo::Reply> reply =
      oslo::Reply::Decode(std::move(delivery.body));
  if (!reply.ok()) {
    LOG(WARNING) << "reply queue " << reply_queue_
                 << ": rejecting a malformed reply: "
                 << transport::LogText(reply.status().message());
    return false;
  }
  const std::string msg_id(reply->msg_id());
  if (!waiter_.Deliver(*std::move(reply))) {
    dropped_replies_.fetch_add(1, std::memory_order_relaxed);
    // oslo logs these at INFO too ("No calling threads waiting for msg_id").
    LOG(INFO) << "reply queue " << reply_queue_ << ": no call waits for msg_id "
              << transport::LogText(msg_id)
              << " (finished or timed out); dropped";
  }
  return true;
}

void RpcClient::OnReturn(transport::ReturnedMessage& returned) {
  absl::StatusOr<oslo::Request> request =
      oslo::Request::Decode(std::move(returned.body));
  std::shared_ptr<ReplySink> sink;
  if (request.ok()) sink = waiter_.Find(request->msg_id());
  // Without a waiting call the return only says what a timeout said already.
  if (sink != nullptr) sink->Abort(transport::UnroutableError(returned));
}

transport::IoThread& RpcClient::NextPublisher() {
  // With several connections, the first only consumes (replies and
  // subscriptions): publishes on it would wait while it reads.
  const size_t publishers = io_threads_.size() - (io_threads_.size() > 1);
  const size_t next =
      next_publisher_.fetch_add(1, std::memory_order_relaxed) % publishers;
  return *io_threads_[io_threads_.size() - 1 - next];
}

transport::OutgoingMessage RpcClient::RequestMessage(const CallSpec& spec,
                                                     std::string body) const {
  const Target& target = spec.target;
  transport::OutgoingMessage message;
  message.body = std::move(body);
  message.mandatory = true;
  if (target.fanout) {
    message.exchange = target.FanoutExchange();
    message.declare = transport::ExchangeSpec{message.exchange, "fanout",
                                              /*durable=*/false,
                                              /*auto_delete=*/true};
  } else {
    message.exchange = target.exchange;
    message.routing_key = target.RoutingKey();
    message.declare = transport::ExchangeSpec{
        message.exchange, "topic", transport::DurableQueues(options_.rabbit),
        options_.rabbit.amqp_auto_delete};
  }
  return message;
}

namespace {

oslo::OutgoingRequest RequestFields(const CallSpec& spec,
                                    const std::optional<std::string>& version,
                                    absl::string_view method,
                                    absl::string_view args_json,
                                    const rapidjson::Value* context,
                                    absl::string_view unique_id) {
  oslo::OutgoingRequest request;
  request.method = method;
  request.args_json = args_json;
  if (spec.target.namespace_) request.namespace_ = *spec.target.namespace_;
  if (version) request.version = *version;
  request.unique_id = unique_id;
  request.context = context;
  return request;
}

}  // namespace

absl::StatusOr<std::optional<std::string>> RpcClient::SendVersion(
    const CallSpec& spec, absl::string_view method) const {
  const VersionCaps& caps = options_.version_caps;
  if (caps.empty() || !caps.CapFor(spec.target.topic)) {
    return spec.target.version;
  }
  absl::StatusOr<std::string> version =
      caps.Choose(spec.target.topic, method, spec.target.version.value_or(""),
                  spec.fallback_version.value_or(""));
  if (!version.ok()) return version.status();
  return *std::move(version);
}

RpcClient::CallId RpcClient::CallAsync(const CallSpec& spec,
                                       absl::string_view method,
                                       absl::string_view args_json,
                                       const rapidjson::Value* context,
                                       CallDone done) {
  std::string msg_id = oslo::NewUuid4Hex();
  if (spec.target.fanout) {
    done(absl::InvalidArgumentError(
        "a call cannot go to a fanout target (oslo raises InvalidTarget)"));
    return msg_id;
  }
  absl::StatusOr<std::optional<std::string>> version =
      SendVersion(spec, method);
  if (!version.ok()) {
    done(version.status());
    return msg_id;
  }
  const std::string unique_id = oslo::NewUuid4Hex();
  oslo::OutgoingRequest request =
      RequestFields(spec, *version, method, args_json, context, unique_id);
  request.msg_id = msg_id;
  request.reply_q = reply_queue_;
  const bool monitored = spec.call_monitor_timeout > absl::ZeroDuration();
  if (monitored) {
    request.call_monitor_timeout =
        absl::ToDoubleSeconds(spec.call_monitor_timeout);
  }
  transport::OutgoingMessage message =
      RequestMessage(spec, oslo::EncodeRequest(request));
  // The broker drops the request if nobody took it before the caller gives up.
  message.expiration = absl::StrCat(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(spec.timeout)));
  message.require_consumer = options_.fail_fast_no_consumer;
  message.confirm = false;  // the reply confirms it

  auto call = std::make_shared<PendingCall>(this, msg_id, std::move(done));
  waiter_.Register(msg_id, call);
  call->set_timer(timer_.Schedule(
      absl::Now() + spec.timeout,
      [call, method = std::string(method), timeout = spec.timeout,
       key = message.routing_key] {
        call->Fail(absl::DeadlineExceededError(absl::StrCat(
            "no reply to '", method, "' on '", key, "' within ",
            absl::FormatDuration(timeout), " (oslo MessagingTimeout)")));
      }));
  if (monitored) {
    const absl::Duration monitor = spec.call_monitor_timeout;
    call->WatchHeartbeats(
        monitor,
        absl::DeadlineExceededError(absl::StrCat(
            "no heartbeat or reply from the server of '", method, "' on '",
            message.routing_key, "' within ", absl::FormatDuration(monitor),
            " (call_monitor_timeout; oslo MessagingTimeout)")));
  }
  NextPublisher().Publish(std::move(message), [call](absl::Status published) {
    if (!published.ok()) call->Fail(std::move(published));
  });
  return msg_id;
}

void RpcClient::Cancel(const CallId& id) {
  if (std::shared_ptr<ReplySink> sink = waiter_.Find(id)) {
    sink->Abort(absl::CancelledError("call cancelled by the caller"));
  }
}

RpcClient::CallId RpcClient::GatherAsync(
    const CallSpec& spec, absl::string_view method, absl::string_view args_json,
    const rapidjson::Value* context, const GatherOptions& options,
    GatherReply on_reply, GatherDone done) {
  std::string msg_id = oslo::NewUuid4Hex();
  absl::StatusOr<std::optional<std::string>> version =
      SendVersion(spec, method);
  if (!version.ok()) {
    done(version.status(), GatherSummary());
    return msg_id;
  }
  const std::string unique_id = oslo::NewUuid4Hex();
  oslo::OutgoingRequest request =
      RequestFields(spec, *version, method, args_json, context, unique_id);
  request.msg_id = msg_id;
  request.reply_q = reply_queue_;
  CallSpec fanout = spec;
  fanout.target.fanout = true;
  transport::OutgoingMessage message =
      RequestMessage(fanout, oslo::EncodeRequest(request));
  // A server that picks the request up after the window would answer no one.
  message.expiration = absl::StrCat(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(options.window)));
  message.confirm = false;  // the replies confirm it

  auto gather = std::make_shared<PendingGather>(
      this, msg_id, options.expect, std::move(on_reply), std::move(done));
  waiter_.Register(msg_id, gather);
  gather->set_timer(timer_.Schedule(absl::Now() + options.window, [gather] {
    gather->Abort(absl::OkStatus());  // the window closed: a normal end
  }));
  NextPublisher().Publish(std::move(message), [gather](absl::Status published) {
    if (!published.ok()) gather->Abort(std::move(published));
  });
  return msg_id;
}

std::unique_ptr<RpcClient::Subscription> RpcClient::Subscribe(
    const Target& target, CastReceived on_cast,
    std::function<void(absl::Status)> ready) {
  auto state = std::make_shared<SubscriberState>();
  state->consumer_tag =
      absl::StrCat("sub-", next_subscription_.fetch_add(1) + 1);
  state->exchange = target.FanoutExchange();
  state->topic = target.topic;
  state->queue =
      absl::StrCat(target.FanoutExchange(), "_", oslo::NewUuid4Hex());
  {
    absl::MutexLock lock(&state->mu);
    state->on_cast = std::move(on_cast);
  }
  {
    absl::MutexLock lock(&subscriptions_mu_);
    subscriptions_[state->consumer_tag] = state;
  }
  // The reply queue's connection consumes subscriptions too.
  io_threads_[0]->Run([this, state, ready = std::move(ready)](
                          transport::Connection* connection) {
    absl::Status status =
        connection == nullptr
            ? absl::UnavailableError("broker unreachable: cannot subscribe")
            : DeclareSubscription(*connection, options_, state->exchange,
                                  state->queue, state->topic,
                                  state->consumer_tag);
    if (!status.ok()) {
      absl::MutexLock lock(&subscriptions_mu_);
      subscriptions_.erase(state->consumer_tag);
    }
    // Under the state's lock, like casts: not after the handle is gone.
    absl::MutexLock lock(&state->mu);
    if (!state->closed) ready(std::move(status));
  });
  return std::make_unique<SubscriptionImpl>(this, std::move(state));
}

void RpcClient::Unsubscribe(const std::string& consumer_tag) {
  std::shared_ptr<SubscriberState> state;
  {
    absl::MutexLock lock(&subscriptions_mu_);
    auto it = subscriptions_.find(consumer_tag);
    if (it == subscriptions_.end()) return;  // never consumed
    state = std::move(it->second);
    subscriptions_.erase(it);
  }
  io_threads_[0]->Run([state](transport::Connection* connection) {
    if (connection == nullptr) return;  // the queue goes with the connection
    if (absl::Status s = connection->CancelConsumer(state->consumer_tag);
        !s.ok()) {
      LOG(WARNING) << "subscription " << state->queue << ": " << s.message();
    }
    // auto_delete removes the queue with its consumer; delete it anyway in
    // case the cancel raced with the declare.
    (void)connection->DeleteQueue(state->queue);
  });
}

absl::StatusOr<std::string> RpcClient::Call(const CallSpec& spec,
                                            absl::string_view method,
                                            absl::string_view args_json,
                                            const rapidjson::Value* context) {
  absl::Notification finished;
  absl::StatusOr<std::string> result;
  CallAsync(spec, method, args_json, context,
            [&](absl::StatusOr<oslo::Reply> reply) {
              if (reply.ok()) {
                result = oslo::ToPyJson(reply->result());
              } else {
                result = reply.status();
              }
              finished.Notify();
            });
  finished.WaitForNotification();
  return result;
}

void RpcClient::CastAsync(const CallSpec& spec, absl::string_view method,
                          absl::string_view args_json,
                          const rapidjson::Value* context, CastDone done) {
  absl::StatusOr<std::optional<std::string>> version =
      SendVersion(spec, method);
  if (!version.ok()) {
    done(version.status());
    return;
  }
  const std::string unique_id = oslo::NewUuid4Hex();
  NextPublisher().Publish(
      RequestMessage(
          spec, oslo::EncodeRequest(RequestFields(
                    spec, *version, method, args_json, context, unique_id))),
      std::move(done));
}

absl::Status RpcClient::Cast(const CallSpec& spec, absl::string_view method,
                             absl::string_view args_json,
                             const rapidjson::Value* context) {
  absl::Notification finished;
  absl::Status status;
  CastAsync(spec, method, args_json, context, [&](absl::Status s) {
    status = std::move(s);
    finished.Notify();
  });
  finished.WaitForNotification();
  return status;
}

}  // namespace amqp::rpc
