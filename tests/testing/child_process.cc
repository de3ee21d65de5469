#include "tests/testing/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace amqp::testing {
namespace {

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

}  // namespace

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return path;
  return absl::StrCat(srcdir, "/", workspace, "/", path);
}

ChildProcess::ChildProcess(std::vector<std::string> argv) {
  static int counter = 0;
  log_path_ =
      absl::StrCat(TempDir(), "/child-", getpid(), "-", ++counter, ".log");
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() { Stop(); }

std::string ChildProcess::Output() const {
  std::ifstream file(log_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

absl::Status ChildProcess::WaitForOutput(const std::string& text,
                                         absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (absl::StrContains(Output(), text)) return absl::OkStatus();
    if (waitpid(pid_, &status_, WNOHANG) == pid_) {
      stopped_ = true;
      return absl::FailedPreconditionError(absl::StrCat(
          "process exited before printing '", text, "'; output:\n", Output()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat("no '", text, "' within ",
                                                  absl::FormatDuration(timeout),
                                                  "; output:\n", Output()));
}

int ChildProcess::Stop() {
  if (stopped_ || pid_ <= 0) return status_;
  stopped_ = true;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (waitpid(pid_, &status_, WNOHANG) != pid_) {
    if (absl::Now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return status_;
}

}  // namespace amqp::testing
