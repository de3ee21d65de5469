// Fuzzes the failure decoder with the text of a reply's "failure" field, and
// checks the round trips through EncodeFailure and through an absl::Status
// payload (FailureToStatus / FailureFromStatus).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/failure.h"
#include "fuzz/fuzz_check.h"

namespace amqp::oslo {
namespace {

bool HasRemoteSuffix(const Failure& f) {
  return absl::EndsWith(f.class_name, "_Remote") &&
         absl::EndsWith(f.module, "_Remote");
}

void CheckSameFailure(const Failure& a, const Failure& b) {
  // Names lose one "_Remote" pair per encode/decode (as in oslo), so they
  // only compare equal once none is left.
  if (!HasRemoteSuffix(a)) {
    FUZZ_CHECK(a.class_name == b.class_name);
    FUZZ_CHECK(a.module == b.module);
  }
  FUZZ_CHECK(a.message == b.message);
  FUZZ_CHECK(a.traceback == b.traceback);
  FUZZ_CHECK(a.args_json == b.args_json);
  FUZZ_CHECK(a.kwargs_json == b.kwargs_json);
}

}  // namespace
}  // namespace amqp::oslo

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace amqp::oslo;  // NOLINT(build/namespaces)
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  // Whatever the text, a status made from it maps to some oslo failure.
  const absl::Status plain(absl::StatusCode::kNotFound, text);
  const Failure made_up = FailureFromStatusOrDefault(plain);
  FUZZ_CHECK(!made_up.class_name.empty());
  FUZZ_CHECK(DecodeFailure(EncodeFailure(made_up)).ok());
  StatusCodeForFailureClass(text);

  absl::StatusOr<Failure> failure = DecodeFailure(text);
  if (!failure.ok()) {
    FUZZ_CHECK(failure.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const std::string encoded = EncodeFailure(*failure);
  absl::StatusOr<Failure> again = DecodeFailure(encoded);
  FUZZ_CHECK(again.ok());
  CheckSameFailure(*failure, *again);

  const absl::Status status = FailureToStatus(*failure);
  FUZZ_CHECK(!status.ok());
  FUZZ_CHECK(status.code() == StatusCodeForFailureClass(failure->class_name));
  std::optional<Failure> carried = FailureFromStatus(status);
  FUZZ_CHECK(carried.has_value());
  CheckSameFailure(*failure, *carried);
  const Failure relayed = FailureFromStatusOrDefault(status);
  FUZZ_CHECK(relayed.message == failure->message);
  return 0;
}
