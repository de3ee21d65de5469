#include "bridge/config/bridge_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/config/test_files.h"

namespace amqp::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The one setting without a default.
const ConfigOverrides kMinimal = {{"descriptor_set", "api.pb"}};

BridgeConfig Load(const std::string& path, const ConfigOverrides& overrides) {
  absl::StatusOr<BridgeConfig> config = LoadBridgeConfig(path, overrides);
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *std::move(config) : BridgeConfig();
}

absl::Status LoadError(const std::string& path,
                       const ConfigOverrides& overrides) {
  absl::StatusOr<BridgeConfig> config = LoadBridgeConfig(path, overrides);
  EXPECT_FALSE(config.ok());
  return config.status();
}

// A file with [grpc_amqp_bridge] descriptor_set plus `text`.
std::string FileWith(absl::string_view name, absl::string_view text) {
  return WriteTestFile(
      name,
      absl::StrCat("[grpc_amqp_bridge]\ndescriptor_set = api.pb\n\n", text));
}

TEST(BridgeConfigTest, Defaults) {
  const BridgeConfig config = Load("", kMinimal);
  EXPECT_THAT(config.descriptor_sets, ElementsAre("api.pb"));
  EXPECT_EQ(config.listen, "127.0.0.1:50051");
  // "rabbit://", as oslo: guest:guest@localhost:5672, vhost "/".
  EXPECT_EQ(config.transport_url.scheme, "rabbit");
  ASSERT_EQ(config.transport_url.hosts.size(), 1u);
  EXPECT_EQ(config.transport_url.hosts[0].host, "localhost");
  EXPECT_EQ(config.transport_url.hosts[0].port, 5672);
  EXPECT_EQ(config.transport_url.hosts[0].user, "guest");
  EXPECT_EQ(config.transport_url.hosts[0].password, "guest");
  EXPECT_EQ(config.transport_url.vhost, "/");
  EXPECT_EQ(config.control_exchange, "openstack");
  EXPECT_EQ(config.rpc_response_timeout, absl::Seconds(60));
  EXPECT_EQ(config.gather_window, absl::Seconds(1));
  EXPECT_TRUE(config.fail_fast_no_consumer);
  EXPECT_EQ(config.error_map, "");
  EXPECT_FALSE(config.include_tracebacks);
  EXPECT_EQ(config.io_threads, 2);
  EXPECT_EQ(config.grpc_threads, 1);
  EXPECT_EQ(config.publisher_id, "grpc_amqp_bridge");
  EXPECT_EQ(config.notification_buffer, 1000);
  EXPECT_EQ(config.config_file, "");
  EXPECT_FALSE(config.rabbit.ssl);
  EXPECT_EQ(config.rabbit.heartbeat_timeout_threshold, 60);
}

TEST(BridgeConfigTest, ADescriptorSetIsRequired) {
  absl::Status s = LoadError("", {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("--descriptor_set"));
  EXPECT_THAT(s.message(), HasSubstr("[grpc_amqp_bridge] descriptor_set"));
}

TEST(BridgeConfigTest, FileValues) {
  const std::string path = WriteTestFile("full.conf", R"([DEFAULT]
transport_url = rabbit://nova:s3cret@rabbit1:5673,nova:s3cret@rabbit2/nova
control_exchange = nova
rpc_response_timeout = 30
debug = true

[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 20
amqp_durable_queues = yes
# oslo options that do not apply here are accepted
heartbeat_in_pthread = false

[grpc_amqp_bridge]
listen = 0.0.0.0:6000
descriptor_set = a.pb, b.pb
gather_window = 250ms
fail_fast_no_consumer = false
error_map = /etc/bridge/errors.json
include_tracebacks = on
io_threads = 8

[keystone_authtoken]
password = other-service-secret
)");
  const BridgeConfig config = Load(path, {});
  EXPECT_EQ(config.config_file, path);
  ASSERT_EQ(config.transport_url.hosts.size(), 2u);
  EXPECT_EQ(config.transport_url.hosts[0].host, "rabbit1");
  EXPECT_EQ(config.transport_url.hosts[0].port, 5673);
  EXPECT_EQ(config.transport_url.hosts[1].password, "s3cret");
  EXPECT_EQ(config.transport_url.vhost, "nova");
  EXPECT_EQ(config.control_exchange, "nova");
  EXPECT_EQ(config.rpc_response_timeout, absl::Seconds(30));
  EXPECT_EQ(config.rabbit.heartbeat_timeout_threshold, 20);
  EXPECT_TRUE(config.rabbit.amqp_durable_queues);
  EXPECT_EQ(config.listen, "0.0.0.0:6000");
  EXPECT_THAT(config.descriptor_sets, ElementsAre("a.pb", "b.pb"));
  EXPECT_EQ(config.gather_window, absl::Milliseconds(250));
  EXPECT_FALSE(config.fail_fast_no_consumer);
  EXPECT_EQ(config.error_map, "/etc/bridge/errors.json");
  EXPECT_TRUE(config.include_tracebacks);
  EXPECT_EQ(config.io_threads, 8);
}

TEST(BridgeConfigTest, FlagsWinOverTheFile) {
  const std::string path = WriteTestFile("flags.conf", R"([DEFAULT]
transport_url = rabbit://file:pw@filehost/
control_exchange = nova
rpc_response_timeout = 30

[grpc_amqp_bridge]
listen = 0.0.0.0:6000
descriptor_set = a.pb
    b.pb
gather_window = 2
fail_fast_no_consumer = false
io_threads = 8
)");
  const BridgeConfig config =
      Load(path, {{"transport_url", "rabbit://flag:pw@flaghost:5999/"},
                  {"control_exchange", "cinder"},
                  {"rpc_response_timeout", "5"},
                  {"listen", "[::]:7000"},
                  {"descriptor_set", "c.pb,d.pb"},
                  {"gather_window", "1.5s"},
                  {"fail_fast_no_consumer", "true"},
                  {"include_tracebacks", "1"},
                  {"error_map", "map.json"},
                  {"io_threads", "3"}});
  EXPECT_EQ(config.transport_url.hosts[0].host, "flaghost");
  EXPECT_EQ(config.transport_url.hosts[0].port, 5999);
  EXPECT_EQ(config.control_exchange, "cinder");
  EXPECT_EQ(config.rpc_response_timeout, absl::Seconds(5));
  EXPECT_EQ(config.listen, "[::]:7000");
  // The flag replaces the file's list.
  EXPECT_THAT(config.descriptor_sets, ElementsAre("c.pb", "d.pb"));
  EXPECT_EQ(config.gather_window, absl::Milliseconds(1500));
  EXPECT_TRUE(config.fail_fast_no_consumer);
  EXPECT_TRUE(config.include_tracebacks);
  EXPECT_EQ(config.error_map, "map.json");
  EXPECT_EQ(config.io_threads, 3);
}

TEST(BridgeConfigTest, UnsetFlagsKeepFileValues) {
  const std::string path =
      FileWith("partial.conf", "[DEFAULT]\ncontrol_exchange = nova\n");
  const BridgeConfig config = Load(path, {{"listen", "127.0.0.1:1"}});
  EXPECT_EQ(config.control_exchange, "nova");
  EXPECT_EQ(config.listen, "127.0.0.1:1");
  EXPECT_THAT(config.descriptor_sets, ElementsAre("api.pb"));
}

TEST(BridgeConfigTest, DescriptorSetsAddUpInTheFile) {
  const std::string path = WriteTestFile("sets.conf", R"([grpc_amqp_bridge]
descriptor_set = a.pb,b.pb
descriptor_set = c.pb
descriptor_set = d.pb
    e.pb ,
)");
  EXPECT_THAT(Load(path, {}).descriptor_sets,
              ElementsAre("a.pb", "b.pb", "c.pb", "d.pb", "e.pb"));
}

TEST(BridgeConfigTest, LastValueWinsForOtherKeys) {
  const std::string path = FileWith(
      "last.conf", "[DEFAULT]\ncontrol_exchange = a\ncontrol_exchange = b\n");
  EXPECT_EQ(Load(path, {}).control_exchange, "b");
}

TEST(BridgeConfigTest, SectionNamesAreCaseInsensitive) {
  const std::string path =
      WriteTestFile("case.conf",
                    "[GRPC_AMQP_BRIDGE]\ndescriptor_set = x.pb\n"
                    "[Oslo_Messaging_Rabbit]\nssl = true\n");
  const BridgeConfig config = Load(path, {});
  EXPECT_THAT(config.descriptor_sets, ElementsAre("x.pb"));
  EXPECT_TRUE(config.rabbit.ssl);
}

TEST(BridgeConfigTest, UrlQueryWinsOverTheRabbitSection) {
  const std::string path = FileWith("query.conf", R"([DEFAULT]
transport_url = rabbit://h/?heartbeat_timeout_threshold=5
[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 20
rabbit_qos_prefetch_count = 7
)");
  const BridgeConfig config = Load(path, {});
  EXPECT_EQ(config.rabbit.heartbeat_timeout_threshold, 5);
  EXPECT_EQ(config.rabbit.rabbit_qos_prefetch_count, 7);
}

TEST(BridgeConfigTest, EmptyTransportUrlIsTheDefault) {
  const std::string path =
      FileWith("emptyurl.conf", "[DEFAULT]\ntransport_url =\n");
  const BridgeConfig config =
      Load(path, {{"transport_url", ""}, {"descriptor_set", "a.pb"}});
  EXPECT_EQ(config.transport_url.hosts[0].host, "localhost");
  EXPECT_EQ(config.transport_url.hosts[0].user, "guest");
  EXPECT_EQ(Load(path, {}).transport_url.hosts[0].host, "localhost");
}

TEST(BridgeConfigTest, AmqpsTurnsOnSsl) {
  EXPECT_TRUE(Load("", {{"descriptor_set", "a.pb"},
                        {"transport_url", "amqps://u:p@h/"}})
                  .rabbit.ssl);
}

TEST(BridgeConfigTest, RabbitOptionsAreValidatedTogether) {
  const std::string path = FileWith("quorum.conf", R"([DEFAULT]
transport_url = rabbit://h/?rabbit_ha_queues=true
[oslo_messaging_rabbit]
rabbit_quorum_queue = true
)");
  absl::Status s = LoadError(path, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("rabbit_quorum_queue"));
  EXPECT_THAT(s.message(), HasSubstr("rabbit_ha_queues"));
}

TEST(BridgeConfigTest, UnknownKeysInDefaultAndOtherSectionsAreIgnored) {
  const std::string path = FileWith("others.conf", R"([DEFAULT]
debug = true
log_dir = /var/log/nova
listen = 1.2.3.4:5
[database]
connection = mysql://nova:pw@db/nova
[oslo_messaging_notifications]
driver = messagingv2
)");
  // `listen` is a bridge key: in [DEFAULT] it is someone else's.
  EXPECT_EQ(Load(path, {}).listen, "127.0.0.1:50051");
}

TEST(BridgeConfigTest, UnknownBridgeKeyIsAnError) {
  const std::string path = FileWith("unknown.conf", "gather_windw = 2\n");
  absl::Status s = LoadError(path, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            absl::StrCat(path,
                         ":4: [grpc_amqp_bridge] gather_windw: unknown key in "
                         "[grpc_amqp_bridge]"));
}

TEST(BridgeConfigTest, KeyInTheWrongSectionGetsAHint) {
  absl::Status s =
      LoadError(FileWith("wrong1.conf", "transport_url = rabbit://h/\n"), {});
  EXPECT_THAT(s.message(), HasSubstr("[grpc_amqp_bridge] transport_url"));
  EXPECT_THAT(s.message(), HasSubstr("(it belongs in [DEFAULT])"));

  s = LoadError(FileWith("wrong2.conf", "ssl = true\n"), {});
  EXPECT_THAT(s.message(),
              HasSubstr("(it belongs in [oslo_messaging_rabbit])"));

  s = LoadError(
      FileWith("wrong3.conf", "[oslo_messaging_rabbit]\nio_threads = 4\n"), {});
  EXPECT_THAT(s.message(), HasSubstr("[oslo_messaging_rabbit] io_threads"));
  EXPECT_THAT(s.message(), HasSubstr("(it belongs in [grpc_amqp_bridge])"));
}

TEST(BridgeConfigTest, UnknownRabbitOptionIsAnError) {
  const std::string path =
      FileWith("rabbit.conf", "[oslo_messaging_rabbit]\nrabit_ha_queues = 1\n");
  absl::Status s = LoadError(path, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith(absl::StrCat(path, ":5: ")));
  EXPECT_THAT(s.message(), HasSubstr("[oslo_messaging_rabbit]"));
  EXPECT_THAT(s.message(), HasSubstr("rabit_ha_queues"));
}

TEST(BridgeConfigTest, BadRabbitValueNamesTheKey) {
  const std::string path =
      FileWith("rabbitval.conf", "[oslo_messaging_rabbit]\nssl = maybe\n");
  absl::Status s = LoadError(path, {});
  EXPECT_THAT(std::string(s.message()), StartsWith(absl::StrCat(path, ":5: ")));
  EXPECT_THAT(s.message(), HasSubstr("ssl"));
  EXPECT_THAT(s.message(), HasSubstr("maybe"));
}

struct BadValue {
  const char* section;
  const char* key;
  const char* value;
  const char* expected;  // part of the message
};

class BadFileValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(BadFileValueTest, NamesFileLineSectionAndKey) {
  const BadValue& bad = GetParam();
  const std::string path = FileWith(
      absl::StrCat("bad-", bad.key, ".conf"),
      absl::StrCat("[", bad.section, "]\n", bad.key, " = ", bad.value, "\n"));
  absl::Status s = LoadError(path, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              StartsWith(absl::StrCat(path, ":5: [", bad.section, "] ", bad.key,
                                      ": ")));
  EXPECT_THAT(s.message(), HasSubstr(bad.expected));
}

INSTANTIATE_TEST_SUITE_P(
    All, BadFileValueTest,
    ::testing::Values(
        BadValue{"DEFAULT", "rpc_response_timeout", "soon", "not a duration"},
        BadValue{"DEFAULT", "rpc_response_timeout", "0", "out of range"},
        BadValue{"DEFAULT", "rpc_response_timeout", "-5s", "out of range"},
        BadValue{"DEFAULT", "rpc_response_timeout", "inf", "not a duration"},
        BadValue{"DEFAULT", "transport_url", "http://h/", "scheme"},
        BadValue{"DEFAULT", "transport_url", "rabbit://h:99999/", "bad port"},
        BadValue{"DEFAULT", "control_exchange", "two words", "whitespace"},
        BadValue{"DEFAULT", "control_exchange", "''", "must not be empty"},
        BadValue{"grpc_amqp_bridge", "gather_window", "2h", "at most 1h"},
        BadValue{"grpc_amqp_bridge", "gather_window", "0ms", "out of range"},
        BadValue{"grpc_amqp_bridge", "gather_window", "1..5", "not a duration"},
        BadValue{"grpc_amqp_bridge", "fail_fast_no_consumer", "maybe",
                 "not a boolean"},
        BadValue{"grpc_amqp_bridge", "include_tracebacks", "2",
                 "not a boolean"},
        BadValue{"grpc_amqp_bridge", "io_threads", "0", "from 1 to 64"},
        BadValue{"grpc_amqp_bridge", "io_threads", "65", "from 1 to 64"},
        BadValue{"grpc_amqp_bridge", "io_threads", "two", "from 1 to 64"},
        BadValue{"grpc_amqp_bridge", "io_threads", "99999999999",
                 "from 1 to 64"},
        BadValue{"grpc_amqp_bridge", "grpc_threads", "0", "from 1 to 64"},
        BadValue{"grpc_amqp_bridge", "grpc_threads", "65", "from 1 to 64"},
        BadValue{"grpc_amqp_bridge", "listen", "''", "must not be empty"},
        BadValue{"grpc_amqp_bridge", "listen", "$host:1", "$$"}),
    [](const ::testing::TestParamInfo<BadValue>& info) {
      return absl::StrCat(info.param.key, "_", info.index);
    });

TEST(BridgeConfigTest, BadTransportUrlNeverShowsThePassword) {
  const std::string path = FileWith(
      "badurl.conf",
      "[DEFAULT]\ntransport_url = rabbit://u:Hunter2Secret@h:notaport/\n");
  absl::Status s = LoadError(path, {});
  EXPECT_THAT(s.message(), HasSubstr("[DEFAULT] transport_url"));
  EXPECT_THAT(s.message(), Not(HasSubstr("Hunter2Secret")));

  s = LoadError("", {{"descriptor_set", "a.pb"},
                     {"transport_url", "rabbit://u:Hunter2Secret@h:x/"}});
  EXPECT_THAT(std::string(s.message()), StartsWith("--transport_url: "));
  EXPECT_THAT(s.message(), Not(HasSubstr("Hunter2Secret")));
}

TEST(BridgeConfigTest, GrpcTlsFilesFromFileAndFlags) {
  const std::string path = FileWith("tls.conf",
                                    "grpc_tls_cert = /etc/b/cert.pem\n"
                                    "grpc_tls_key = /etc/b/key.pem\n"
                                    "grpc_tls_client_ca = /etc/b/ca.pem\n");
  BridgeConfig config = Load(path, {});
  EXPECT_EQ(config.grpc_tls_cert, "/etc/b/cert.pem");
  EXPECT_EQ(config.grpc_tls_key, "/etc/b/key.pem");
  EXPECT_EQ(config.grpc_tls_client_ca, "/etc/b/ca.pem");
  EXPECT_THAT(DescribeConfig(config),
              HasSubstr("grpc_tls=cert /etc/b/cert.pem, client certificates "
                        "verified against /etc/b/ca.pem"));
  config = Load(path, {{"grpc_tls_cert", "c2.pem"}});
  EXPECT_EQ(config.grpc_tls_cert, "c2.pem");
  EXPECT_THAT(DescribeConfig(Load("", kMinimal)), HasSubstr("grpc_tls=off"));
}

TEST(BridgeConfigTest, GrpcTlsSettingsGoTogether) {
  absl::Status s = LoadError(
      "", {{"descriptor_set", "a.pb"}, {"grpc_tls_cert", "cert.pem"}});
  EXPECT_THAT(s.message(), HasSubstr("grpc_tls_cert and grpc_tls_key go "
                                     "together"));
  s = LoadError("", {{"descriptor_set", "a.pb"}, {"grpc_tls_key", "key.pem"}});
  EXPECT_THAT(s.message(), HasSubstr("go together"));
  s = LoadError("",
                {{"descriptor_set", "a.pb"}, {"grpc_tls_client_ca", "ca.pem"}});
  EXPECT_THAT(s.message(), HasSubstr("grpc_tls_client_ca needs grpc_tls_cert"));
}

TEST(BridgeConfigTest, BadFlagValuesNameTheFlag) {
  absl::Status s = LoadError(
      "", {{"descriptor_set", "a.pb"}, {"rpc_response_timeout", "abc"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("--rpc_response_timeout: 'abc'"));

  s = LoadError("", {{"descriptor_set", "a.pb"}, {"io_threads", "-1"}});
  EXPECT_THAT(std::string(s.message()), StartsWith("--io_threads: "));
}

TEST(BridgeConfigTest, NotificationSettings) {
  const BridgeConfig config = Load("", {{"descriptor_set", "a.pb"},
                                        {"publisher_id", "api.host1"},
                                        {"notification_buffer", "50"}});
  EXPECT_EQ(config.publisher_id, "api.host1");
  EXPECT_EQ(config.notification_buffer, 50);
  EXPECT_THAT(DescribeConfig(config),
              HasSubstr("publisher_id=api.host1 notification_buffer=50"));

  absl::Status s =
      LoadError("", {{"descriptor_set", "a.pb"}, {"notification_buffer", "0"}});
  EXPECT_THAT(std::string(s.message()), StartsWith("--notification_buffer: "));
  s = LoadError("", {{"descriptor_set", "a.pb"}, {"publisher_id", "a b"}});
  EXPECT_THAT(std::string(s.message()), StartsWith("--publisher_id: "));
}

TEST(BridgeConfigTest, UnknownFlagIsAnError) {
  absl::Status s = LoadError("", {{"descriptor_set", "a.pb"}, {"ssl", "true"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "--ssl: not a bridge setting");
}

TEST(BridgeConfigTest, DurationForms) {
  for (const auto& [text, expected] :
       std::vector<std::pair<std::string, absl::Duration>>{
           {"60", absl::Seconds(60)},
           {"0.5", absl::Milliseconds(500)},
           {"500ms", absl::Milliseconds(500)},
           {"2m", absl::Minutes(2)},
           {"1h", absl::Hours(1)}}) {
    EXPECT_EQ(Load("", {{"descriptor_set", "a.pb"}, {"gather_window", text}})
                  .gather_window,
              expected)
        << text;
  }
  EXPECT_EQ(
      Load("", {{"descriptor_set", "a.pb"}, {"rpc_response_timeout", "86400"}})
          .rpc_response_timeout,
      absl::Hours(24));
}

TEST(BridgeConfigTest, OsloBooleans) {
  for (const char* yes : {"true", "True", "1", "on", "YES"}) {
    EXPECT_TRUE(
        Load("", {{"descriptor_set", "a.pb"}, {"include_tracebacks", yes}})
            .include_tracebacks)
        << yes;
  }
  for (const char* no : {"false", "FALSE", "0", "off", "No"}) {
    EXPECT_FALSE(
        Load("", {{"descriptor_set", "a.pb"}, {"fail_fast_no_consumer", no}})
            .fail_fast_no_consumer)
        << no;
  }
}

TEST(BridgeConfigTest, DoubledDollarIsALiteralDollarInTheFile) {
  const std::string path = FileWith(
      "dollar.conf", "[DEFAULT]\ntransport_url = rabbit://u:pa$$word@h/\n");
  EXPECT_EQ(Load(path, {}).transport_url.hosts[0].password, "pa$word");
}

TEST(BridgeConfigTest, QuotedValues) {
  const std::string path = FileWith(
      "quoted.conf", "[DEFAULT]\ntransport_url = \"rabbit://u:p@qhost/\"\n");
  EXPECT_EQ(Load(path, {}).transport_url.hosts[0].host, "qhost");
}

TEST(BridgeConfigTest, MissingFileNamesThePath) {
  const std::string path = WriteTestFile("m", "") + "-missing.conf";
  absl::Status s = LoadError(path, kMinimal);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr(path));
}

TEST(BridgeConfigTest, UnparsableFileNamesPathAndLine) {
  const std::string path = WriteTestFile(
      "syntax.conf", "[DEFAULT]\ncontrol_exchange = a\n[broken\n");
  absl::Status s = LoadError(path, kMinimal);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith(absl::StrCat(path, ":3: ")));
}

TEST(BridgeConfigTest, VersionCapsFromUpgradeLevelsAndFlags) {
  const std::string path = FileWith("caps.conf",
                                    "[upgrade_levels]\n"
                                    "compute = 5.0\n"
                                    "conductor = 6.1\n"
                                    "scheduler =\n");
  const BridgeConfig file = Load(path, {});
  EXPECT_EQ(file.version_caps.CapFor("compute"), "5.0");
  EXPECT_EQ(file.version_caps.CapFor("conductor"), "6.1");
  // Empty is oslo's "not set": no cap.
  EXPECT_EQ(file.version_caps.CapFor("scheduler"), std::nullopt);
  EXPECT_THAT(DescribeConfig(file),
              HasSubstr("version_caps=compute=5.0,conductor=6.1"));

  // A flag wins for its topic; the file's other caps stay.
  const BridgeConfig both =
      Load(path, {{"version_cap", "compute=6.0,baseapi=1.0"}});
  EXPECT_EQ(both.version_caps.CapFor("compute"), "6.0");
  EXPECT_EQ(both.version_caps.CapFor("conductor"), "6.1");
  EXPECT_EQ(both.version_caps.CapFor("baseapi"), "1.0");
  EXPECT_FALSE(both.version_caps.CanSendVersion("compute", "6.1"));
  EXPECT_THAT(DescribeConfig(Load("", kMinimal)),
              HasSubstr("version_caps=(none)"));
}

TEST(BridgeConfigTest, BackendsFromTheFileAndFlags) {
  EXPECT_TRUE(Load("", kMinimal).backends.empty());
  EXPECT_THAT(DescribeConfig(Load("", kMinimal)), HasSubstr("backends=(none)"));
  const std::string path = FileWith("backends.conf",
                                    "[backends]\n"
                                    "nova.Compute = 127.0.0.1:50061\n"
                                    "nova.Console = console:443\n"
                                    "[grpc_amqp_bridge]\n"
                                    "server_name = host1\n"
                                    "backend_tls_ca = /etc/ca.pem\n");
  const BridgeConfig file = Load(path, kMinimal);
  EXPECT_THAT(file.backends, ElementsAre("nova.Compute=127.0.0.1:50061",
                                         "nova.Console=console:443"));
  EXPECT_EQ(file.server_name, "host1");
  EXPECT_EQ(file.backend_tls_ca, "/etc/ca.pem");
  EXPECT_THAT(DescribeConfig(file),
              HasSubstr("backends=nova.Compute=127.0.0.1:50061,nova.Console="
                        "console:443 server_name=host1 backend_tls_ca="
                        "/etc/ca.pem"));
  // --backend flags (joined) replace the file's list.
  const BridgeConfig flags = Load(path, {{"descriptor_set", "api.pb"},
                                         {"backend", "a.S=h:1,b.T=h:2"},
                                         {"server_name", "host2"}});
  EXPECT_THAT(flags.backends, ElementsAre("a.S=h:1", "b.T=h:2"));
  EXPECT_EQ(flags.server_name, "host2");
}

TEST(BridgeConfigTest, ReleaseAliasesAreRefusedNamingTheKey) {
  const std::string path =
      FileWith("alias.conf", "[upgrade_levels]\ncompute = zed\n");
  const absl::Status file = LoadError(path, {});
  EXPECT_EQ(file.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(file.message()),
              StartsWith(absl::StrCat(path,
                                      ":5: [upgrade_levels] compute: "
                                      "'zed' is a release alias")));
  EXPECT_THAT(std::string(file.message()), HasSubstr("e.g. 6.0"));

  const absl::Status flag =
      LoadError("", {{"descriptor_set", "api.pb"},
                     {"version_cap", "conductor=6.0,compute=auto"}});
  EXPECT_THAT(std::string(flag.message()),
              StartsWith("--version_cap: compute: 'auto' is a release alias"));
  EXPECT_THAT(
      LoadError("", {{"descriptor_set", "api.pb"}, {"version_cap", "compute"}})
          .message(),
      HasSubstr("'compute' is not <topic>=<version>"));
  EXPECT_THAT(std::string(LoadError("", {{"descriptor_set", "api.pb"},
                                         {"version_cap", "compute=5"}})
                              .message()),
              HasSubstr("'5' is not a version"));
}

TEST(BridgeConfigTest, CallMonitorTimeout) {
  EXPECT_EQ(Load("", kMinimal).call_monitor_timeout, absl::ZeroDuration());
  EXPECT_THAT(DescribeConfig(Load("", kMinimal)),
              HasSubstr("call_monitor_timeout=off"));
  const BridgeConfig file =
      Load(FileWith("monitor.conf",
                    "[grpc_amqp_bridge]\ncall_monitor_timeout = 30\n"),
           {});
  EXPECT_EQ(file.call_monitor_timeout, absl::Seconds(30));
  const BridgeConfig flag = Load(
      "", {{"descriptor_set", "api.pb"}, {"call_monitor_timeout", "2.5s"}});
  EXPECT_EQ(flag.call_monitor_timeout, absl::Milliseconds(2500));
  EXPECT_THAT(std::string(LoadError("", {{"descriptor_set", "api.pb"},
                                         {"call_monitor_timeout", "2h"}})
                              .message()),
              StartsWith("--call_monitor_timeout: '2h' is out of range"));
}

TEST(BridgeConfigTest, DescribeConfigHidesPasswords) {
  const std::string path = WriteTestFile("describe.conf", R"([DEFAULT]
transport_url = rabbit://nova:Pa55-Very-Secret@r1:5672,nova:Pa55-Very-Secret@r2/nova?ssl=true
control_exchange = nova
[grpc_amqp_bridge]
descriptor_set = a.pb,b.pb
listen = 0.0.0.0:6000
)");
  const std::string line = DescribeConfig(Load(path, {}));
  EXPECT_THAT(line, Not(HasSubstr("Pa55-Very-Secret")));
  EXPECT_THAT(line, Not(HasSubstr("\n")));
  EXPECT_THAT(line, HasSubstr(absl::StrCat("config=", path)));
  EXPECT_THAT(line, HasSubstr("listen=0.0.0.0:6000"));
  EXPECT_THAT(line, HasSubstr("descriptor_sets=a.pb,b.pb"));
  EXPECT_THAT(line, HasSubstr("transport_url=rabbit://nova:***@r1:5672,"
                              "nova:***@r2:5672/nova?ssl=true"));
  EXPECT_THAT(line, HasSubstr("control_exchange=nova"));
  EXPECT_THAT(line, HasSubstr("rpc_response_timeout=60s"));
  EXPECT_THAT(line, HasSubstr("gather_window=1s"));
  EXPECT_THAT(line, HasSubstr("ssl=true"));
}

TEST(BridgeConfigTest, DescribeConfigHidesTheDefaultPassword) {
  const std::string line = DescribeConfig(Load("", kMinimal));
  EXPECT_THAT(line,
              HasSubstr("transport_url=rabbit://guest:***@localhost:5672/"));
  EXPECT_THAT(line, Not(HasSubstr("guest:guest")));
  EXPECT_THAT(line, HasSubstr("config=(none)"));
}

TEST(BridgeConfigTest, MetricsAndAccessLogAreOffByDefault) {
  const BridgeConfig config = Load("", kMinimal);
  EXPECT_EQ(config.metrics_listen, "");
  EXPECT_EQ(config.access_log, "");
  EXPECT_THAT(DescribeConfig(config), AllOf(HasSubstr(" metrics_listen=off"),
                                            HasSubstr(" access_log=off")));
}

TEST(BridgeConfigTest, MetricsSectionAndFlags) {
  const std::string path =
      FileWith("metrics.conf",
               "access_log = /var/log/bridge/access.log\n\n"
               "[metrics]\nlisten = 127.0.0.1:9464\n");
  const BridgeConfig from_file = Load(path, {});
  EXPECT_EQ(from_file.metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(from_file.access_log, "/var/log/bridge/access.log");
  const BridgeConfig flags =
      Load(path, {{"metrics_listen", "[::1]:0"}, {"access_log", "-"}});
  EXPECT_EQ(flags.metrics_listen, "[::1]:0");
  EXPECT_EQ(flags.access_log, "-");
}

TEST(BridgeConfigTest, UnknownMetricsKeyIsAnError) {
  const std::string path =
      FileWith("metrics_bad.conf", "[metrics]\nport = 9464\n");
  EXPECT_THAT(std::string(LoadError(path, {}).message()),
              HasSubstr("[metrics] port: unknown key in [metrics]"));
  EXPECT_THAT(std::string(LoadError("", {{"descriptor_set", "a.pb"},
                                         {"metrics_listen", "a b"}})
                              .message()),
              StartsWith("--metrics_listen: "));
}

}  // namespace
}  // namespace amqp::config
