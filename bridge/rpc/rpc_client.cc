#include "bridge/rpc/rpc_client.h"

#include <glog/logging.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/ids.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/request.h"

namespace amqp::rpc {

CallSpec CallSpec::Prepare(absl::string_view server,
                           std::optional<std::string> version,
                           std::optional<absl::Duration> timeout,
                           std::optional<std::string> namespace_) const {
  CallSpec copy = *this;
  if (!server.empty()) copy.target.server = std::string(server);
  if (version.has_value()) copy.target.version = std::move(version);
  if (namespace_.has_value()) copy.target.namespace_ = std::move(namespace_);
  if (timeout.has_value()) copy.timeout = *timeout;
  return copy;
}

// One call in flight. Whoever unregisters it from the ReplyWaiter first (the
// reply, the timer, a failed publish, or Cancel) finishes it.
class RpcClient::PendingCall : public ReplySink {
 public:
  PendingCall(RpcClient* client, std::string msg_id, CallDone done)
      : client_(client), msg_id_(std::move(msg_id)), done_(std::move(done)) {}

  void set_timer(DeadlineTimer::TimerId id) { timer_ = id; }

  void OnReply(oslo::Reply reply) override {
    if (!reply.ending()) {
      // A heartbeat, or a pre-Newton server's result before its "ending"
      // message: keep the result, like oslo's client.
      if (!reply.is_heartbeat()) early_result_ = std::move(reply);
      return;
    }
    if (!client_->waiter_.Unregister(msg_id_)) return;
    client_->timer_.Cancel(timer_);
    if (reply.failure().has_value()) {
      done_(oslo::FailureToStatus(*reply.failure()));
    } else if (reply.result().IsNull() && early_result_.has_value()) {
      done_(*std::move(early_result_));
    } else {
      done_(std::move(reply));
    }
  }

  // Finishes with an error unless the call already finished.
  void Fail(absl::Status status) {
    if (!client_->waiter_.Unregister(msg_id_)) return;
    client_->timer_.Cancel(timer_);
    done_(std::move(status));
  }

 private:
  RpcClient* const client_;
  const std::string msg_id_;
  CallDone done_;
  DeadlineTimer::TimerId timer_ = 0;
  std::optional<oslo::Reply> early_result_;  // only touched by the I/O thread
};

RpcClient::RpcClient(Options options)
    : options_(std::move(options)),
      reply_queue_(absl::StrCat("reply_", oslo::NewUuid4Hex())) {
  const int threads = std::max(1, options_.io_threads);
  for (int i = 0; i < threads; ++i) {
    transport::IoThread::Config config{options_.url, options_.rabbit,
                                       absl::StrCat(options_.name, "-", i),
                                       nullptr, nullptr};
    if (i == 0) {
      // The reply queue: like oslo's, classic, not durable, with x-expires.
      config.on_connect = [this](transport::Connection& connection) {
        transport::QueueDeclaration queue{
            reply_queue_, /*durable=*/false, /*auto_delete=*/false,
            /*exclusive=*/false,
            transport::TransientQueueArguments(options_.rabbit)};
        if (auto s = connection.DeclareQueue(queue); !s.ok()) return s.status();
        return connection.Consume(reply_queue_, "1");
      };
      config.on_delivery = [this](transport::Delivery& delivery) {
        return OnReplyDelivery(delivery);
      };
    }
    io_threads_.push_back(
        std::make_unique<transport::IoThread>(std::move(config)));
  }
}

RpcClient::~RpcClient() { io_threads_.clear(); }

bool RpcClient::WaitReady(absl::Duration timeout) const {
  return io_threads_[0]->WaitConnected(timeout);
}

bool RpcClient::OnReplyDelivery(transport::Delivery& delivery) {
  if (delivery.content_type != "application/json") {
    LOG(WARNING) << "reply queue " << reply_queue_
                 << ": rejecting a message with content type '"
                 << delivery.content_type << "' (want application/json)";
    return false;
  }
  absl::StatusOr<oslo::Reply> reply =
      oslo::Reply::Decode(std::move(delivery.body));
  if (!reply.ok()) {
    LOG(WARNING) << "reply queue " << reply_queue_
                 << ": rejecting a malformed reply: "
                 << reply.status().message();
    return false;
  }
  const std::string msg_id(reply->msg_id());
  if (!waiter_.Deliver(*std::move(reply))) {
    VLOG(1) << "reply queue " << reply_queue_ << ": no call waits for msg_id "
            << msg_id << " (finished or timed out); dropped";
  }
  return true;
}

transport::IoThread& RpcClient::NextPublisher() {
  return *io_threads_[next_publisher_.fetch_add(1, std::memory_order_relaxed) %
                      io_threads_.size()];
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
                                    absl::string_view method,
                                    absl::string_view args_json,
                                    const rapidjson::Value* context,
                                    absl::string_view unique_id) {
  oslo::OutgoingRequest request;
  request.method = method;
  request.args_json = args_json;
  if (spec.target.namespace_) request.namespace_ = *spec.target.namespace_;
  if (spec.target.version) request.version = *spec.target.version;
  request.unique_id = unique_id;
  request.context = context;
  return request;
}

}  // namespace

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
  const std::string unique_id = oslo::NewUuid4Hex();
  oslo::OutgoingRequest request =
      RequestFields(spec, method, args_json, context, unique_id);
  request.msg_id = msg_id;
  request.reply_q = reply_queue_;
  request.call_monitor_timeout = spec.call_monitor_timeout;
  transport::OutgoingMessage message =
      RequestMessage(spec, oslo::EncodeRequest(request));
  // The broker drops the request if nobody took it before the caller gives up.
  message.expiration = absl::StrCat(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(spec.timeout)));

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
  NextPublisher().Publish(std::move(message), [call](absl::Status published) {
    if (!published.ok()) call->Fail(std::move(published));
  });
  return msg_id;
}

void RpcClient::Cancel(const CallId& id) {
  std::shared_ptr<ReplySink> sink = waiter_.Find(id);
  if (auto* call = dynamic_cast<PendingCall*>(sink.get())) {
    call->Fail(absl::CancelledError("call cancelled by the caller"));
  }
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
  const std::string unique_id = oslo::NewUuid4Hex();
  NextPublisher().Publish(
      RequestMessage(spec, oslo::EncodeRequest(RequestFields(
                               spec, method, args_json, context, unique_id))),
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
