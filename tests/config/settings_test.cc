// The settings table (bridge/config/settings.h) and the flags derived from
// it (setting_flags.h): defined here as in the bridge's main file, parsed
// from a command line of the test's own.
#include "bridge/config/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bridge/config/bridge_config.h"
#include "bridge/config/setting_flags.h"
#include "tests/config/test_files.h"

AMQP_BRIDGE_SETTINGS(AMQP_BRIDGE_SETTING_FLAG)

namespace amqp::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(SettingsTest, EveryFlagAndEveryIniKeyIsUnique) {
  std::set<absl::string_view> flags;
  std::set<std::pair<absl::string_view, absl::string_view>> keys;
  for (const Setting& setting : Settings()) {
    EXPECT_TRUE(flags.insert(setting.flag).second) << setting.flag;
    EXPECT_TRUE(keys.emplace(setting.section, setting.key).second)
        << "[" << setting.section << "] " << setting.key;
    EXPECT_FALSE(setting.help.empty()) << setting.flag;
    EXPECT_EQ(FindSettingByFlag(setting.flag), &setting);
  }
  EXPECT_EQ(FindSettingByFlag("config"), nullptr);
  EXPECT_EQ(FindSettingByKey("grpc_amqp_bridge", "no_such_key"), nullptr);
  EXPECT_EQ(FindSettingByKey("metrics", "listen")->flag, "metrics_listen");
  EXPECT_EQ(FindSettingByKey("upgrade_levels", "compute")->flag, "version_cap");
}

// The flag is the row: same name, default, help text.
TEST(SettingsTest, EveryFlagComesFromItsRow) {
  for (const Setting& setting : Settings()) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(setting.flag);
    ASSERT_NE(flag, nullptr) << setting.flag;
    EXPECT_EQ(flag->DefaultValue(), setting.default_value) << setting.flag;
    EXPECT_EQ(flag->Help(), setting.help) << setting.flag;
  }
}

TEST(SettingsTest, EveryDefaultIsAValidValue) {
  for (const Setting& setting : Settings()) {
    BridgeConfig config;
    EXPECT_TRUE(setting.value.set(setting.default_value, &config).ok() ||
                setting.default_value.empty())
        << setting.flag;
  }
}

TEST(SettingsTest, ASecretIsMasked) {
  const Setting secret{"token",          "grpc_amqp_bridge",
                       "token",          "",
                       Secrecy::kSecret, "a token",
                       "error_map",      FindSettingByFlag("error_map")->value};
  BridgeConfig config;
  ASSERT_TRUE(secret.value.set("tok-123", &config).ok());
  EXPECT_EQ(DescribeSetting(secret, config), "***");
  // The URL keeps all but its passwords.
  const Setting& url = *FindSettingByFlag("transport_url");
  EXPECT_EQ(url.secrecy, Secrecy::kSecret);
  ASSERT_TRUE(url.value.set("rabbit://nova:pw-123@r1:5672/nova", &config).ok());
  EXPECT_EQ(DescribeSetting(url, config), "rabbit://nova:***@r1:5672/nova");
  EXPECT_THAT(DescribeConfig(config), Not(HasSubstr("pw-123")));
}

TEST(SettingsTest, AnUnknownKeyInABridgeSectionIsRefusedNamingIt) {
  for (absl::string_view section : {"grpc_amqp_bridge", "metrics"}) {
    const std::string path =
        WriteTestFile(absl::StrCat("unknown_", section, ".conf"),
                      absl::StrCat("[", section, "]\nno_such_key = 1\n"));
    absl::StatusOr<BridgeConfig> config =
        LoadBridgeConfig(path, {{"descriptor_set", "a.pb"}});
    ASSERT_FALSE(config.ok()) << section;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(
        std::string(config.status().message()),
        HasSubstr(absl::StrCat("[", section, "] no_such_key: unknown key in [",
                               section, "]")));
  }
}

// One command line for the tests below: absl parses it once per process.
class GivenFlagsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<std::string> args = {
        "settings_test",
        // Its default, given: it still wins over the file.
        "--io_threads=2",
        "--descriptor_set=a.pb",
        "--descriptor_set=b.pb,c.pb",
        "--version_cap=compute=5.0",
        "--version_cap",
        "conductor=6.0",
        "--nofail_fast_no_consumer",
        "--transport_url=rabbit://nova:pw-123@r1:5672/nova",
    };
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    ParseCommandLine(static_cast<int>(argv.size()), argv.data());
    given_ = new ConfigOverrides(GivenFlags());
  }
  static ConfigOverrides* given_;
};
ConfigOverrides* GivenFlagsTest::given_ = nullptr;

TEST_F(GivenFlagsTest, OnlyTheFlagsGivenWithEveryOccurrence) {
  EXPECT_THAT(
      *given_,
      UnorderedElementsAre(
          Pair("io_threads", "2"), Pair("descriptor_set", "a.pb,b.pb,c.pb"),
          Pair("version_cap", "compute=5.0,conductor=6.0"),
          Pair("fail_fast_no_consumer", "false"),
          // The text itself, not --help's masked form.
          Pair("transport_url", "rabbit://nova:pw-123@r1:5672/nova")));
}

// --help's "currently:" shows the flag's unparsed value: never a password.
TEST_F(GivenFlagsTest, ASecretFlagShowsMasked) {
  const absl::CommandLineFlag* flag =
      absl::FindCommandLineFlag("transport_url");
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->CurrentValue(), "rabbit://nova:***@r1:5672/nova");
}

TEST_F(GivenFlagsTest, AFlagGivenOverridesTheFile) {
  const std::string path = WriteTestFile("given_flags.conf", R"([DEFAULT]
transport_url = rabbit://other:pw@r9:5672/
[grpc_amqp_bridge]
descriptor_set = file.pb
io_threads = 7
fail_fast_no_consumer = true
listen = 0.0.0.0:6000
[upgrade_levels]
compute = 4.0
scheduler = 3.0
)");
  absl::StatusOr<BridgeConfig> config = LoadBridgeConfig(path, *given_);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->io_threads, 2);
  EXPECT_THAT(config->descriptor_sets, ElementsAre("a.pb", "b.pb", "c.pb"));
  EXPECT_FALSE(config->fail_fast_no_consumer);
  EXPECT_EQ(config->transport_url.hosts[0].host, "r1");
  EXPECT_EQ(config->listen, "0.0.0.0:6000");  // no flag: the file's
  // A cap flag wins for its topic; the file's other topics stay.
  EXPECT_EQ(config->version_caps.CapFor("compute"), "5.0");
  EXPECT_EQ(config->version_caps.CapFor("conductor"), "6.0");
  EXPECT_EQ(config->version_caps.CapFor("scheduler"), "3.0");
}

}  // namespace
}  // namespace amqp::config
