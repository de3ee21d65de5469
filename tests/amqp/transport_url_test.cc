#include "bridge/amqp/transport_url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace amqp::transport {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// The expectations are what oslo.messaging 14.0.3 made of the same URLs
// (tests/oslo/testdata/vectors/misc_checks.json, "transport_url_parsing").

TEST(TransportUrlTest, BareSchemeIsGuestOnLocalhost) {
  absl::StatusOr<TransportUrl> url = ParseTransportUrl("rabbit://");
  ASSERT_TRUE(url.ok()) << url.status();
  ASSERT_EQ(url->hosts.size(), 1u);
  EXPECT_EQ(url->hosts[0].host, "localhost");
  EXPECT_EQ(url->hosts[0].port, 5672);
  EXPECT_EQ(url->hosts[0].user, "guest");
  EXPECT_EQ(url->hosts[0].password, "guest");
  EXPECT_EQ(url->vhost, "/");
}

TEST(TransportUrlTest, EmptyAndSlashVhostsAreRoot) {
  for (const char* text : {"rabbit://guest:guest@127.0.0.1:5672/",
                           "rabbit://guest:guest@127.0.0.1:5672//"}) {
    absl::StatusOr<TransportUrl> url = ParseTransportUrl(text);
    ASSERT_TRUE(url.ok()) << url.status();
    EXPECT_EQ(url->vhost, "/") << text;
    EXPECT_EQ(url->hosts[0].host, "127.0.0.1");
  }
}

TEST(TransportUrlTest, SeveralHostsEscapesIpv6AndQuery) {
  absl::StatusOr<TransportUrl> url = ParseTransportUrl(
      "rabbit://u:p%40ss@h1:5673,u2:p2@[::1]:5674/nova"
      "?heartbeat_timeout_threshold=30&ssl=true");
  ASSERT_TRUE(url.ok()) << url.status();
  ASSERT_EQ(url->hosts.size(), 2u);
  EXPECT_EQ(url->hosts[0].host, "h1");
  EXPECT_EQ(url->hosts[0].port, 5673);
  EXPECT_EQ(url->hosts[0].user, "u");
  EXPECT_EQ(url->hosts[0].password, "p@ss");
  EXPECT_EQ(url->hosts[1].host, "::1");
  EXPECT_EQ(url->hosts[1].port, 5674);
  EXPECT_EQ(url->hosts[1].user, "u2");
  EXPECT_EQ(url->vhost, "nova");
  EXPECT_THAT(url->query, ElementsAre(Pair("heartbeat_timeout_threshold", "30"),
                                      Pair("ssl", "true")));
}

TEST(TransportUrlTest, EscapedVhostAndDefaultPort) {
  absl::StatusOr<TransportUrl> url =
      ParseTransportUrl("rabbit://u:p@h1/%2Fnova");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->vhost, "/nova");
  EXPECT_EQ(url->hosts[0].port, 5672);
}

TEST(TransportUrlTest, RepeatedQueryKeysAreJoined) {
  absl::StatusOr<TransportUrl> url =
      ParseTransportUrl("rabbit://h/?a=1&a=2&b=x+y");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_THAT(url->query, ElementsAre(Pair("a", "1,2"), Pair("b", "x y")));
}

TEST(TransportUrlTest, AmqpsTurnsOnSsl) {
  absl::StatusOr<TransportUrl> url = ParseTransportUrl("amqps://u:p@h:5671/");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_THAT(url->query, ElementsAre(Pair("ssl", "true")));
}

TEST(TransportUrlTest, RedactedHidesPasswords) {
  absl::StatusOr<TransportUrl> url =
      ParseTransportUrl("rabbit://u:secret@h1:5673,u2:secret2@[::1]/v%2Fx");
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string redacted = url->Redacted();
  EXPECT_EQ(redacted, "rabbit://u:***@h1:5673,u2:***@[::1]:5672/v%2Fx");
}

TEST(TransportUrlTest, RejectsBadUrlsWithoutLeakingPasswords) {
  struct Case {
    const char* url;
    const char* message;
  };
  for (const Case& c : {
           Case{"localhost:5672", "rabbit://"},
           Case{"http://h/", "scheme 'http'"},
           Case{"rabbit://u:secret@h:notaport/", "bad port 'notaport'"},
           Case{"rabbit://u:secret@h:70000/", "bad port '70000'"},
           Case{"rabbit://u:secret@[::1/", "unterminated IPv6"},
           Case{"rabbit://u:sec%zzret@h/", "bad %-escape in the password"},
       }) {
    absl::StatusOr<TransportUrl> url = ParseTransportUrl(c.url);
    ASSERT_FALSE(url.ok()) << c.url;
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(url.status().message(), HasSubstr(c.message)) << c.url;
    EXPECT_THAT(url.status().message(), ::testing::Not(HasSubstr("secret")));
  }
}

}  // namespace
}  // namespace amqp::transport
