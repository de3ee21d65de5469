#include "bridge/reverse/backend_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace amqp::reverse {
namespace {

using ::testing::HasSubstr;

TEST(BackendSpecTest, ServiceAndAddress) {
  absl::StatusOr<BackendSpec> spec =
      ParseBackendSpec(" nova.compute.Compute = 127.0.0.1:50061 ");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->service, "nova.compute.Compute");
  EXPECT_EQ(spec->address, "127.0.0.1:50061");
  // The address may hold '=' (a target URI's query) after the first one.
  spec = ParseBackendSpec("a.S=dns:///h:1?x=y");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->address, "dns:///h:1?x=y");
}

TEST(BackendSpecTest, BadEntriesNameThemselves) {
  for (const char* entry : {"a.S", "=h:1", "a.S=", "a S=h:1", "a.S=h 1"}) {
    absl::StatusOr<BackendSpec> spec = ParseBackendSpec(entry);
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument)
        << entry;
    EXPECT_THAT(std::string(spec.status().message()),
                HasSubstr("want <package.Service>=<host:port>"));
  }
}

TEST(BackendSpecTest, OneBackendPerService) {
  absl::StatusOr<std::vector<BackendSpec>> specs =
      ParseBackendSpecs({"a.S=h:1", "b.T=h:2"});
  ASSERT_TRUE(specs.ok()) << specs.status();
  EXPECT_EQ(specs->size(), 2);
  specs = ParseBackendSpecs({"a.S=h:1", "a.S=h:2"});
  EXPECT_EQ(specs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(specs.status().message()),
              HasSubstr("backend for a.S given twice"));
}

}  // namespace
}  // namespace amqp::reverse
