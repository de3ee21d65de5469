#include "tests/testing/broker.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "bridge/transport/connection.h"
#include "bridge/transport/rabbit_options.h"

namespace amqp::testing {

transport::TransportUrl BrokerUrl() {
  return *transport::ParseTransportUrl(kBrokerUrl);
}

std::string UniqueName(const std::string& prefix) {
  static absl::BitGen* const bits = new absl::BitGen();
  return absl::StrCat(prefix, "_", getpid(), "_",
                      absl::Hex(absl::Uniform<uint64_t>(*bits)));
}

absl::StatusOr<std::unique_ptr<transport::Connection>> RawConnection() {
  const transport::TransportUrl url = BrokerUrl();
  return transport::Connection::Open(url.hosts[0], url.vhost,
                                     transport::RabbitOptions(),
                                     transport::Connection::Options());
}

void RequireBroker() {
  transport::Connection::Options options;
  options.connect_timeout = absl::Seconds(3);
  options.rpc_timeout = absl::Seconds(3);
  const transport::TransportUrl url = BrokerUrl();
  absl::StatusOr<std::unique_ptr<transport::Connection>> connection =
      transport::Connection::Open(url.hosts[0], url.vhost,
                                  transport::RabbitOptions(), options);
  if (!connection.ok()) {
    std::cerr << "FAIL: this test needs RabbitMQ on 127.0.0.1:5672 (run "
                 "tools/setup.sh): "
              << connection.status() << "\n";
    std::exit(1);
  }
}

}  // namespace amqp::testing
