// Helpers for the oslo codec tests: finding and loading the captured vectors
// (testdata/vectors, see its README.md) from the test's runfiles.

#ifndef TESTS_OSLO_TEST_UTIL_H_
#define TESTS_OSLO_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/notification.h"

namespace amqp::oslo::testing {

// Path of a file under tests/oslo/testdata in the runfiles.
std::string TestdataPath(absl::string_view relative);

// The whole file; fails the current test (and returns "") if unreadable.
std::string ReadFileOrDie(const std::string& path);

// Every vectors/*.json file name (sorted).
std::vector<std::string> VectorFiles();

// A parsed vector file.
JsonDocument LoadVector(absl::string_view file_name);

// The "body" of message `index` (in broker order) of a vector file.
std::string VectorBody(absl::string_view file_name, int index);

// json.dumps(json.loads(json)) as the codec does it; fails the current test
// if `json` does not parse.
std::string Reencode(absl::string_view json);

// `n` encoded again from its decoded fields: the same bytes as the body it
// came from, when the codec is right.
std::string ReencodeNotification(const Notification& n);

}  // namespace amqp::oslo::testing

#endif  // TESTS_OSLO_TEST_UTIL_H_
