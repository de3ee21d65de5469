#include "bridge/metrics/access_log.h"

#include <fcntl.h>
#include <glog/logging.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace amqp::metrics {
namespace {

// How often the writer looks for lines when fewer than kBatchLines wait.
constexpr absl::Duration kFlushInterval = absl::Milliseconds(100);
// This many waiting lines wake the writer at once.
constexpr size_t kBatchLines = 1024;

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

}  // namespace

std::string FormatAccessLogLine(const AccessLogEntry& entry) {
  std::string line =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", entry.time, absl::UTCTimeZone());
  AppendValue(&line, "method", entry.method);
  AppendValue(&line, "kind", entry.kind);
  AppendValue(&line, "exchange", entry.exchange);
  AppendValue(&line, "routing_key", entry.routing_key);
  AppendValue(&line, "code", entry.code);
  AppendValue(&line, "duration",
              absl::StrFormat("%.6f", absl::ToDoubleSeconds(entry.duration)));
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
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
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
    {
      absl::MutexLock lock(&mu_);
      // Evaluated by Write()'s unlock: it wakes the writer only for a full
      // batch, not once per line.
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || pending_.size() >= kBatchLines;
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), kFlushInterval);
      stopping = stopping_;
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
