// The access log (--access_log): one line per finished gRPC call, written by
// a thread of its own so that no call waits for the disk.
//
//   2026-12-07T10:20:00.123456Z method=/nova.Compute/GetInfo kind=call
//     exchange=nova routing_key=compute.host1 code=OK duration=0.001234
//     request_id=req-6f0c... peer=ipv4:127.0.0.1:40712        (one line)
//
// The calling thread formats its line and appends it to a queue under a
// mutex held for that append only; every 50 ms the writer takes the whole
// queue and writes it with one write() outside the lock. When the writer
// falls behind by kMaxPendingLines (a stalled disk), new lines are dropped
// and counted rather than held in memory or waited for.

#ifndef BRIDGE_METRICS_ACCESS_LOG_H_
#define BRIDGE_METRICS_ACCESS_LOG_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace amqp::metrics {

// What one line says about a call. No payload, no context, no credentials.
struct AccessLogEntry {
  absl::Time time;  // when the call ended
  absl::string_view method;
  absl::string_view kind;
  absl::string_view exchange;
  absl::string_view routing_key;
  absl::string_view code;  // the gRPC status code's name
  absl::Duration duration;
  absl::string_view request_id;
  absl::string_view peer;
};

// The entry as one line (no newline): an RFC 3339 UTC time, then key=value
// pairs in the order above; a value with a space, quote, backslash, '=' or
// a control character is double-quoted with those escaped, an empty one is
// "".
std::string FormatAccessLogLine(const AccessLogEntry& entry);

class AccessLog {
 public:
  static constexpr size_t kMaxPendingLines = 100000;

  // Appends to the file at `path` (created with mode 0640 if missing), or
  // writes to standard output for "-". FAILED_PRECONDITION naming the path
  // when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(
      const std::string& path);

  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;
  // Writes every line still queued, then stops the writer.
  ~AccessLog();

  // Queues `line` (a newline is added); never blocks on I/O.
  void Write(std::string line);
  // Lines dropped because kMaxPendingLines were waiting.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  AccessLog(int fd, bool owns_fd);
  void Loop();
  void WriteAll(const std::vector<std::string>& lines);

  const int fd_;
  const bool owns_fd_;
  std::atomic<uint64_t> dropped_{0};
  absl::Mutex mu_;
  std::vector<std::string> pending_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread writer_;
};

}  // namespace amqp::metrics

#endif  // BRIDGE_METRICS_ACCESS_LOG_H_
