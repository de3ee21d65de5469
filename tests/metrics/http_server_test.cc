#include "bridge/metrics/http_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bridge/metrics/registry.h"

namespace amqp::metrics {
namespace {

using ::testing::HasSubstr;

class MetricsServerTest : public ::testing::Test {
 protected:
  MetricsServerTest() {
    registry_.AddCounter("test_calls_total", "Calls.")->Add(7);
    absl::StatusOr<std::unique_ptr<MetricsServer>> server =
        MetricsServer::Start("127.0.0.1:0", &registry_);
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = *std::move(server);
  }

  httplib::Client Client() {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_connection_timeout(5);
    client.set_read_timeout(20);
    return client;
  }

  // A TCP connection to the server that sends nothing.
  int ConnectIdle() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server_->port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(
        connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    return fd;
  }

  Registry registry_;
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, GetMetricsAnswersTheTextFormat) {
  httplib::Result result = Client().Get("/metrics");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(result->body, registry_.Text());
  EXPECT_THAT(result->body, HasSubstr("test_calls_total 7\n"));
}

TEST_F(MetricsServerTest, HeadAnswersWithoutABody) {
  httplib::Result result = Client().Head("/metrics");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "");
}

TEST_F(MetricsServerTest, AnUnknownPathIsNotFound) {
  for (const char* path : {"/", "/metrics/", "/metricsx", "/debug"}) {
    httplib::Result result = Client().Get(path);
    ASSERT_TRUE(result) << path;
    EXPECT_EQ(result->status, 404) << path;
  }
}

TEST_F(MetricsServerTest, OtherMethodsAreNotAllowed) {
  httplib::Client client = Client();
  std::vector<httplib::Result> results;
  results.push_back(client.Post("/metrics", "x", "text/plain"));
  results.push_back(client.Put("/metrics", "x", "text/plain"));
  results.push_back(client.Delete("/metrics"));
  results.push_back(client.Options("/metrics"));
  results.push_back(client.Post("/elsewhere", "x", "text/plain"));
  for (const httplib::Result& result : results) {
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 405);
    EXPECT_EQ(result->get_header_value("Allow"), "GET, HEAD");
  }
}

TEST_F(MetricsServerTest, ASilentClientIsDisconnected) {
  // More silent clients than workers: each is closed after the idle
  // timeout, so a scrape behind them still gets its answer.
  std::vector<int> idle;
  for (int i = 0; i < MetricsServer::kWorkers + 1; ++i) {
    idle.push_back(ConnectIdle());
  }
  const absl::Time start = absl::Now();
  httplib::Result result = Client().Get("/metrics");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  const absl::Duration bound =
      2 * MetricsServer::kIdleTimeout + absl::Seconds(2);
  EXPECT_LT(absl::Now() - start, bound);
  for (const int fd : idle) {
    pollfd poll_fd{fd, POLLIN, 0};
    ASSERT_EQ(poll(&poll_fd, 1, absl::ToInt64Milliseconds(bound)), 1);
    char byte;
    EXPECT_EQ(recv(fd, &byte, 1, 0), 0);  // closed by the server
    close(fd);
  }
}

TEST(MetricsServerStartTest, BadAddressesAreErrors) {
  Registry registry;
  for (const char* listen :
       {"nohostport", ":9464", "127.0.0.1:99999", "127.0.0.1:x", "[::1:0"}) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> server =
        MetricsServer::Start(listen, &registry);
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument)
        << listen;
  }
}

TEST(MetricsServerStartTest, APortInUseIsUnavailable) {
  Registry registry;
  absl::StatusOr<std::unique_ptr<MetricsServer>> first =
      MetricsServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<MetricsServer>> second = MetricsServer::Start(
      absl::StrCat("127.0.0.1:", (*first)->port()), &registry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(MetricsServerStartTest, ServesOnIpv6Loopback) {
  Registry registry;
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("[::1]:0", &registry);
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback: " << server.status();
  httplib::Client client("::1", (*server)->port());
  httplib::Result result = client.Get("/metrics");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

}  // namespace
}  // namespace amqp::metrics
