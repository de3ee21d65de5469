// NewTlsSocket refuses oslo ssl options it cannot honour before anything is
// sent, with an error naming the option; TlsHint explains TLS failures.
// No broker: these fail before a connection is attempted.

#include "bridge/transport/tls_socket.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace amqp::transport {
namespace {

using ::testing::HasSubstr;

// A rabbitmq-c connection state, destroyed with the sockets it owns.
struct State {
  State() : state(amqp_new_connection()) {}
  ~State() { amqp_destroy_connection(state); }
  amqp_connection_state_t state;
};

TEST(TlsSocketTest, DefaultsGiveASocket) {
  State state;
  RabbitOptions rabbit;
  rabbit.ssl = true;
  absl::StatusOr<amqp_socket_t*> socket = NewTlsSocket(state.state, rabbit);
  ASSERT_TRUE(socket.ok()) << socket.status();
  EXPECT_NE(*socket, nullptr);
}

TEST(TlsSocketTest, UnknownSslVersionIsInvalid) {
  State state;
  RabbitOptions rabbit;
  rabbit.ssl = true;
  rabbit.ssl_version = "SSLv3";
  absl::StatusOr<amqp_socket_t*> socket = NewTlsSocket(state.state, rabbit);
  EXPECT_EQ(socket.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(socket.status().message(),
              HasSubstr("ssl_version 'SSLv3' is not one of"));
}

TEST(TlsSocketTest, UnreadableFileNamesTheOption) {
  State state;
  RabbitOptions rabbit;
  rabbit.ssl = true;
  rabbit.ssl_version = "TLSv1_2";
  rabbit.ssl_cert_file = "/nonexistent/client.pem";
  absl::StatusOr<amqp_socket_t*> socket = NewTlsSocket(state.state, rabbit);
  EXPECT_EQ(socket.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(socket.status().message(),
              HasSubstr("cannot read ssl_cert_file /nonexistent/client.pem"));
}

TEST(TlsSocketTest, HintsNameTheLikelyCause) {
  BrokerHost host;
  host.host = "broker.example";
  host.port = 5671;
  RabbitOptions rabbit;
  rabbit.ssl_ca_file = "/etc/ca.pem";
  EXPECT_THAT(TlsHint(AMQP_STATUS_SSL_PEER_VERIFY_FAILED, host, rabbit),
              HasSubstr("does not verify against ssl_ca_file /etc/ca.pem"));
  EXPECT_THAT(TlsHint(AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED, host, rabbit),
              HasSubstr("does not name 'broker.example'"));
  EXPECT_THAT(TlsHint(AMQP_STATUS_SSL_CONNECTION_FAILED, host, rabbit),
              HasSubstr("is port 5671 the broker's TLS listener?"));
  EXPECT_EQ(TlsHint(AMQP_STATUS_SOCKET_ERROR, host, rabbit), "");
}

}  // namespace
}  // namespace amqp::transport
