#include "tests/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace amqp::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Forwarded bytes go out at once: Nagle's delay would slow every call.
void NoDelay(int fd) {
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

bool WriteAll(int fd, const char* data, ssize_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= n;
  }
  return true;
}

// One proxied connection: the client's socket and ours to the broker.
struct Link {
  int client;
  int upstream;
};

void Close(const Link& link) {
  close(link.client);
  close(link.upstream);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(strerror(errno));
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const absl::Status error =
        absl::InternalError(absl::StrCat("proxy listen: ", strerror(errno)));
    close(fd);
    return error;
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(fd);
    return absl::InternalError(strerror(errno));
  }
  return std::unique_ptr<TcpProxy>(
      new TcpProxy(fd, ntohs(address.sin_port), target_port, wake[0], wake[1]));
}

TcpProxy::TcpProxy(int listen_fd, int port, int target_port, int wake_read,
                   int wake_write)
    : listen_fd_(listen_fd),
      port_(port),
      target_port_(target_port),
      wake_read_(wake_read),
      wake_write_(wake_write),
      thread_([this] { Loop(); }) {}

TcpProxy::~TcpProxy() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  thread_.join();
  close(listen_fd_);
  close(wake_read_);
  close(wake_write_);
}

void TcpProxy::Wake() {
  const char byte = 0;
  (void)!write(wake_write_, &byte, 1);
}

void TcpProxy::CutAll() {
  absl::MutexLock lock(&mu_);
  const uint64_t cut = ++cuts_requested_;
  Wake();
  struct Cut {
    TcpProxy* proxy;
    uint64_t number;
  } wait{this, cut};
  mu_.Await(absl::Condition(
      +[](Cut* c) {
        c->proxy->mu_.AssertHeld();
        return c->proxy->cuts_done_ >= c->number;
      },
      &wait));
}

void TcpProxy::Loop() {
  std::vector<Link> links;
  std::vector<pollfd> fds;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
      if (cuts_done_ < cuts_requested_) {
        for (const Link& link : links) Close(link);
        links.clear();
        cuts_done_ = cuts_requested_;
      }
    }
    fds.clear();
    fds.push_back({wake_read_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const Link& link : links) {
      fds.push_back({link.client, POLLIN, 0});
      fds.push_back({link.upstream, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), /*timeout_ms=*/200) < 0) continue;
    if (fds[0].revents != 0) {
      char drain[64];
      while (read(wake_read_, drain, sizeof(drain)) > 0) {
      }
    }
    std::vector<Link> open;
    for (size_t i = 0; i < links.size(); ++i) {
      const Link& link = links[i];
      bool alive = true;
      for (const bool from_client : {true, false}) {
        if (!alive || fds[2 + 2 * i + (from_client ? 0 : 1)].revents == 0) {
          continue;
        }
        char buffer[65536];
        const int from = from_client ? link.client : link.upstream;
        const ssize_t n = read(from, buffer, sizeof(buffer));
        if (n <= 0) {
          alive = false;
        } else if (from_client && swallow_.load()) {
          swallowed_.fetch_add(n);
        } else {
          alive =
              WriteAll(from_client ? link.upstream : link.client, buffer, n);
        }
      }
      if (alive) {
        open.push_back(link);
      } else {
        Close(link);
      }
    }
    links = std::move(open);
    if (fds[1].revents != 0) {
      const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const sockaddr_in target = Loopback(target_port_);
      if (upstream < 0 ||
          connect(upstream, reinterpret_cast<const sockaddr*>(&target),
                  sizeof(target)) != 0) {
        close(client);
        if (upstream >= 0) close(upstream);
        continue;
      }
      NoDelay(client);
      NoDelay(upstream);
      links.push_back({client, upstream});
    }
  }
  for (const Link& link : links) Close(link);
}

}  // namespace amqp::testing
