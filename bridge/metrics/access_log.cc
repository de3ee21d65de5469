#include "bridge/metrics/access_log.h"

#include <fcntl.h>
#include <glog/logging.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace amqp::metrics {
namespace {

// How often the writer takes the queued lines.
constexpr absl::Duration kFlushInterval = absl::Milliseconds(50);

bool NeedsQuotes(absl::string_view value) {
  if (value.empty()) return true;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte == 0x7f || c == '"' || c == '\\' || c == '=') {
      return true;
    }
  }
  return false;
}

void AppendValue(std::string* line, absl::string_view key,
                 absl::string_view value) {
  absl::StrAppend(line, " ", key, "=");
  if (!NeedsQuotes(value)) {
    line->append(value.data(), value.size());
    return;
  }
  line->push_back('"');
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      line->push_back('\\');
      line->push_back(c);
    } else if (byte < ' ' || byte == 0x7f) {
      absl::StrAppendFormat(line, "\\x%02x", byte);
    } else {
      line->push_back(c);
    }
  }
  line->push_back('"');
}

// `value` in decimal, zero-padded to `width` digits.
void AppendPadded(std::string* out, int64_t value, int width) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 || n < width);
  while (n > 0) out->push_back(digits[--n]);
}

// RFC 3339 UTC with microseconds. absl::FormatTime costs about as much as
// the rest of the line: the date and time to the second are formatted once
// per second per thread.
void AppendTime(std::string* out, absl::Time time) {
  struct Cached {
    int64_t second = -1;
    std::string text;  // "2026-12-07T10:20:00"
  };
  thread_local Cached cached;
  const int64_t micros = absl::ToUnixMicros(time);
  int64_t second = micros / 1000000;
  int64_t fraction = micros % 1000000;
  if (fraction < 0) {
    fraction += 1000000;
    --second;
  }
  if (second != cached.second) {
    cached.second = second;
    cached.text =
        absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second),
                         absl::UTCTimeZone());
  }
  out->append(cached.text);
  out->push_back('.');
  AppendPadded(out, fraction, 6);
  out->push_back('Z');
}

}  // namespace

std::string FormatAccessLogLine(const AccessLogEntry& entry) {
  std::string line;
  line.reserve(160 + entry.method.size() + entry.request_id.size());
  AppendTime(&line, entry.time);
  AppendValue(&line, "method", entry.method);
  AppendValue(&line, "kind", entry.kind);
  AppendValue(&line, "exchange", entry.exchange);
  AppendValue(&line, "routing_key", entry.routing_key);
  AppendValue(&line, "code", entry.code);
  // Seconds with microseconds, from integers (durations are never < 0).
  const int64_t micros =
      std::max<int64_t>(0, absl::ToInt64Microseconds(entry.duration));
  std::string duration = absl::StrCat(micros / 1000000, ".");
  AppendPadded(&duration, micros % 1000000, 6);
  AppendValue(&line, "duration", duration);
  AppendValue(&line, "request_id", entry.request_id);
  AppendValue(&line, "peer", entry.peer);
  return line;
}

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(
    const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<AccessLog>(new AccessLog(STDOUT_FILENO, false));
  }
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot open the access log ", path, ": ", strerror(errno)));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(fd, true));
}

AccessLog::AccessLog(int fd, bool owns_fd)
    : fd_(fd), owns_fd_(owns_fd), writer_([this] { Loop(); }) {}

AccessLog::~AccessLog() {
  stop_.Notify();
  writer_.join();
  if (owns_fd_) close(fd_);
}

void AccessLog::Write(std::string line) {
  line.push_back('\n');
  absl::MutexLock lock(&mu_);
  if (pending_.size() >= kMaxPendingLines) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  pending_.push_back(std::move(line));
}

void AccessLog::Loop() {
  std::vector<std::string> lines;
  bool stopping = false;
  while (!stopping) {
    // The writer never waits on mu_: a waiter would send every Write()'s
    // unlock down absl::Mutex's slow path.
    stopping = stop_.WaitForNotificationWithTimeout(kFlushInterval);
    {
      absl::MutexLock lock(&mu_);
      lines.swap(pending_);
    }
    WriteAll(lines);
    lines.clear();
  }
}

void AccessLog::WriteAll(const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  std::string buffer;
  size_t size = 0;
  for (const std::string& line : lines) size += line.size();
  buffer.reserve(size);
  for (const std::string& line : lines) buffer += line;
  absl::string_view rest = buffer;
  while (!rest.empty()) {
    const ssize_t written = write(fd_, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      LOG_EVERY_N(WARNING, 100) << "access log: cannot write " << lines.size()
                                << " line(s): " << strerror(errno);
      return;
    }
    rest.remove_prefix(static_cast<size_t>(written));
  }
}

}  // namespace amqp::metrics
