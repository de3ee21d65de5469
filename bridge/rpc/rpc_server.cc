#include "bridge/rpc/rpc_server.h"

#include <glog/logging.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/ids.h"
#include "bridge/oslo/reply.h"
#include "bridge/transport/log_text.h"

namespace amqp::rpc {
namespace {

using transport::LogText;

constexpr absl::Duration kReplyRetryInterval = absl::Milliseconds(250);
constexpr char kTopicTag[] = "1";
constexpr char kServerTag[] = "2";
constexpr char kFanoutTag[] = "3";

// The queue and the AMQP expiration (milliseconds as text) a request came
// with; a malformed expiration counts as none.
Arrival ArrivalOf(const transport::Delivery& delivery) {
  Arrival arrival;
  arrival.to_server = delivery.consumer_tag == kServerTag;
  arrival.received = absl::Now();
  int64_t ms = 0;
  if (!delivery.expiration.empty() &&
      absl::SimpleAtoi(delivery.expiration, &ms) && ms >= 0) {
    arrival.expiration = absl::Milliseconds(ms);
  }
  return arrival;
}

}  // namespace

// Heartbeats for one call while its method runs (oslo's call monitor).
struct RpcServer::Heartbeat {
  std::string reply_q;
  std::string msg_id;
  absl::Duration interval;
  std::atomic<bool> finished{false};
  std::atomic<DeadlineTimer::TimerId> timer{0};
};

void RpcServer::ScheduleHeartbeat(std::shared_ptr<Heartbeat> heartbeat) {
  const absl::Time when = absl::Now() + heartbeat->interval;
  heartbeat->timer = timer_.Schedule(when, [this, heartbeat] {
    if (heartbeat->finished.load()) return;
    io_->Publish({"", heartbeat->reply_q,
                  oslo::EncodeHeartbeat(heartbeat->msg_id, oslo::NewUuid4Hex()),
                  "", /*mandatory=*/true, std::nullopt},
                 [](absl::Status) {});
    ScheduleHeartbeat(heartbeat);
  });
}

RpcServer::RpcServer(Options options, const Dispatcher* dispatcher)
    : options_(std::move(options)),
      dispatcher_(dispatcher),
      fanout_queue_(
          absl::StrCat(options_.target.topic, "_fanout_", oslo::NewUuid4Hex())),
      workers_(std::max(0, options_.executor_threads)) {
  transport::IoThread::Config config{
      options_.url, options_.rabbit, options_.name,
      [this](transport::Connection& c) { return DeclareAndConsume(c); },
      [this](transport::Delivery& d) { return OnDelivery(d); }};
  config.max_message_bytes = options_.max_message_bytes;
  config.on_settled = [this] { AcceptSettled(); };
  // Only replies' first attempts await no confirm: a return is a reply whose
  // reply queue is missing (yet, or again).
  config.on_return = [this](transport::ReturnedMessage& returned) {
    RetryReply(std::move(returned.routing_key), std::move(returned.body),
               ReplyGiveUp(), transport::UnroutableError(returned));
  };
  io_ = std::make_unique<transport::IoThread>(std::move(config));
  io_set_.Notify();
}

bool RpcServer::WaitReady(absl::Duration timeout) const {
  return io_->WaitConnected(timeout);
}

absl::Status RpcServer::DeclareAndConsume(transport::Connection& c) {
  io_set_.WaitForNotification();
  if (stopping_.load()) return absl::CancelledError("server is stopping");
  // Parked deliveries of a lost connection were never acked, nor were those
  // still settling (on_settled follows every ack write): the broker
  // delivers them again.
  parked_.clear();
  parked_count_.store(0);
  settling_.clear();
  settling_slots_ = 0;
  const transport::RabbitOptions& rabbit = options_.rabbit;
  const Target& target = options_.target;
  const bool durable = transport::DurableQueues(rabbit);
  const std::string server_queue = target.RoutingKey();
  absl::Status s = c.DeclareExchange(target.exchange, "topic", durable,
                                     rabbit.amqp_auto_delete);
  for (const std::string& queue : {target.topic, server_queue}) {
    if (!s.ok()) break;
    s = c.DeclareQueue({queue, durable, rabbit.amqp_auto_delete, false,
                        transport::TopicQueueArguments(rabbit)})
            .status();
    if (s.ok()) s = c.BindQueue(queue, target.exchange, queue);
  }
  if (s.ok()) {
    s = c.DeclareExchange(target.FanoutExchange(), "fanout", false, true);
  }
  if (s.ok()) {
    s = c.DeclareQueue({fanout_queue_, false, false, false,
                        transport::TransientQueueArguments(rabbit)})
            .status();
  }
  if (s.ok())
    s = c.BindQueue(fanout_queue_, target.FanoutExchange(), target.topic);
  // With no prefetch of its own, the worker queue's bound is the prefetch:
  // parked (unacked) deliveries then stop the broker's flow.
  int prefetch = rabbit.rabbit_qos_prefetch_count;
  if (prefetch <= 0) prefetch = std::min(options_.max_queued_requests, 65535);
  if (s.ok()) s = c.SetPrefetch(prefetch);
  if (s.ok()) s = c.Consume(target.topic, kTopicTag);
  if (s.ok()) s = c.Consume(server_queue, kServerTag);
  if (s.ok()) s = c.Consume(fanout_queue_, kFanoutTag);
  return s;
}

bool RpcServer::IsDuplicate(absl::string_view unique_id) {
  if (unique_id.empty()) return false;  // oslo accepts messages without one
  if (std::find(recent_ids_.begin(), recent_ids_.end(), unique_id) !=
      recent_ids_.end()) {
    return true;
  }
  recent_ids_[next_recent_] = std::string(unique_id);
  next_recent_ = (next_recent_ + 1) % recent_ids_.size();
  return false;
}

bool RpcServer::OnDelivery(transport::Delivery& delivery) {
  const std::string& queue = delivery.routing_key;
  if (delivery.content_type != "application/json") {
    LOG(WARNING) << options_.name << ": rejecting a message on '"
                 << LogText(queue) << "' with content type '"
                 << LogText(delivery.content_type)
                 << "' (want application/json)";
    return false;
  }
  absl::StatusOr<oslo::Request> request =
      oslo::Request::Decode(std::move(delivery.body));
  if (!request.ok()) {
    LOG(WARNING) << options_.name << ": rejecting a malformed message on '"
                 << LogText(queue)
                 << "': " << LogText(request.status().message());
    return false;
  }
  if (IsDuplicate(request->unique_id())) {
    LOG(INFO) << options_.name << ": dropping a duplicate message, _unique_id "
              << LogText(request->unique_id());
    return true;
  }
  absl::StatusOr<Endpoint*> endpoint = dispatcher_->Find(*request);
  auto shared = std::make_shared<Incoming>(
      Incoming{*std::move(request), ArrivalOf(delivery), std::move(endpoint)});
  const int bound = options_.max_queued_requests;
  // Those accepted this turn that will take a slot count as taken.
  const int waiting = SlotsInUse() + settling_slots_;
  if (bound > 0 && (!parked_.empty() || waiting >= bound)) {
    // The workers are saturated: keep it unacked until a slot frees. The
    // prefetch bounds how many wait here.
    parked_.push_back({delivery.delivery_tag, std::move(shared)});
    const int parked = parked_count_.fetch_add(1) + 1;
    if (parked > max_parked_.load()) max_parked_.store(parked);
    delivery.settle_later = true;
    // A worker or an async method may have freed a slot before it could
    // see this one.
    if (SlotsInUse() < bound) ScheduleDrain();
    return true;
  }
  // Acked with the others read in this turn; dispatched once that ack is
  // written (AcceptSettled), like oslo's ack on receipt.
  if (TakesSlot(*shared)) ++settling_slots_;
  settling_.push_back(std::move(shared));
  return true;
}

void RpcServer::AcceptSettled() {
  for (std::shared_ptr<Incoming>& request : settling_) {
    Accept(std::move(request));
  }
  settling_.clear();
  settling_slots_ = 0;
}

bool RpcServer::TakesSlot(const Incoming& incoming) const {
  if (!incoming.endpoint.ok()) return false;  // a failure reply, at once
  return (*incoming.endpoint)->AsAsync() != nullptr ||
         options_.executor_threads > 0;
}

void RpcServer::Accept(std::shared_ptr<Incoming> request) {
  if (!TakesSlot(*request)) {  // no method, or a blocking one and no workers
    Handle(std::move(request));
    return;
  }
  const bool async = (*request->endpoint)->AsAsync() != nullptr;
  // Stop() awaits the asynchronous methods started before its unsubscribe
  // step (on this thread, like every Accept); none may start after it.
  if (async && unsubscribed_) {
    LOG(WARNING) << options_.name << ": stopping; dropped '"
                 << LogText(request->request.method()) << "'";
    return;
  }
  if (async) async_running_.fetch_add(1);
  std::atomic<int>& counter = async ? async_slots_ : queued_;
  counter.fetch_add(1);
  const int in_use = SlotsInUse();
  if (in_use > max_queued_.load()) max_queued_.store(in_use);
  if (async) {
    Handle(std::move(request));
    return;
  }
  const bool submitted = workers_.Submit([this, request]() mutable {
    queued_.fetch_sub(1);
    if (parked_count_.load() > 0) ScheduleDrain();
    Handle(std::move(request));
  });
  if (!submitted) {
    queued_.fetch_sub(1);
    LOG(WARNING) << options_.name << ": stopping; dropped '"
                 << LogText(request->request.method()) << "'";
  }
}

void RpcServer::ReleaseAsyncSlot() {
  async_slots_.fetch_sub(1);
  if (parked_count_.load() > 0) ScheduleDrain();
}

void RpcServer::EndAsync() {
  // Stop() awaits async_running_ == 0 under async_mu_: touching the mutex
  // after the last one ends makes it look again.
  if (async_running_.fetch_sub(1) == 1 && stopping_.load()) {
    absl::MutexLock lock(&async_mu_);
  }
}

void RpcServer::ScheduleDrain() {
  if (drain_scheduled_.exchange(true)) return;  // one is on its way
  io_->Run([this](transport::Connection* c) {
    drain_scheduled_.store(false);
    Drain(c);
  });
}

void RpcServer::Drain(transport::Connection* connection) {
  // No connection: what is parked goes back to the queue with it, and the
  // next connect forgets it.
  if (connection == nullptr || stopping_.load()) return;
  while (!parked_.empty() && SlotsInUse() < options_.max_queued_requests) {
    Parked next = std::move(parked_.front());
    parked_.pop_front();
    parked_count_.fetch_sub(1);
    // Ack before dispatch, like oslo; a failed ack discards the request (the
    // broker redelivers it after the reconnect).
    if (absl::Status s = connection->Ack(next.delivery_tag); !s.ok()) {
      LOG(WARNING) << options_.name << ": " << s.message() << "; "
                   << parked_.size() + 1
                   << " parked request(s) left to the broker";
      parked_.clear();
      parked_count_.store(0);
      return;
    }
    Accept(std::move(next.request));
  }
}

RpcServer::QueueStats RpcServer::queue_stats() const {
  return {SlotsInUse(), parked_count_.load(), max_queued_.load(),
          max_parked_.load()};
}

void RpcServer::Handle(std::shared_ptr<Incoming> incoming) {
  const oslo::Request& request = incoming->request;
  std::shared_ptr<Heartbeat> heartbeat;
  if (request.is_call() && request.call_monitor_timeout().has_value()) {
    // oslo: int(_timeout) / 2 seconds, and none below one second.
    const int64_t seconds =
        static_cast<int64_t>(*request.call_monitor_timeout()) / 2;
    if (seconds >= 1) {
      heartbeat = std::make_shared<Heartbeat>();
      heartbeat->reply_q = std::string(request.reply_q());
      heartbeat->msg_id = std::string(request.msg_id());
      heartbeat->interval = absl::Seconds(seconds);
      ScheduleHeartbeat(heartbeat);
    }
  }
  if (!incoming->endpoint.ok()) {
    Finish(*incoming, heartbeat.get(), incoming->endpoint.status());
    return;
  }
  Endpoint* endpoint = *incoming->endpoint;
  CallContext context(request, incoming->arrival);
  if (AsyncEndpoint* async = endpoint->AsAsync(); async != nullptr) {
    async->InvokeAsync(
        request.method(), context, request.args(),
        [this, incoming, heartbeat](absl::StatusOr<std::string> result) {
          ReleaseAsyncSlot();
          Finish(*incoming, heartbeat.get(), std::move(result));
          EndAsync();
        });
    return;
  }
  Finish(*incoming, heartbeat.get(),
         endpoint->Invoke(request.method(), context, request.args()));
}

void RpcServer::Finish(const Incoming& incoming, Heartbeat* heartbeat,
                       absl::StatusOr<std::string> result) {
  const oslo::Request& request = incoming.request;
  if (heartbeat != nullptr) {
    heartbeat->finished.store(true);
    timer_.Cancel(heartbeat->timer);
  }
  if (!request.is_call()) {
    LOG_IF(WARNING, !result.ok())
        << options_.name << ": cast '" << LogText(request.method())
        << "' failed: " << LogText(result.status().message());
    return;
  }
  oslo::OutgoingReply reply;
  reply.msg_id = request.msg_id();
  const std::string unique_id = oslo::NewUuid4Hex();
  reply.unique_id = unique_id;
  oslo::Failure failure;
  if (result.ok()) {
    reply.result_json = *result;
  } else {
    failure = oslo::FailureFromStatusOrDefault(result.status());
    reply.failure = &failure;
  }
  PublishReply(std::string(request.reply_q()), oslo::EncodeReply(reply),
               ReplyGiveUp(), /*confirm=*/false);
}

absl::Time RpcServer::ReplyGiveUp() const {
  return absl::Now() +
         absl::Seconds(options_.rabbit.kombu_missing_consumer_retry_timeout);
}

void RpcServer::PublishReply(std::string reply_q, std::string body,
                             absl::Time give_up, bool confirm) {
  transport::OutgoingMessage message{"", reply_q, body, "", true, std::nullopt};
  message.confirm = confirm;
  io_->Publish(std::move(message), [this, reply_q, body = std::move(body),
                                    give_up](absl::Status published) mutable {
    if (!published.ok()) {
      RetryReply(std::move(reply_q), std::move(body), give_up, published);
    }
  });
}

void RpcServer::RetryReply(std::string reply_q, std::string body,
                           absl::Time give_up, const absl::Status& why) {
  if (absl::Now() >= give_up || stopping_.load()) {
    LOG(WARNING) << options_.name << ": abandoning a reply to '"
                 << LogText(reply_q) << "': " << LogText(why.message());
    return;
  }
  VLOG(1) << options_.name << ": reply to '" << LogText(reply_q)
          << "' not delivered (" << LogText(why.message()) << "); retrying";
  timer_.Schedule(absl::Now() + kReplyRetryInterval,
                  [this, reply_q = std::move(reply_q), body = std::move(body),
                   give_up]() mutable {
                    PublishReply(std::move(reply_q), std::move(body), give_up,
                                 /*confirm=*/true);
                  });
}

void RpcServer::Stop() {
  if (stopping_.exchange(true)) return;
  absl::Notification unsubscribed;
  io_->Run([this, &unsubscribed](transport::Connection* c) {
    if (c != nullptr) {
      for (const char* tag : {kTopicTag, kServerTag, kFanoutTag}) {
        (void)c->CancelConsumer(tag);
      }
      (void)c->DeleteQueue(fanout_queue_);
    }
    unsubscribed_ = true;
    unsubscribed.Notify();
  });
  unsubscribed.WaitForNotification();
  workers_.Shutdown();
  absl::MutexLock lock(&async_mu_);
  async_mu_.Await(absl::Condition(
      +[](std::atomic<int>* running) { return running->load() == 0; },
      &async_running_));
}

}  // namespace amqp::rpc
