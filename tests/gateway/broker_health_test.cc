// BrokerHealth: what the health service is told, and when, as the broker
// connection's state changes; and the wait for the first connection attempt
// that start-up does before it listens. The end-to-end checks against a real
// bridge and broker are tests/bridge/health_test.py.

#include "bridge/gateway/broker_health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace amqp::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Records each SetServingStatus as "name=SERVING" ("" for the server).
class RecordingHealth : public grpc::HealthCheckServiceInterface {
 public:
  void SetServingStatus(const std::string& name, bool serving) override {
    calls.push_back(name + (serving ? "=SERVING" : "=NOT_SERVING"));
  }
  void SetServingStatus(bool serving) override {
    SetServingStatus("", serving);
  }
  std::vector<std::string> calls;
};

TEST(BrokerHealthTest, AttachReportsNotServingBeforeTheFirstAttempt) {
  BrokerHealth health({"p.A", "p.B"});
  RecordingHealth service;
  health.Attach(&service);
  EXPECT_THAT(service.calls, ElementsAre("=NOT_SERVING", "p.A=NOT_SERVING",
                                         "p.B=NOT_SERVING"));
}

TEST(BrokerHealthTest, AttachReportsTheStateSoFar) {
  BrokerHealth health({"p.A"});
  health.Update(true);
  RecordingHealth service;
  health.Attach(&service);
  EXPECT_THAT(service.calls, ElementsAre("=SERVING", "p.A=SERVING"));
}

TEST(BrokerHealthTest, ChangesAreReportedAtOnceAndRepeatsNot) {
  BrokerHealth health({"p.A"});
  RecordingHealth service;
  health.Update(false);  // a failed first attempt
  health.Attach(&service);
  service.calls.clear();
  health.Update(false);  // another failed attempt: nothing new
  EXPECT_THAT(service.calls, IsEmpty());
  health.Update(true);
  EXPECT_THAT(service.calls, ElementsAre("=SERVING", "p.A=SERVING"));
  service.calls.clear();
  health.Update(false);
  EXPECT_THAT(service.calls, ElementsAre("=NOT_SERVING", "p.A=NOT_SERVING"));
}

TEST(BrokerHealthTest, DetachedReportsNothing) {
  BrokerHealth health({});
  RecordingHealth service;
  health.Attach(&service);
  health.Attach(nullptr);
  service.calls.clear();
  health.Update(true);
  EXPECT_THAT(service.calls, IsEmpty());
}

TEST(BrokerHealthTest, WaitFirstAttemptEndsWithTheAttemptEitherWay) {
  for (const bool connected : {true, false}) {
    BrokerHealth health({});
    std::thread transport([&] {
      absl::SleepFor(absl::Milliseconds(50));
      health.Update(connected);
    });
    const absl::Time start = absl::Now();
    EXPECT_TRUE(health.WaitFirstAttempt(absl::Seconds(10)));
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
    transport.join();
  }
}

TEST(BrokerHealthTest, WaitFirstAttemptIsBounded) {
  BrokerHealth health({});
  const absl::Time start = absl::Now();
  EXPECT_FALSE(health.WaitFirstAttempt(absl::Milliseconds(100)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(90));  // it waited
}

}  // namespace
}  // namespace amqp::gateway
