// AppendPublishFrames against rabbitmq-c itself: the bytes amqp_basic_publish
// writes to a socket and the bytes AppendPublishFrames appends to a string
// are the same, for oslo's properties with and without a TTL, headers
// tables small and large, empty bodies and bodies split into frames; and a
// field that does not fit fails without touching what is already there.

#include "bridge/transport/publish_frames.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace amqp::transport {
namespace {

using ::testing::HasSubstr;

// rabbitmq-c's frame size before a login tunes it (the broker's is 131072).
constexpr uint32_t kFrameMax = 65536;

amqp_bytes_t Bytes(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

// One publish as both sides see it.
struct Message {
  amqp_channel_t channel = 1;
  std::string exchange = "openstack";
  std::string routing_key = "compute.host1";
  bool mandatory = true;
  std::string expiration;  // none when empty
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = R"({"oslo.version": "2.0", "oslo.message": "{}"})";
};

// What the bridge's Connection sets: oslo's properties.
struct Encoded {
  amqp_basic_publish_t method{};
  amqp_basic_properties_t properties{};
  std::vector<amqp_table_entry_t> entries;
};

Encoded Encode(const Message& m) {
  Encoded e;
  e.method.exchange = Bytes(m.exchange);
  e.method.routing_key = Bytes(m.routing_key);
  e.method.mandatory = m.mandatory;
  e.properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG |
                        AMQP_BASIC_CONTENT_ENCODING_FLAG |
                        AMQP_BASIC_DELIVERY_MODE_FLAG |
                        AMQP_BASIC_PRIORITY_FLAG | AMQP_BASIC_HEADERS_FLAG;
  e.properties.content_type = amqp_cstring_bytes("application/json");
  e.properties.content_encoding = amqp_cstring_bytes("utf-8");
  e.properties.delivery_mode = 2;
  for (const auto& [key, value] : m.headers) {
    amqp_table_entry_t entry;
    entry.key = Bytes(key);
    entry.value.kind = AMQP_FIELD_KIND_UTF8;
    entry.value.value.bytes = Bytes(value);
    e.entries.push_back(entry);
  }
  e.properties.headers = {static_cast<int>(e.entries.size()), e.entries.data()};
  if (!m.expiration.empty()) {
    e.properties._flags |= AMQP_BASIC_EXPIRATION_FLAG;
    e.properties.expiration = Bytes(m.expiration);
  }
  return e;
}

// The bytes rabbitmq-c's amqp_basic_publish writes for `m`.
std::string RabbitmqCBytes(const Message& m) {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::string written;
  std::thread reader([&written, fd = fds[1]] {
    char buffer[8192];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof(buffer))) > 0)
      written.append(buffer, n);
    close(fd);
  });
  amqp_connection_state_t state = amqp_new_connection();
  EXPECT_EQ(amqp_get_frame_max(state), static_cast<int>(kFrameMax));
  amqp_tcp_socket_set_sockfd(amqp_tcp_socket_new(state), fds[0]);
  Encoded e = Encode(m);
  EXPECT_EQ(
      amqp_basic_publish(state, m.channel, e.method.exchange,
                         e.method.routing_key, e.method.mandatory,
                         /*immediate=*/false, &e.properties, Bytes(m.body)),
      AMQP_STATUS_OK);
  amqp_destroy_connection(state);  // closes fds[0]: the reader sees EOF
  reader.join();
  return written;
}

std::string OurBytes(const Message& m) {
  Encoded e = Encode(m);
  std::string out;
  EXPECT_TRUE(AppendPublishFrames(m.channel, e.method, e.properties, m.body,
                                  kFrameMax, &out)
                  .ok());
  return out;
}

TEST(PublishFramesTest, OsloRequestIsWhatRabbitmqCWrites) {
  Message m;
  m.expiration = "60000";
  EXPECT_EQ(OurBytes(m), RabbitmqCBytes(m));
}

TEST(PublishFramesTest, ReplyWithoutTtlOnTheUnconfirmedChannel) {
  Message m;
  m.channel = 3;
  m.exchange = "";
  m.routing_key = "reply_0123456789abcdef0123456789abcdef";
  m.mandatory = false;
  EXPECT_EQ(OurBytes(m), RabbitmqCBytes(m));
}

TEST(PublishFramesTest, BodiesOfEverySizeSplitAsRabbitmqCSplitsThem) {
  const size_t per_frame = kFrameMax - 8;
  for (size_t size : {size_t{0}, size_t{1}, per_frame - 1, per_frame,
                      per_frame + 1, 3 * per_frame + 17}) {
    Message m;
    m.body = std::string(size, 'x');
    for (size_t i = 0; i < size; ++i) m.body[i] = static_cast<char>(i * 7);
    EXPECT_EQ(OurBytes(m), RabbitmqCBytes(m)) << size << " bytes";
  }
}

TEST(PublishFramesTest, HeadersTablesSmallAndLarge) {
  Message small;
  small.headers = {{"a", "b"}, {"trace", "1234"}};
  EXPECT_EQ(OurBytes(small), RabbitmqCBytes(small));
  // Larger than the room the encoder is first given.
  Message large;
  for (int i = 0; i < 40; ++i) {
    large.headers.emplace_back(absl::StrCat("key", i), std::string(200, 'v'));
  }
  EXPECT_EQ(OurBytes(large), RabbitmqCBytes(large));
}

TEST(PublishFramesTest, BurstsAppendBehindWhatIsThere) {
  Message a;
  Message b;
  b.routing_key = "compute";
  b.body = "second";
  std::string out = OurBytes(a);
  Encoded e = Encode(b);
  ASSERT_TRUE(AppendPublishFrames(b.channel, e.method, e.properties, b.body,
                                  kFrameMax, &out)
                  .ok());
  EXPECT_EQ(out, RabbitmqCBytes(a) + RabbitmqCBytes(b));
}

TEST(PublishFramesTest, AFieldThatDoesNotFitFailsAndKeepsTheBuffer) {
  Message m;
  m.routing_key = std::string(256, 'k');  // a short string holds 255
  Encoded e = Encode(m);
  std::string out = "earlier frames";
  absl::Status s = AppendPublishFrames(m.channel, e.method, e.properties,
                                       m.body, kFrameMax, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("basic.publish"));
  EXPECT_EQ(out, "earlier frames");

  Message ttl;
  ttl.expiration = std::string(300, '9');
  e = Encode(ttl);
  s = AppendPublishFrames(ttl.channel, e.method, e.properties, ttl.body,
                          kFrameMax, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "earlier frames");
}

}  // namespace
}  // namespace amqp::transport
