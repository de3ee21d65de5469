#include "bridge/gateway/call_metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bridge/oslo/json.h"

namespace amqp::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

// Client metadata as ServerContext::client_metadata() hands it over: views
// into strings that this object keeps alive.
class Metadata {
 public:
  Metadata(std::initializer_list<std::pair<std::string, std::string>> entries) {
    for (const auto& [key, value] : entries) Add(key, value);
  }
  void Add(std::string key, std::string value) {
    strings_.push_back(std::move(key));
    const std::string& k = strings_.back();
    strings_.push_back(std::move(value));
    const std::string& v = strings_.back();
    map_.emplace(grpc::string_ref(k), grpc::string_ref(v));
  }
  const ClientMetadata& map() const { return map_; }

 private:
  std::deque<std::string> strings_;  // stable addresses
  ClientMetadata map_;
};

CallMetadata Parse(const Metadata& metadata) {
  absl::StatusOr<CallMetadata> call = ParseCallMetadata(metadata.map());
  EXPECT_TRUE(call.ok()) << call.status();
  return call.ok() ? *std::move(call) : CallMetadata();
}

absl::Status Error(const Metadata& metadata) {
  absl::StatusOr<CallMetadata> call = ParseCallMetadata(metadata.map());
  EXPECT_FALSE(call.ok());
  EXPECT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument)
      << call.status();
  return call.status();
}

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

// The context as Python would print json.dumps() of it.
std::string ContextJson(const CallMetadata& call) {
  return oslo::ToPyJson(call.context);
}

constexpr char kUuidRequestId[] =
    "req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

TEST(CallMetadataTest, NoHeaders) {
  const CallMetadata call = Parse({});
  EXPECT_THAT(call.request_id, MatchesRegex(kUuidRequestId));
  EXPECT_EQ(ContextJson(call),
            absl::StrCat("{\"request_id\": \"", call.request_id, "\"}"));
  EXPECT_EQ(call.server, "");
  EXPECT_EQ(call.gather_window, std::nullopt);
  EXPECT_EQ(call.expect, std::nullopt);
}

TEST(CallMetadataTest, NewRequestIdsDiffer) {
  EXPECT_NE(Parse({}).request_id, Parse({}).request_id);
}

TEST(CallMetadataTest, OtherHeadersAreIgnored) {
  const CallMetadata call = Parse({{"user-agent", "grpc-python/1.51"},
                                   {"authorization", "Bearer x"},
                                   {"x-custom", "1"},
                                   {"grpc-accept-encoding", "gzip"}});
  EXPECT_EQ(call.context.MemberCount(), 1u);
}

TEST(CallMetadataTest, ContextJsonKeepsTypesAndOrder) {
  const CallMetadata call = Parse(
      {{"x-oslo-context",
        R"({"user_id": "u1", "is_admin": true, "roles": ["admin", "member"],)"
        R"( "quota": 3, "ratio": 0.5, "extra": {"a": null}})"}});
  EXPECT_EQ(ContextJson(call),
            absl::StrCat(R"({"user_id": "u1", "is_admin": true, )"
                         R"("roles": ["admin", "member"], "quota": 3, )"
                         R"("ratio": 0.5, "extra": {"a": null}, )"
                         R"("request_id": ")",
                         call.request_id, "\"}"));
}

TEST(CallMetadataTest, EmptyContextObject) {
  const CallMetadata call = Parse({{"x-oslo-context", "{}"}});
  EXPECT_EQ(call.context.MemberCount(), 1u);
  EXPECT_TRUE(call.context.HasMember("request_id"));
}

TEST(CallMetadataTest, DuplicateJsonKeysKeepTheLastValueLikePython) {
  const CallMetadata call = Parse(
      {{"x-oslo-context", R"({"a": 1, "b": 2, "a": 3, "request_id": "r"})"}});
  EXPECT_EQ(ContextJson(call), R"({"a": 3, "b": 2, "request_id": "r"})");
}

TEST(CallMetadataTest, ContextKeyHeadersAddStrings) {
  const CallMetadata call = Parse({{"x-oslo-context-project-id", "p1"},
                                   {"x-oslo-context-user_id", "u1"},
                                   {"x-oslo-context-is-admin", "true"},
                                   {"x-oslo-context-a-b-c", " spaced value "},
                                   {"x-request-id", "req-fixed"}});
  // Header order is the metadata's (gRPC sorts keys).
  EXPECT_EQ(
      ContextJson(call),
      R"({"a_b_c": " spaced value ", "is_admin": "true", )"
      R"("project_id": "p1", "user_id": "u1", "request_id": "req-fixed"})");
}

TEST(CallMetadataTest, ContextKeyHeadersWinOverTheJson) {
  const CallMetadata call =
      Parse({{"x-oslo-context", R"({"project_id": "json", "roles": ["r"]})"},
             {"x-oslo-context-project-id", "header"},
             {"x-oslo-context-roles", "flat"}});
  EXPECT_EQ(ContextJson(call),
            absl::StrCat(R"({"project_id": "header", "roles": "flat", )"
                         R"("request_id": ")",
                         call.request_id, "\"}"));
}

TEST(CallMetadataTest, RequestIdFromXRequestId) {
  const CallMetadata call = Parse({{"x-request-id", "req-abc"}});
  EXPECT_EQ(call.request_id, "req-abc");
  EXPECT_EQ(ContextJson(call), R"({"request_id": "req-abc"})");
}

TEST(CallMetadataTest, RequestIdInTheContextWinsOverXRequestId) {
  CallMetadata call = Parse({{"x-oslo-context", R"({"request_id": "ctx"})"},
                             {"x-request-id", "hdr"}});
  EXPECT_EQ(call.request_id, "ctx");
  EXPECT_EQ(ContextJson(call), R"({"request_id": "ctx"})");

  call = Parse({{"x-oslo-context", R"({"request_id": "ctx"})"},
                {"x-oslo-context-request-id", "key"},
                {"x-request-id", "hdr"}});
  EXPECT_EQ(call.request_id, "key");
  EXPECT_EQ(ContextJson(call), R"({"request_id": "key"})");
}

TEST(CallMetadataTest, NullOrEmptyRequestIdMeansNone) {
  // In place: the member keeps its position.
  CallMetadata call =
      Parse({{"x-oslo-context", R"({"request_id": null, "user_id": "u"})"},
             {"x-request-id", "hdr"}});
  EXPECT_EQ(call.request_id, "hdr");
  EXPECT_EQ(ContextJson(call), R"({"request_id": "hdr", "user_id": "u"})");

  call = Parse({{"x-oslo-context", R"({"request_id": ""})"}});
  EXPECT_THAT(call.request_id, MatchesRegex(kUuidRequestId));
  EXPECT_EQ(ContextJson(call),
            absl::StrCat("{\"request_id\": \"", call.request_id, "\"}"));

  call = Parse({{"x-request-id", ""}});
  EXPECT_THAT(call.request_id, MatchesRegex(kUuidRequestId));
}

TEST(CallMetadataTest, NonStringRequestIdIsRefused) {
  absl::Status s = Error({{"x-oslo-context", R"({"request_id": 42})"}});
  EXPECT_EQ(Message(s),
            "x-oslo-context: request_id must be a string, not a number");
}

TEST(CallMetadataTest, RequestIdMustFitAResponseHeader) {
  absl::Status s =
      Error({{"x-oslo-context", R"({"request_id": "line\nbreak"})"}});
  EXPECT_THAT(Message(s), StartsWith("x-oslo-context: request_id "));
  EXPECT_THAT(Message(s), HasSubstr("x-openstack-request-id"));

  s = Error({{"x-oslo-context", R"({"request_id": "caf\u00e9"})"}});
  EXPECT_THAT(Message(s), StartsWith("x-oslo-context: request_id "));

  s = Error({{"x-request-id", std::string(kMaxRequestIdBytes + 1, 'r')}});
  EXPECT_THAT(Message(s), StartsWith("x-request-id: request_id "));
  EXPECT_THAT(Message(s), HasSubstr("...'"));  // shortened

  s = Error({{"x-oslo-context-request-id",
              std::string(kMaxRequestIdBytes + 1, 'r')}});
  EXPECT_THAT(Message(s), StartsWith("x-oslo-context-request-id: "));

  EXPECT_EQ(Parse({{"x-request-id", std::string(kMaxRequestIdBytes, 'r')}})
                .request_id.size(),
            kMaxRequestIdBytes);
}

TEST(CallMetadataTest, BadContextJson) {
  absl::Status s = Error({{"x-oslo-context", R"({"user_id": )"}});
  EXPECT_THAT(Message(s), StartsWith("x-oslo-context: invalid JSON"));

  s = Error({{"x-oslo-context", ""}});
  EXPECT_THAT(Message(s), StartsWith("x-oslo-context: invalid JSON"));

  s = Error({{"x-oslo-context", "{'single': 'quotes'}"}});
  EXPECT_THAT(Message(s), StartsWith("x-oslo-context: invalid JSON"));

  s = Error({{"x-oslo-context", R"({"a": 1} trailing)"}});
  EXPECT_THAT(Message(s), StartsWith("x-oslo-context: invalid JSON"));
}

TEST(CallMetadataTest, ContextMustBeAnObject) {
  EXPECT_EQ(Message(Error({{"x-oslo-context", R"(["a", "b"])"}})),
            "x-oslo-context: must be a JSON object, not an array");
  EXPECT_EQ(Message(Error({{"x-oslo-context", R"("text")"}})),
            "x-oslo-context: must be a JSON object, not a string");
  EXPECT_EQ(Message(Error({{"x-oslo-context", "null"}})),
            "x-oslo-context: must be a JSON object, not null");
  EXPECT_EQ(Message(Error({{"x-oslo-context", "12"}})),
            "x-oslo-context: must be a JSON object, not a number");
}

TEST(CallMetadataTest, ErrorsNeverQuoteTheContext) {
  absl::Status s = Error(
      {{"x-oslo-context", R"({"auth_token": "gAAAAASecretToken" oops})"}});
  EXPECT_THAT(Message(s), Not(HasSubstr("SecretToken")));
}

TEST(CallMetadataTest, HugeContextIsRefused) {
  std::string big =
      absl::StrCat(R"({"pad": ")", std::string(kMaxContextBytes, 'x'), "\"}");
  EXPECT_THAT(Message(Error({{"x-oslo-context", big}})),
              StartsWith("x-oslo-context: is "));
  // Just under the limit is fine.
  std::string fits = absl::StrCat(
      R"({"pad": ")", std::string(kMaxContextBytes - 11, 'x'), "\"}");
  ASSERT_EQ(fits.size(), kMaxContextBytes);
  EXPECT_EQ(Parse({{"x-oslo-context", fits}}).context["pad"].GetStringLength(),
            kMaxContextBytes - 11);
}

TEST(CallMetadataTest, DeepNestingIsRefused) {
  auto nested = [](int depth) {
    // An object holding `depth` levels in total.
    std::string text = "{\"a\": ";
    for (int i = 1; i < depth; ++i) text += "[";
    text += "1";
    for (int i = 1; i < depth; ++i) text += "]";
    return text + "}";
  };
  EXPECT_TRUE(ParseCallMetadata(
                  Metadata{{"x-oslo-context", nested(kMaxContextDepth)}}.map())
                  .ok());
  absl::Status s = Error({{"x-oslo-context", nested(kMaxContextDepth + 1)}});
  EXPECT_THAT(Message(s), StartsWith("x-oslo-context: JSON nested deeper"));
  // Far deeper input fails the same way, without recursion.
  s = Error({{"x-oslo-context", nested(30000)}});
  EXPECT_THAT(Message(s), StartsWith("x-oslo-context: "));
}

TEST(CallMetadataTest, ContextKeyHeaderErrors) {
  EXPECT_EQ(Message(Error({{"x-oslo-context-", "v"}})),
            "x-oslo-context-: names no context key");
  EXPECT_EQ(Message(Error({{"x-oslo-context-user-id", "a"},
                           {"x-oslo-context-user_id", "b"}})),
            "x-oslo-context-user_id: sets context key 'user_id' like "
            "x-oslo-context-user-id does");
  Metadata twice{{"x-oslo-context-user-id", "a"}};
  twice.Add("x-oslo-context-user-id", "b");
  EXPECT_EQ(Message(Error(twice)),
            "x-oslo-context-user-id: given more than once");
}

TEST(CallMetadataTest, HeadersGivenTwiceAreRefused) {
  for (const char* header : {"x-oslo-context", "x-request-id", "x-amqp-server",
                             "x-amqp-gather-window-ms", "x-amqp-expect",
                             "x-amqp-call-monitor-ms", "x-amqp-publisher-id"}) {
    const std::string value =
        std::string(header) == "x-oslo-context" ? "{}" : "1";
    Metadata metadata{{header, value}};
    metadata.Add(header, value);
    EXPECT_EQ(Message(Error(metadata)),
              absl::StrCat(header, ": given more than once"));
  }
}

TEST(CallMetadataTest, BinaryHeadersAreIgnored) {
  const CallMetadata call = Parse({{"x-oslo-context-bin", "\x01\x02"},
                                   {"x-oslo-context-token-bin", "\xff"},
                                   {"x-amqp-trace-bin", "\x00"},
                                   {"x-request-id", "r"}});
  EXPECT_EQ(ContextJson(call), R"({"request_id": "r"})");
}

TEST(CallMetadataTest, UnknownAmqpHeadersAreRefused) {
  absl::Status s = Error({{"x-amqp-expects", "3"}});
  EXPECT_THAT(Message(s), StartsWith("x-amqp-expects: unknown header"));
  EXPECT_THAT(Message(s), HasSubstr("x-amqp-expect"));
}

TEST(CallMetadataTest, Server) {
  EXPECT_EQ(Parse({{"x-amqp-server", "compute-1.example.org"}}).server,
            "compute-1.example.org");
  EXPECT_EQ(Parse({{"x-amqp-server", std::string(kMaxServerBytes, 'h')}})
                .server.size(),
            kMaxServerBytes);
}

TEST(CallMetadataTest, BadServer) {
  for (const std::string& bad :
       {std::string(""), std::string("two words"), std::string(" lead"),
        std::string("tab\there"), std::string("nl\nx"), std::string("del\x7f"),
        std::string("h\xc3\xa9"), std::string(kMaxServerBytes + 1, 'h')}) {
    absl::Status s = Error({{"x-amqp-server", bad}});
    EXPECT_THAT(Message(s), StartsWith("x-amqp-server: '")) << bad;
    EXPECT_THAT(Message(s), HasSubstr("is not a server name")) << bad;
  }
}

TEST(CallMetadataTest, PublisherId) {
  EXPECT_EQ(Parse({}).publisher_id, "");
  EXPECT_EQ(Parse({{"x-amqp-publisher-id", "compute.host1"}}).publisher_id,
            "compute.host1");
  absl::Status s = Error({{"x-amqp-publisher-id", "two words"}});
  EXPECT_THAT(Message(s), StartsWith("x-amqp-publisher-id: 'two words' is not "
                                     "a publisher id"));
}

TEST(CallMetadataTest, GatherWindowAndExpect) {
  const CallMetadata call =
      Parse({{"x-amqp-gather-window-ms", "1500"}, {"x-amqp-expect", "3"}});
  EXPECT_EQ(call.gather_window, absl::Milliseconds(1500));
  EXPECT_EQ(call.expect, 3);

  EXPECT_EQ(Parse({{"x-amqp-gather-window-ms", "1"}}).gather_window,
            absl::Milliseconds(1));
  EXPECT_EQ(Parse({{"x-amqp-gather-window-ms", "3600000"}}).gather_window,
            absl::Hours(1));
  EXPECT_EQ(Parse({{"x-amqp-gather-window-ms", "007"}}).gather_window,
            absl::Milliseconds(7));
  EXPECT_EQ(Parse({{"x-amqp-expect", "1000000"}}).expect, 1000000);
}

TEST(CallMetadataTest, CallMonitor) {
  EXPECT_EQ(Parse({}).call_monitor, std::nullopt);
  EXPECT_EQ(Parse({{"x-amqp-call-monitor-ms", "2500"}}).call_monitor,
            absl::Milliseconds(2500));
  EXPECT_EQ(Parse({{"x-amqp-call-monitor-ms", "3600000"}}).call_monitor,
            absl::Hours(1));
  for (const char* bad : {"0", "-1", "2.5", "3600001", "soon"}) {
    EXPECT_THAT(Message(Error({{"x-amqp-call-monitor-ms", bad}})),
                StartsWith(absl::StrCat("x-amqp-call-monitor-ms: '", bad,
                                        "' is not a whole number from 1 to "
                                        "3600000")))
        << bad;
  }
}

TEST(CallMetadataTest, BadNumbers) {
  for (const char* bad :
       {"", "0", "00", "-1", "+5", " 5", "5 ", "1.5", "1e3", "0x10", "ten",
        "3600001", "9223372036854775807", "9223372036854775808",
        "99999999999999999999999999"}) {
    EXPECT_THAT(Message(Error({{"x-amqp-gather-window-ms", bad}})),
                StartsWith(absl::StrCat("x-amqp-gather-window-ms: '", bad,
                                        "' is not a whole number from 1 to "
                                        "3600000")))
        << bad;
  }
  for (const char* bad : {"", "0", "-3", "2.0", "1000001", "2147483648",
                          "18446744073709551617"}) {
    EXPECT_THAT(Message(Error({{"x-amqp-expect", bad}})),
                StartsWith(absl::StrCat("x-amqp-expect: '", bad,
                                        "' is not a whole number from 1 to "
                                        "1000000")))
        << bad;
  }
}

TEST(CallMetadataTest, ResultIsMovable) {
  CallMetadata call =
      Parse({{"x-oslo-context", R"({"a": [1, 2]})"}, {"x-amqp-server", "h"}});
  std::optional<CallMetadata> holder;
  holder = std::move(call);
  EXPECT_EQ(ContextJson(*holder),
            absl::StrCat(R"({"a": [1, 2], "request_id": ")", holder->request_id,
                         "\"}"));
  EXPECT_EQ(holder->server, "h");
}

}  // namespace
}  // namespace amqp::gateway
