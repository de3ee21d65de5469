#include "bridge/rpc/rpc_client.h"

#include <glog/logging.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/ids.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/cast_subscriber.h"
#include "bridge/rpc/pending_call.h"
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

namespace {

// The reply queue's consumer tag. Subscriptions consume on the same
// connection as "sub-<n>", so it cannot be taken for one; it is short
// because OnDelivery compares it with every delivery's tag.
constexpr absl::string_view kReplyConsumerTag = "1";

}  // namespace

class RpcClient::SubscriptionImpl : public Subscription {
 public:
  SubscriptionImpl(RpcClient* client, std::shared_ptr<CastSubscriber> state)
      : client_(client), state_(std::move(state)) {}
  ~SubscriptionImpl() override {
    client_->subscriptions_.Close(*client_->io_threads_[0], *state_);
  }

 private:
  RpcClient* const client_;
  const std::shared_ptr<CastSubscriber> state_;
};

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
  if (absl::Status s =
          connection.Consume(reply_queue_, kReplyConsumerTag, /*no_ack=*/true);
      !s.ok()) {
    return s;
  }
  return subscriptions_.DeclareAll(connection);
}

bool RpcClient::OnDelivery(transport::Delivery& delivery) {
  if (delivery.consumer_tag == kReplyConsumerTag) {
    return OnReplyDelivery(delivery);
  }
  auto state = std::static_pointer_cast<CastSubscriber>(
      subscriptions_.Find(delivery.consumer_tag));
  if (state == nullptr) return true;  // its stream just ended
  absl::StatusOr<oslo::Request> request =
      oslo::Request::Decode(std::move(delivery.body));
  // A cast has no caller to tell: a defective one is malformed here.
  if (request.ok() && !request->defect().ok()) {
    absl::Status defect = request->defect();  // outlives the request
    request = std::move(defect);
  }
  if (delivery.content_type != "application/json" || !request.ok()) {
    LOG(WARNING) << subscriptions_.log_name() << " " << state->queue
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
  const absl::Status defect = reply->defect();
  const bool delivered = waiter_.Deliver(*std::move(reply));
  if (!delivered) dropped_replies_.fetch_add(1, std::memory_order_relaxed);
  if (!defect.ok()) {
    // Its call ends with this error (PendingCall) rather than at its deadline.
    LOG(WARNING) << "reply queue " << reply_queue_
                 << ": a malformed reply to msg_id "
                 << transport::LogText(msg_id)
                 << (delivered ? " ends its call: "
                               : " (no call waits for it; dropped): ")
                 << transport::LogText(defect.message());
  } else if (!delivered) {
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

absl::StatusOr<transport::OutgoingMessage> RpcClient::RequestMessage(
    const CallSpec& spec, const Target& target, absl::string_view method,
    absl::string_view args_json, const rapidjson::Value* context,
    const ReplyTo* reply_to) const {
  absl::StatusOr<std::optional<std::string>> version =
      SendVersion(spec, method);
  if (!version.ok()) return version.status();
  const std::string unique_id = oslo::NewUuid4Hex();
  oslo::OutgoingRequest request;
  request.method = method;
  request.args_json = args_json;
  if (target.namespace_) request.namespace_ = *target.namespace_;
  if (*version) request.version = **version;
  request.unique_id = unique_id;
  request.context = context;
  if (reply_to != nullptr) {
    request.msg_id = reply_to->msg_id;
    request.reply_q = reply_queue_;
    if (reply_to->call_monitor_timeout > absl::ZeroDuration()) {
      request.call_monitor_timeout =
          absl::ToDoubleSeconds(reply_to->call_monitor_timeout);
    }
  }

  transport::OutgoingMessage message;
  message.body = oslo::EncodeRequest(request);
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
  if (reply_to != nullptr) {
    message.expiration = absl::StrCat(std::max<int64_t>(
        1, absl::ToInt64Milliseconds(reply_to->expires_after)));
    message.confirm = false;  // the replies confirm it
  }
  return message;
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
  // The broker drops the request if nobody took it before the caller gives up.
  const ReplyTo reply_to{msg_id, spec.timeout, spec.call_monitor_timeout};
  absl::StatusOr<transport::OutgoingMessage> message =
      RequestMessage(spec, spec.target, method, args_json, context, &reply_to);
  if (!message.ok()) {
    done(message.status());
    return msg_id;
  }
  message->require_consumer = options_.fail_fast_no_consumer;

  auto call =
      std::make_shared<PendingCall>(waiter_, timer_, msg_id, std::move(done));
  waiter_.Register(msg_id, call);
  call->set_timer(timer_.Schedule(
      absl::Now() + spec.timeout,
      [call, method = std::string(method), timeout = spec.timeout,
       key = message->routing_key] {
        call->Fail(absl::DeadlineExceededError(absl::StrCat(
            "no reply to '", method, "' on '", key, "' within ",
            absl::FormatDuration(timeout), " (oslo MessagingTimeout)")));
      }));
  if (spec.call_monitor_timeout > absl::ZeroDuration()) {
    const absl::Duration monitor = spec.call_monitor_timeout;
    call->WatchHeartbeats(
        monitor,
        absl::DeadlineExceededError(absl::StrCat(
            "no heartbeat or reply from the server of '", method, "' on '",
            message->routing_key, "' within ", absl::FormatDuration(monitor),
            " (call_monitor_timeout; oslo MessagingTimeout)")));
  }
  NextPublisher().Publish(*std::move(message), [call](absl::Status published) {
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
  Target fanout = spec.target;
  fanout.fanout = true;
  // A server that picks the request up after the window would answer no one.
  const ReplyTo reply_to{msg_id, options.window, absl::ZeroDuration()};
  absl::StatusOr<transport::OutgoingMessage> message =
      RequestMessage(spec, fanout, method, args_json, context, &reply_to);
  if (!message.ok()) {
    done(message.status(), GatherSummary());
    return msg_id;
  }

  auto gather =
      std::make_shared<PendingGather>(waiter_, timer_, msg_id, options.expect,
                                      std::move(on_reply), std::move(done));
  waiter_.Register(msg_id, gather);
  gather->set_timer(timer_.Schedule(absl::Now() + options.window, [gather] {
    gather->Abort(absl::OkStatus());  // the window closed: a normal end
  }));
  NextPublisher().Publish(*std::move(message),
                          [gather](absl::Status published) {
                            if (!published.ok()) {
                              gather->Abort(std::move(published));
                            }
                          });
  return msg_id;
}

std::unique_ptr<RpcClient::Subscription> RpcClient::Subscribe(
    const Target& target, CastReceived on_cast,
    std::function<void(absl::Status)> ready) {
  auto state = std::make_shared<CastSubscriber>(
      target, options_.rabbit,
      absl::StrCat("sub-", next_subscription_.fetch_add(1) + 1),
      std::move(on_cast));
  // The reply queue's connection consumes subscriptions too.
  subscriptions_.Add(*io_threads_[0], state, std::move(ready),
                     "broker unreachable: cannot subscribe");
  return std::make_unique<SubscriptionImpl>(this, std::move(state));
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
  absl::StatusOr<transport::OutgoingMessage> message =
      RequestMessage(spec, spec.target, method, args_json, context,
                     /*reply_to=*/nullptr);
  if (!message.ok()) {
    done(message.status());
    return;
  }
  NextPublisher().Publish(*std::move(message), std::move(done));
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
