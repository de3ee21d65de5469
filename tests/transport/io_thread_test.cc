// IoThread and Connection against the real broker: publish with and without
// confirms, consume, acks (batched per read, never settling a held delivery),
// mandatory returns, passive declares, an unreachable broker, reconnection
// after the broker closes the connection, and bursts held in a WriteBatch.

#include "bridge/transport/io_thread.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bridge/transport/connection.h"
#include "bridge/transport/write_batch.h"
#include "tests/testing/broker.h"

namespace amqp::transport {
namespace {

using ::testing::HasSubstr;

// Collects deliveries from the I/O thread.
class Inbox {
 public:
  bool Put(Delivery& delivery) {
    absl::MutexLock lock(&mu_);
    deliveries_.push_back(delivery);
    return true;
  }
  // Waits for at least `n` deliveries; returns them all.
  std::vector<Delivery> WaitFor(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] {
      mu_.AssertHeld();
      return deliveries_.size() >= n;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return deliveries_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Delivery> deliveries_ ABSL_GUARDED_BY(mu_);
};

absl::Status PublishAndWait(IoThread& io, OutgoingMessage message) {
  absl::Notification done;
  absl::Status result;
  io.Publish(std::move(message), [&](absl::Status s) {
    result = std::move(s);
    done.Notify();
  });
  if (!done.WaitForNotificationWithTimeout(absl::Seconds(10))) {
    return absl::DeadlineExceededError("publish not confirmed in 10 s");
  }
  return result;
}

// Asks the broker to close every connection whose client-provided name is
// `name` (rabbitmqctl close_connection), as a broker restart or a network
// cut would. Returns how many it closed. rabbitmqctl runs directly with the
// broker's Erlang cookie (its wrapper's `su` fails under Bazel; the test is
// tagged no-sandbox so that the cookie is readable).
int CloseConnectionsNamed(const std::string& name, std::string* listing) {
  FILE* list = popen(
      "HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl "
      "list_connections -q pid client_properties 2>&1",
      "r");
  if (list == nullptr) return 0;
  std::vector<std::string> pids;
  char line[4096];
  while (fgets(line, sizeof(line), list) != nullptr) {
    const std::string text(line);
    listing->append(text);
    if (absl::StrContains(text, absl::StrCat("\"", name, "\""))) {
      pids.push_back(text.substr(0, text.find('\t')));
    }
  }
  pclose(list);
  for (const std::string& pid : pids) {
    const std::string command = absl::StrCat(
        "HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl "
        "close_connection '",
        pid, "' 'test: forced close' >/dev/null 2>&1");
    if (system(command.c_str()) != 0) return 0;
  }
  return static_cast<int>(pids.size());
}

class IoThreadTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::RequireBroker(); }

  // An I/O thread that owns an auto-delete queue and consumes from it.
  std::unique_ptr<IoThread> StartConsumer(const std::string& name,
                                          const std::string& queue,
                                          Inbox* inbox) {
    IoThread::Config config;
    config.url = testing::BrokerUrl();
    config.name = name;
    config.on_connect = [queue](Connection& c) {
      absl::Status s = c.DeclareQueue({queue, false, true, false, {}}).status();
      if (s.ok()) s = c.Consume(queue, "1");
      return s;
    };
    config.on_delivery = [inbox](Delivery& d) { return inbox->Put(d); };
    auto io = std::make_unique<IoThread>(std::move(config));
    EXPECT_TRUE(io->WaitConnected(absl::Seconds(10)));
    return io;
  }
};

TEST_F(IoThreadTest, PublishedMessagesArriveWithOslosProperties) {
  const std::string queue = testing::UniqueName("io_basic");
  Inbox inbox;
  std::unique_ptr<IoThread> io = StartConsumer("io_basic", queue, &inbox);
  for (int i = 0; i < 3; ++i) {
    OutgoingMessage message;
    message.routing_key = queue;  // the default exchange
    message.body = absl::StrCat("{\"n\": ", i, "}");
    message.mandatory = true;
    ASSERT_TRUE(PublishAndWait(*io, std::move(message)).ok());
  }
  std::vector<Delivery> got = inbox.WaitFor(3, absl::Seconds(10));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].body, "{\"n\": 0}");
  EXPECT_EQ(got[2].body, "{\"n\": 2}");
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(got[0].routing_key, queue);
}

TEST_F(IoThreadTest, MandatoryPublishWithNoQueueFailsAtOnce) {
  IoThread::Config config;
  config.url = testing::BrokerUrl();
  config.name = "io_unroutable";
  IoThread io(std::move(config));
  ASSERT_TRUE(io.WaitConnected(absl::Seconds(10)));
  OutgoingMessage message;
  message.exchange = testing::UniqueName("io_exchange");
  message.routing_key = "nobody_listens_here";
  message.body = "{}";
  message.mandatory = true;
  message.declare = ExchangeSpec{message.exchange, "topic", false, true};
  absl::Status s = PublishAndWait(io, std::move(message));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("NO_ROUTE"));
}

TEST_F(IoThreadTest, UnconfirmedPublishesArriveAndComeBackThroughOnReturn) {
  const std::string queue = testing::UniqueName("io_unconfirmed");
  Inbox inbox;
  absl::Mutex mu;
  std::vector<ReturnedMessage> returns;
  IoThread::Config config;
  config.url = testing::BrokerUrl();
  config.name = "io_unconfirmed";
  config.on_connect = [queue](Connection& c) {
    return c.DeclareQueue({queue, false, true, false, {}}).status();
  };
  config.on_return = [&](ReturnedMessage& returned) {
    absl::MutexLock lock(&mu);
    returns.push_back(std::move(returned));
  };
  IoThread io(std::move(config));
  ASSERT_TRUE(io.WaitConnected(absl::Seconds(10)));
  std::unique_ptr<IoThread> consumer =
      StartConsumer("io_unconfirmed_consumer", queue, &inbox);

  auto message = [](std::string key, std::string body, bool confirm) {
    OutgoingMessage m;
    m.routing_key = std::move(key);
    m.body = std::move(body);
    m.mandatory = true;
    m.confirm = confirm;
    return m;
  };
  // Unconfirmed: OK once written, whether or not a queue takes it.
  EXPECT_TRUE(PublishAndWait(io, message(queue, "routed", false)).ok());
  EXPECT_TRUE(PublishAndWait(io, message("io_nobody", "lost", false)).ok());
  // A confirmed publish on the same connection still gets its own verdict,
  // and the unconfirmed return does not end up on it.
  absl::Status confirmed = PublishAndWait(io, message("io_nobody2", "c", true));
  EXPECT_EQ(confirmed.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(confirmed.message(), HasSubstr("'io_nobody2'"));

  std::vector<Delivery> got = inbox.WaitFor(1, absl::Seconds(10));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "routed");
  absl::MutexLock lock(&mu);
  auto returned = [&] {
    mu.AssertHeld();
    return !returns.empty();
  };
  ASSERT_TRUE(
      mu.AwaitWithTimeout(absl::Condition(&returned), absl::Seconds(10)));
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_FALSE(returns[0].confirmed);
  EXPECT_EQ(returns[0].routing_key, "io_nobody");
  EXPECT_EQ(returns[0].body, "lost");
  EXPECT_THAT(UnroutableError(returns[0]).message(), HasSubstr("NO_ROUTE"));
}

TEST_F(IoThreadTest, UnreachableBrokerFailsPublishesFast) {
  IoThread::Config config;
  config.url = *ParseTransportUrl("rabbit://guest:guest@127.0.0.1:1/");
  config.name = "io_unreachable";
  IoThread io(std::move(config));
  EXPECT_FALSE(io.WaitConnected(absl::Milliseconds(300)));
  const absl::Time start = absl::Now();
  OutgoingMessage message;
  message.routing_key = "anything";
  absl::Status s = PublishAndWait(io, std::move(message));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

// Shutting down is a type, not a message: a status with the same text but
// without the mark is an ordinary outage.
TEST(ShuttingDownTest, IsShuttingDownGoesByTheMarkNotTheText) {
  EXPECT_TRUE(IsShuttingDown(ShuttingDownError()));
  EXPECT_EQ(ShuttingDownError().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(
      IsShuttingDown(absl::UnavailableError(ShuttingDownError().message())));
  EXPECT_FALSE(IsShuttingDown(absl::OkStatus()));
}

// A publish made while the IoThread is being destroyed (here from a task
// that is still running when the destructor starts) fails as shutting down.
TEST(ShuttingDownTest, PublishDuringDestructionIsShuttingDown) {
  IoThread::Config config;
  config.url = *ParseTransportUrl("rabbit://guest:guest@127.0.0.1:1/");
  config.name = "io_shutting_down";
  auto io = std::make_unique<IoThread>(std::move(config));
  IoThread* const raw = io.get();
  absl::Notification task_started;
  absl::Status published;
  raw->Run([&](Connection*) {
    task_started.Notify();
    // Long enough for the destructor below to have begun.
    absl::SleepFor(absl::Milliseconds(300));
    raw->Publish(OutgoingMessage(),
                 [&](absl::Status s) { published = std::move(s); });
  });
  task_started.WaitForNotification();
  io.reset();
  EXPECT_TRUE(IsShuttingDown(published)) << published;
}

TEST_F(IoThreadTest, PassiveDeclareOfMissingQueueKeepsTheChannel) {
  const TransportUrl url = testing::BrokerUrl();
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(
      url.hosts[0], url.vhost, RabbitOptions(), Connection::Options());
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<QueueStatus> missing =
      (*c)->InspectQueue(testing::UniqueName("io_missing"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  const std::string queue = testing::UniqueName("io_present");
  ASSERT_TRUE((*c)->DeclareQueue({queue, false, true, false, {}}).ok());
  absl::StatusOr<QueueStatus> present = (*c)->InspectQueue(queue);
  ASSERT_TRUE(present.ok()) << present.status();
  EXPECT_EQ(present->message_count, 0u);
  EXPECT_TRUE((*c)->DeleteQueue(queue).ok());
}

// oslo_rpc queues --delete_unused relies on this: a queue that a consumer
// holds is kept (the broker's if-unused check, so a server that came back in
// between keeps its queue), and neither refusal closes the main channel.
TEST_F(IoThreadTest, DeleteUnusedQueueKeepsAConsumedQueue) {
  const TransportUrl url = testing::BrokerUrl();
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(
      url.hosts[0], url.vhost, RabbitOptions(), Connection::Options());
  ASSERT_TRUE(c.ok()) << c.status();
  // RabbitMQ answers delete-ok for a queue that does not exist.
  EXPECT_TRUE((*c)->DeleteUnusedQueue(testing::UniqueName("io_missing")).ok());
  const std::string queue = testing::UniqueName("io_consumed");
  ASSERT_TRUE((*c)->DeclareQueue({queue, false, true, false, {}}).ok());
  ASSERT_TRUE((*c)->Consume(queue, "io_consumer", /*no_ack=*/false).ok());
  absl::StatusOr<uint32_t> kept = (*c)->DeleteUnusedQueue(queue);
  EXPECT_EQ(kept.status().code(), absl::StatusCode::kFailedPrecondition)
      << kept.status();
  absl::StatusOr<QueueStatus> still = (*c)->InspectQueue(queue);
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_EQ(still->consumer_count, 1u);

  const std::string unused = testing::UniqueName("io_unused");
  ASSERT_TRUE((*c)->DeclareQueue({unused, false, false, false, {}}).ok());
  absl::StatusOr<uint32_t> deleted = (*c)->DeleteUnusedQueue(unused);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 0u);
  EXPECT_EQ((*c)->InspectQueue(unused).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE((*c)->DeleteQueue(queue).ok());  // the main channel still works
}

TEST_F(IoThreadTest, ReconnectsRedeclaresAndResumesConsuming) {
  const std::string name = testing::UniqueName("io_reconnect");
  const std::string queue = name;
  Inbox inbox;
  std::unique_ptr<IoThread> io = StartConsumer(name, queue, &inbox);
  const std::string connection_name = absl::StrCat(name, ":", getpid());
  std::string listing;
  ASSERT_EQ(CloseConnectionsNamed(connection_name, &listing), 1)
      << "rabbitmqctl could not find or close " << connection_name
      << "; it listed:\n"
      << listing;

  // The auto-delete queue went away with its consumer; after reconnecting
  // the thread declares it again and consumes from it.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  absl::Status s;
  do {
    OutgoingMessage message;
    message.routing_key = queue;
    message.body = "\"after reconnect\"";
    message.mandatory = true;
    s = PublishAndWait(*io, std::move(message));
    if (!s.ok()) absl::SleepFor(absl::Milliseconds(200));
  } while (!s.ok() && absl::Now() < deadline);
  ASSERT_TRUE(s.ok()) << s;
  std::vector<Delivery> got = inbox.WaitFor(1, absl::Seconds(10));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().body, "\"after reconnect\"");
}

// The connection states on_state reported, in order.
class States {
 public:
  IoThread::StateFn Recorder() {
    return [this](bool connected) {
      absl::MutexLock lock(&mu_);
      states_.push_back(connected);
    };
  }
  // Waits until the states reported end with `last`; returns them all.
  std::vector<bool> WaitForLast(bool last, size_t at_least) {
    absl::MutexLock lock(&mu_);
    auto done = [&] {
      mu_.AssertHeld();
      return states_.size() >= at_least && states_.back() == last;
    };
    mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(20));
    return states_;
  }

 private:
  absl::Mutex mu_;
  std::vector<bool> states_ ABSL_GUARDED_BY(mu_);
};

TEST_F(IoThreadTest, OnStateReportsConnectsFailedAttemptsAndLosses) {
  // A refused connection: the first attempt reports false at once.
  {
    States states;
    IoThread::Config config;
    config.url = *ParseTransportUrl("rabbit://guest:guest@127.0.0.1:1/");
    config.name = "io_state_refused";
    config.on_state = states.Recorder();
    IoThread io(std::move(config));
    EXPECT_THAT(states.WaitForLast(false, 1), ::testing::Each(false));
  }
  // on_connect failing is a failed attempt too.
  {
    States states;
    IoThread::Config config;
    config.url = testing::BrokerUrl();
    config.name = "io_state_on_connect";
    config.on_connect = [](Connection&) {
      return absl::InternalError("declare failed");
    };
    config.on_state = states.Recorder();
    IoThread io(std::move(config));
    EXPECT_THAT(states.WaitForLast(false, 1), ::testing::Each(false));
  }
  // Connected, lost (the broker closes the connection), connected again.
  const std::string name = testing::UniqueName("io_state");
  States states;
  IoThread::Config config;
  config.url = testing::BrokerUrl();
  config.name = name;
  config.on_state = states.Recorder();
  IoThread io(std::move(config));
  EXPECT_THAT(states.WaitForLast(true, 1), ::testing::ElementsAre(true));
  std::string listing;
  ASSERT_EQ(CloseConnectionsNamed(absl::StrCat(name, ":", getpid()), &listing),
            1)
      << listing;
  std::vector<bool> seen = states.WaitForLast(true, 3);
  ASSERT_GE(seen.size(), 3u);
  EXPECT_TRUE(seen[0]);
  EXPECT_FALSE(seen[1]);  // the loss, reported before any new attempt
  EXPECT_TRUE(seen.back());
}

// A queue that outlives its consumers, filled with `count` messages
// ("0", "1", ...) through a connection of the test's own.
class FilledQueue {
 public:
  FilledQueue(const std::string& prefix, int count)
      : name_(testing::UniqueName(prefix)) {
    const TransportUrl url = testing::BrokerUrl();
    absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(
        url.hosts[0], url.vhost, RabbitOptions(), Connection::Options());
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return;
    connection_ = *std::move(c);
    EXPECT_TRUE(
        connection_->DeclareQueue({name_, false, false, false, {}}).ok());
    for (int i = 0; i < count; ++i) {
      EXPECT_TRUE(connection_
                      ->Publish("", name_, MessageProperties(), absl::StrCat(i),
                                /*mandatory=*/true,
                                /*confirm=*/false)
                      .ok());
    }
  }
  ~FilledQueue() {
    if (connection_ != nullptr) (void)connection_->DeleteQueue(name_);
  }

  const std::string& name() const { return name_; }

  // Closes `consumer`'s connection, after a moment for its last acks to
  // reach the broker, and counts the messages left to be delivered again.
  absl::StatusOr<uint32_t> LeftAfterClosing(
      std::unique_ptr<IoThread> consumer) {
    absl::SleepFor(absl::Milliseconds(200));
    consumer.reset();
    return ReadyOnceUnconsumed();
  }

 private:
  // The messages left in the queue once no consumer holds any: RabbitMQ
  // drops a closed channel's consumers and requeues its unacked messages in
  // one step, so with no consumer left the count is final.
  absl::StatusOr<uint32_t> ReadyOnceUnconsumed() {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (true) {
      absl::StatusOr<QueueStatus> status = connection_->InspectQueue(name_);
      if (!status.ok()) return status.status();
      if (status->consumer_count == 0) return status->message_count;
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError("the consumer did not go away");
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  std::string name_;
  std::unique_ptr<Connection> connection_;
};

// An I/O thread consuming `queue` without declaring it.
std::unique_ptr<IoThread> ConsumeFrom(const std::string& queue,
                                      IoThread::DeliveryFn on_delivery) {
  IoThread::Config config;
  config.url = testing::BrokerUrl();
  config.name = queue;
  config.on_connect = [queue](Connection& c) { return c.Consume(queue, "1"); };
  config.on_delivery = std::move(on_delivery);
  auto io = std::make_unique<IoThread>(std::move(config));
  EXPECT_TRUE(io->WaitConnected(absl::Seconds(10)));
  return io;
}

// Holds the first message ("0"), as a parked request is held, and acks the
// others.
IoThread::DeliveryFn HoldingTheFirst(Inbox* inbox) {
  return [inbox](Delivery& d) {
    d.settle_later = d.body == "0";
    return inbox->Put(d);
  };
}

TEST_F(IoThreadTest, AcksOfABurstSettleEveryDeliveryBeforeTheThreadWaits) {
  constexpr int kMessages = 200;
  FilledQueue queue("io_burst", kMessages);
  Inbox inbox;
  std::unique_ptr<IoThread> io =
      ConsumeFrom(queue.name(), [&inbox](Delivery& d) { return inbox.Put(d); });
  ASSERT_EQ(inbox.WaitFor(kMessages, absl::Seconds(10)).size(), kMessages);
  absl::StatusOr<uint32_t> left = queue.LeftAfterClosing(std::move(io));
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(*left, 0u) << "acked deliveries were requeued: their ack never "
                          "reached the broker";
}

TEST_F(IoThreadTest, OnSettledRunsAfterTheDeliveriesOfItsTurn) {
  constexpr int kMessages = 100;
  FilledQueue queue("io_settled", kMessages);
  IoThread::Config config;
  config.url = testing::BrokerUrl();
  config.name = queue.name();
  config.on_connect = [&queue](Connection& c) {
    return c.Consume(queue.name(), "1");
  };
  // Both run on the I/O thread; the test reads them once it is stopped.
  int delivered = 0;
  int delivered_when_settled = -1;
  config.on_delivery = [&delivered](Delivery&) {
    ++delivered;
    return true;
  };
  absl::Notification all_settled;
  config.on_settled = [&] {
    delivered_when_settled = delivered;
    if (delivered == kMessages && !all_settled.HasBeenNotified()) {
      all_settled.Notify();
    }
  };
  auto io = std::make_unique<IoThread>(std::move(config));
  ASSERT_TRUE(all_settled.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "on_settled never ran after the last delivery";
  absl::StatusOr<uint32_t> left = queue.LeftAfterClosing(std::move(io));
  EXPECT_EQ(delivered_when_settled, kMessages);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(*left, 0u);
}

TEST_F(IoThreadTest, HeldDeliveryIsNotSettledByTheAcksOfLaterOnes) {
  constexpr int kMessages = 20;
  FilledQueue queue("io_held", kMessages);
  Inbox inbox;
  std::unique_ptr<IoThread> io =
      ConsumeFrom(queue.name(), HoldingTheFirst(&inbox));
  ASSERT_EQ(inbox.WaitFor(kMessages, absl::Seconds(10)).size(), kMessages);
  // The held one goes back to the queue with the connection; the others
  // were acked.
  absl::StatusOr<uint32_t> left = queue.LeftAfterClosing(std::move(io));
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(*left, 1u);
}

TEST_F(IoThreadTest, HeldDeliveryAckedByItsOwnerLeavesNothingUnsettled) {
  constexpr int kMessages = 20;
  FilledQueue queue("io_held_acked", kMessages);
  Inbox inbox;
  std::unique_ptr<IoThread> io =
      ConsumeFrom(queue.name(), HoldingTheFirst(&inbox));
  std::vector<Delivery> got = inbox.WaitFor(kMessages, absl::Seconds(10));
  ASSERT_EQ(got.size(), kMessages);
  ASSERT_EQ(got[0].body, "0");
  absl::Notification acked;
  absl::Status ack_status;
  io->Run([&, tag = got[0].delivery_tag](Connection* c) {
    ack_status =
        c == nullptr ? absl::UnavailableError("no connection") : c->Ack(tag);
    acked.Notify();
  });
  ASSERT_TRUE(acked.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(ack_status.ok()) << ack_status;
  absl::StatusOr<uint32_t> left = queue.LeftAfterClosing(std::move(io));
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(*left, 0u);
}

// A consumer of a fresh queue, and a publisher to it whose messages the
// test thread's WriteBatch holds.
class WriteBatchTest : public IoThreadTest {
 protected:
  void SetUp() override {
    IoThreadTest::SetUp();
    queue_ = testing::UniqueName("io_batch");
    consumer_ = StartConsumer("io_batch_in", queue_, &inbox_);
    IoThread::Config config;
    config.url = testing::BrokerUrl();
    config.name = "io_batch_out";
    publisher_ = std::make_unique<IoThread>(std::move(config));
    ASSERT_TRUE(publisher_->WaitConnected(absl::Seconds(10)));
  }

  // Publishes "0", "1", ... without confirms, from this thread, and keeps
  // each one's verdict.
  void PublishNumbered(int count) {
    for (int i = 0; i < count; ++i) {
      OutgoingMessage message;
      message.routing_key = queue_;
      message.body = absl::StrCat(i);
      message.confirm = false;
      publisher_->Publish(std::move(message), [this, i](absl::Status s) {
        absl::MutexLock lock(&mu_);
        if (s.ok()) published_.insert(i);
      });
    }
  }

  // Every message arrived, in order.
  void ExpectNumbered(int count) {
    std::vector<Delivery> got = inbox_.WaitFor(count, absl::Seconds(10));
    ASSERT_EQ(got.size(), static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) EXPECT_EQ(got[i].body, absl::StrCat(i));
  }

  std::string queue_;
  absl::Mutex mu_;
  std::set<int> published_ ABSL_GUARDED_BY(mu_);  // reported OK
  Inbox inbox_;
  std::unique_ptr<IoThread> consumer_;
  std::unique_ptr<IoThread> publisher_;
};

TEST_F(WriteBatchTest, WritesItsBurstInOrderWhenItFlushes) {
  WriteBatch batch;
  EXPECT_EQ(WriteBatch::OfThisThread(), &batch);
  PublishNumbered(50);
  batch.Flush();
  EXPECT_TRUE(batch.empty());
  ExpectNumbered(50);
}

TEST_F(WriteBatchTest, WritesWhatItHoldsWhenItEnds) {
  {
    WriteBatch batch;
    PublishNumbered(20);
  }
  EXPECT_EQ(WriteBatch::OfThisThread(), nullptr);
  ExpectNumbered(20);
}

TEST_F(WriteBatchTest, AnIoThreadDestroyedUnderItSendsWhatItHeld) {
  // Its I/O thread at rest: every publish finds the connection free, and
  // the batch holds it.
  absl::SleepFor(absl::Milliseconds(100));
  WriteBatch batch;
  PublishNumbered(20);
  EXPECT_FALSE(batch.empty());
  // It leaves the batch, and writes the messages as it closes the
  // connection; the batch then has nothing of it left to flush (ASan would
  // see a flush of the destroyed thread). Any publish it had queued instead
  // was failed by the destruction, and only those may be missing.
  publisher_.reset();
  EXPECT_TRUE(batch.empty());
  batch.Flush();
  std::vector<std::string> expected;
  {
    absl::MutexLock lock(&mu_);
    for (int i : published_) expected.push_back(absl::StrCat(i));
  }
  EXPECT_GT(expected.size(), 0u);
  std::vector<Delivery> got =
      inbox_.WaitFor(expected.size(), absl::Seconds(10));
  std::vector<std::string> bodies;
  for (const Delivery& d : got) bodies.push_back(d.body);
  EXPECT_EQ(bodies, expected);
}

}  // namespace
}  // namespace amqp::transport
