#include "bridge/transport/transport_url.h"

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
           // Unescaped ',', '/' or '?' in a password split it: its start
           // reads as a host's port, its end as another host, the vhost or
           // the query. None of it may show.
           Case{"rabbit://u:sec,ret@h/", "bad port for host 'u'"},
           Case{"rabbit://u:sec/ret@h/", "an '@' after its host list"},
           Case{"rabbit://u:sec?ret@h/", "an '@' after its host list"},
           Case{"rabbit://u:1234/secret@h/", "percent-encode"},
           Case{"rabbit://u:p@h1,u:secret/x@h2/", "an '@' after its host"},
           Case{"rabbit://[secret,x@h/", "unterminated IPv6 host '[...'"},
       }) {
    absl::StatusOr<TransportUrl> url = ParseTransportUrl(c.url);
    ASSERT_FALSE(url.ok()) << c.url;
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(url.status().message(), HasSubstr(c.message)) << c.url;
    EXPECT_THAT(url.status().message(), ::testing::Not(HasSubstr("secret")));
    EXPECT_THAT(url.status().message(), ::testing::Not(HasSubstr("sec'")));
    EXPECT_THAT(url.status().message(), ::testing::Not(HasSubstr("1234")));
  }
}

TEST(TransportUrlTest, SplitPasswordsStillParseWhenEscaped) {
  absl::StatusOr<TransportUrl> url =
      ParseTransportUrl("rabbit://u:sec%2Cr%2Fe%3Ft%40@h/v%40x");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->hosts[0].password, "sec,r/e?t@");
  EXPECT_EQ(url->vhost, "v@x");
  // Without credentials anywhere, a bad port is shown: it is no secret.
  EXPECT_THAT(ParseTransportUrl("rabbit://h:notaport/").status().message(),
              HasSubstr("bad port 'notaport'"));
}

TEST(TransportUrlTest, FlagTypePrintsPasswordsRedacted) {
  TransportUrlFlag flag;
  std::string error;
  ASSERT_TRUE(
      AbslParseFlag("rabbit://u:secret@h:1,v:secret2@g/x", &flag, &error));
  EXPECT_EQ(flag.text, "rabbit://u:secret@h:1,v:secret2@g/x");
  EXPECT_EQ(AbslUnparseFlag(flag), "rabbit://u:***@h:1,v:***@g:5672/x");
  ASSERT_TRUE(AbslParseFlag("rabbit://u:sec,ret@h/", &flag, &error));
  EXPECT_THAT(AbslUnparseFlag(flag), ::testing::Not(HasSubstr("sec")));
  ASSERT_TRUE(AbslParseFlag("rabbit://", &flag, &error));
  EXPECT_EQ(AbslUnparseFlag(flag), "rabbit://");
}

}  // namespace
}  // namespace amqp::transport
