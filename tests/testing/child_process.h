// A child process for tests that need a real peer (a Python oslo.messaging
// server, a C++ example server): started with its output captured in a file,
// waited on for a "ready" line, and always stopped by its PID.

#ifndef TESTS_TESTING_CHILD_PROCESS_H_
#define TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace amqp::testing {

class ChildProcess {
 public:
  // Starts argv[0] with stdout and stderr going to a file under TEST_TMPDIR.
  explicit ChildProcess(std::vector<std::string> argv);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Stops it (SIGTERM, then SIGKILL after 10 s).
  ~ChildProcess();

  // OK once `text` appears in its output; an error with the output so far
  // if it exits or `timeout` passes first.
  absl::Status WaitForOutput(const std::string& text, absl::Duration timeout);
  std::string Output() const;
  pid_t pid() const { return pid_; }
  // Sends SIGTERM and waits; returns the exit status (as waitpid gives it).
  int Stop();

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  bool stopped_ = false;
  int status_ = 0;
};

// The path of a file of the test's runfiles, e.g. "examples/python/x.py".
std::string Runfile(const std::string& path);

}  // namespace amqp::testing

#endif  // TESTS_TESTING_CHILD_PROCESS_H_
