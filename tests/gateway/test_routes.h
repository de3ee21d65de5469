// The route table of a gateway test: descriptor sets from the test's
// runfiles, loaded once per test binary as the bridge loads them (control
// exchange "openstack").

#ifndef TESTS_GATEWAY_TEST_ROUTES_H_
#define TESTS_GATEWAY_TEST_ROUTES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bridge/gateway/route_table.h"
#include "gtest/gtest.h"

namespace amqp::gateway {

// The first call loads `sets`; later calls return that table.
inline const RouteTable& TestRoutes(const std::vector<std::string>& sets) {
  static const RouteTable* const routes = [&] {
    absl::StatusOr<std::unique_ptr<RouteTable>> loaded =
        RouteTable::Load(sets, "openstack");
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? loaded->release() : nullptr;
  }();
  return *routes;
}

}  // namespace amqp::gateway

#endif  // TESTS_GATEWAY_TEST_ROUTES_H_
