// For tests that need the real RabbitMQ on 127.0.0.1:5672 (tools/setup.sh
// starts it): the URL to use, and a check that fails the test with a clear
// message instead of hanging or skipping when the broker is not there.

#ifndef TESTS_TESTING_BROKER_H_
#define TESTS_TESTING_BROKER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bridge/transport/connection.h"
#include "bridge/transport/transport_url.h"

namespace amqp::testing {

inline constexpr char kBrokerUrl[] = "rabbit://guest:guest@127.0.0.1:5672/";

transport::TransportUrl BrokerUrl();

// A name no other test run uses, e.g. for topics and queues.
std::string UniqueName(const std::string& prefix);

// A plain connection to that broker with default options, for a test to
// publish and consume what no client or server of the runtime would.
absl::StatusOr<std::unique_ptr<transport::Connection>> RawConnection();

// Call from SetUp() or main: aborts the test binary with "this test needs
// RabbitMQ..." when an AMQP login as guest fails within a few seconds.
void RequireBroker();

}  // namespace amqp::testing

#endif  // TESTS_TESTING_BROKER_H_
