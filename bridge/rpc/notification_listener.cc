#include "bridge/rpc/notification_listener.h"

#include <glog/logging.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/oslo/ids.h"
#include "bridge/transport/log_text.h"

namespace amqp::rpc {
namespace {

// Matches a `[...]` set at pattern[*i] (just after the '[') against `c`;
// advances *i past the ']'. False in *valid when there is no closing ']'
// (fnmatch then takes the '[' literally).
bool MatchSet(absl::string_view pattern, size_t* i, char c, bool* valid) {
  size_t j = *i;
  const bool negate = j < pattern.size() && pattern[j] == '!';
  if (negate) ++j;
  const size_t first = j;
  bool matched = false;
  // A ']' right after '[' or '[!' is a member, as in fnmatch.
  while (j < pattern.size() && (pattern[j] != ']' || j == first)) {
    if (j + 2 < pattern.size() && pattern[j + 1] == '-' &&
        pattern[j + 2] != ']') {
      if (pattern[j] <= c && c <= pattern[j + 2]) matched = true;
      j += 3;
    } else {
      if (pattern[j] == c) matched = true;
      ++j;
    }
  }
  *valid = j < pattern.size();
  if (!*valid) return false;
  *i = j + 1;
  return matched != negate;
}

}  // namespace

bool EventTypeMatches(absl::string_view pattern, absl::string_view name) {
  // Backtracking over the last '*' only: linear enough for event types.
  size_t p = 0, n = 0;
  size_t star = absl::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size()) {
      const char c = pattern[p];
      if (c == '*') {
        star = ++p;
        star_n = n;
        continue;
      }
      if (c == '?') {
        ++p;
        ++n;
        continue;
      }
      if (c == '[') {
        size_t next = p + 1;
        bool valid = true;
        if (MatchSet(pattern, &next, name[n], &valid)) {
          p = next;
          ++n;
          continue;
        }
        if (!valid && name[n] == '[') {  // a literal '['
          ++p;
          ++n;
          continue;
        }
      } else if (c == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star == absl::string_view::npos) return false;
    p = star;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

class NotificationListener::State : public Subscriber {
 public:
  State(const transport::RabbitOptions& rabbit, const Filter& filter,
        Received on_notification)
      : filter(filter),
        rabbit_(rabbit),
        on_notification_(std::move(on_notification)) {}

  absl::Status Declare(transport::Connection& connection) override {
    // The exchange as oslo's notify_send declares it.
    if (absl::Status s = connection.DeclareExchange(
            filter.exchange, "topic", transport::DurableQueues(rabbit_),
            rabbit_.amqp_auto_delete);
        !s.ok()) {
      return s;
    }
    return ConsumePrivateQueue(connection, rabbit_, filter.exchange,
                               filter.routing_keys);
  }

  void Deliver(const oslo::Notification& notification) {
    RunIfOpen([&] { on_notification_(notification); });
  }

  const Filter filter;
  std::atomic<int64_t> malformed{0};

 private:
  const transport::RabbitOptions& rabbit_;
  const Received on_notification_;
};

class NotificationListener::SubscriptionImpl : public Subscription {
 public:
  SubscriptionImpl(NotificationListener* listener, std::shared_ptr<State> state)
      : listener_(listener), state_(std::move(state)) {}
  ~SubscriptionImpl() override {
    listener_->subscribers_.Close(*listener_->io_, *state_);
  }
  int64_t malformed() const override { return state_->malformed.load(); }

 private:
  NotificationListener* const listener_;
  const std::shared_ptr<State> state_;
};

NotificationListener::NotificationListener(Options options)
    : options_(std::move(options)) {
  transport::IoThread::Config config{options_.url, options_.rabbit,
                                     options_.name, nullptr, nullptr};
  config.max_message_bytes = options_.max_message_bytes;
  config.on_connect = [this](transport::Connection& connection) {
    return subscribers_.DeclareAll(connection);
  };
  config.on_delivery = [this](transport::Delivery& delivery) {
    return OnDelivery(delivery);
  };
  io_ = std::make_unique<transport::IoThread>(std::move(config));
}

NotificationListener::~NotificationListener() { io_.reset(); }

bool NotificationListener::WaitReady(absl::Duration timeout) const {
  return io_->WaitConnected(timeout);
}

bool NotificationListener::OnDelivery(transport::Delivery& delivery) {
  auto state =
      std::static_pointer_cast<State>(subscribers_.Find(delivery.consumer_tag));
  if (state == nullptr) return true;  // its stream just ended
  absl::StatusOr<oslo::Notification> notification =
      oslo::Notification::Decode(std::move(delivery.body));
  if (!notification.ok()) {
    ++malformed_;
    ++state->malformed;
    LOG(WARNING) << "notification queue " << state->queue
                 << ": skipping a message that is no notification (key '"
                 << transport::LogText(delivery.routing_key) << "'): "
                 << transport::LogText(notification.status().message());
    return false;
  }
  if (EventTypeMatches(state->filter.event_type, notification->event_type())) {
    state->Deliver(*notification);
  }
  return true;
}

std::unique_ptr<NotificationListener::Subscription>
NotificationListener::Subscribe(const Filter& filter, Received on_notification,
                                std::function<void(absl::Status)> ready) {
  auto state = std::make_shared<State>(options_.rabbit, filter,
                                       std::move(on_notification));
  state->consumer_tag =
      absl::StrCat("notify-", next_subscription_.fetch_add(1) + 1);
  // Named like oslo's notification pool queues, with a uuid of its own.
  state->queue =
      absl::StrCat(filter.exchange, "_notifications_", oslo::NewUuid4Hex());
  subscribers_.Add(*io_, state, std::move(ready),
                   "broker unreachable: cannot listen for notifications");
  return std::make_unique<SubscriptionImpl>(this, std::move(state));
}

}  // namespace amqp::rpc
