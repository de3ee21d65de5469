// A TCP proxy on 127.0.0.1 between a test's client and the real broker, to
// break the client's connections at a chosen moment while the broker itself
// stays up (the shared broker may never be stopped): CutAll() closes every
// connection through the proxy, as a network failure would, and SetSwallow()
// makes what the client writes vanish on the way, as if it had been written
// just before the connection died. New connections are forwarded again.
//
//   absl::StatusOr<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start(5672);
//   ... point the client at (*proxy)->port() ...
//   (*proxy)->CutAll();

#ifndef TESTS_TESTING_TCP_PROXY_H_
#define TESTS_TESTING_TCP_PROXY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace amqp::testing {

class TcpProxy {
 public:
  // Listens on a free port of 127.0.0.1 and forwards each connection to
  // 127.0.0.1:`target_port`.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;
  // Closes every connection and the listening socket.
  ~TcpProxy();

  int port() const { return port_; }
  // Closes both ends of every connection open now; returns once they are
  // closed.
  void CutAll();
  // While on, bytes from clients are read and dropped, not forwarded.
  void SetSwallow(bool swallow) { swallow_.store(swallow); }
  // Client bytes dropped so far.
  uint64_t swallowed_bytes() const { return swallowed_.load(); }

 private:
  TcpProxy(int listen_fd, int port, int target_port, int wake_read,
           int wake_write);
  void Loop();
  void Wake();

  const int listen_fd_;
  const int port_;
  const int target_port_;
  const int wake_read_;
  const int wake_write_;
  std::atomic<bool> swallow_{false};
  std::atomic<uint64_t> swallowed_{0};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t cuts_requested_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t cuts_done_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // last: started once the rest exists
};

}  // namespace amqp::testing

#endif  // TESTS_TESTING_TCP_PROXY_H_
