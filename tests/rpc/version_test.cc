// oslo's version compatibility and version caps: which version a client
// sends to a capped topic, and the error when it may send none.

#include "bridge/rpc/version.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "absl/status/status.h"

namespace amqp::rpc {
namespace {

using ::testing::HasSubstr;

TEST(VersionIsCompatibleTest, FollowsOslosRules) {
  EXPECT_TRUE(VersionIsCompatible("5.2", "5.0"));
  EXPECT_TRUE(VersionIsCompatible("5.2", "5.2"));
  EXPECT_FALSE(VersionIsCompatible("5.2", "5.3"));
  EXPECT_FALSE(VersionIsCompatible("5.2", "4.0"));  // another major
  EXPECT_FALSE(VersionIsCompatible("5.2", "6.0"));
  EXPECT_TRUE(VersionIsCompatible("5.10", "5.9"));  // numbers, not text
  EXPECT_TRUE(VersionIsCompatible("5.2.1", "5.2.1"));
  EXPECT_FALSE(VersionIsCompatible("5.2", "5.2.1"));
  EXPECT_TRUE(VersionIsCompatible("5.3", "5.2.7"));
  EXPECT_FALSE(VersionIsCompatible("5.2", ""));
  EXPECT_FALSE(VersionIsCompatible("5.2", "five"));
}

TEST(VersionCapsTest, NoCapLetsEverythingThrough) {
  VersionCaps caps;
  EXPECT_TRUE(caps.empty());
  EXPECT_TRUE(caps.CanSendVersion("compute", "6.2"));
  EXPECT_EQ(*caps.Choose("compute", "reboot", "6.2", ""), "6.2");
  EXPECT_EQ(caps.Describe(), "(none)");
}

TEST(VersionCapsTest, CanSendVersionIsOslos) {
  VersionCaps caps;
  ASSERT_TRUE(caps.Set("compute", "5.1").ok());
  EXPECT_TRUE(caps.CanSendVersion("compute", "5.0"));
  EXPECT_TRUE(caps.CanSendVersion("compute", "5.1"));
  EXPECT_FALSE(caps.CanSendVersion("compute", "5.2"));
  EXPECT_FALSE(caps.CanSendVersion("compute", "6.0"));
  EXPECT_FALSE(caps.CanSendVersion("compute", "4.22"));
  // As in oslo, a capped topic takes no versionless message.
  EXPECT_FALSE(caps.CanSendVersion("compute", ""));
  EXPECT_TRUE(caps.CanSendVersion("conductor", "9.9"));  // not capped
  EXPECT_EQ(caps.CapFor("compute"), "5.1");
  EXPECT_EQ(caps.CapFor("conductor"), std::nullopt);
}

TEST(VersionCapsTest, ChooseFallsBackOrRefuses) {
  VersionCaps caps;
  ASSERT_TRUE(caps.Set("compute", "5.0").ok());
  EXPECT_EQ(*caps.Choose("compute", "reboot_instance", "5.0", "4.0"), "5.0");
  EXPECT_EQ(*caps.Choose("compute", "reboot_instance", "6.0", "5.0"), "5.0");

  absl::StatusOr<std::string> refused =
      caps.Choose("compute", "reboot_instance", "6.0", "5.1");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "'reboot_instance' needs version 6.0 (or its fallback 5.1) but "
            "topic 'compute' is capped at 5.0 (version cap); nothing was sent");
  EXPECT_EQ(refused.status().GetPayload(kErrorReasonPayloadUrl),
            absl::Cord(kVersionCappedReason));

  absl::StatusOr<std::string> no_fallback =
      caps.Choose("compute", "get_console", "5.2", "");
  EXPECT_EQ(no_fallback.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_fallback.status().message(),
              HasSubstr("'get_console' needs version 5.2 but topic 'compute' "
                        "is capped at 5.0"));
}

TEST(VersionCapsTest, CapsAreNumbersNotReleaseAliases) {
  VersionCaps caps;
  for (const char* alias : {"zed", "yoga", "auto", "Zed"}) {
    absl::Status s = caps.Set("compute", alias);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << alias;
    EXPECT_THAT(s.message(), HasSubstr("is a release alias")) << alias;
  }
  EXPECT_THAT(caps.Set("compute", "5").message(),
              HasSubstr("is not a version"));
  EXPECT_THAT(caps.Set("compute", "5..1").message(),
              HasSubstr("is not a version"));
  EXPECT_THAT(caps.Set("", "5.0").message(), HasSubstr("needs a topic"));
  EXPECT_TRUE(caps.empty());

  ASSERT_TRUE(caps.Set(" compute ", " 5.0 ").ok());
  EXPECT_EQ(caps.CapFor("compute"), "5.0");
  ASSERT_TRUE(caps.Set("compute", "").ok());  // unset
  EXPECT_TRUE(caps.empty());
}

TEST(VersionCapsTest, FlagListForm) {
  VersionCaps caps;
  ASSERT_TRUE(caps.SetFromList("compute=5.0,conductor=6.1").ok());
  EXPECT_EQ(caps.Describe(), "compute=5.0,conductor=6.1");
  EXPECT_EQ(caps.SetFromList("compute=5.0,scheduler=zed").message(),
            "scheduler: 'zed' is a release alias or not a version; give the "
            "version number it stands for, e.g. 6.0 (aliases live in each "
            "service's Python code)");
  EXPECT_THAT(caps.SetFromList("compute").message(),
              HasSubstr("'compute' is not <topic>=<version>"));
}

}  // namespace
}  // namespace amqp::rpc
