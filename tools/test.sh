#!/usr/bin/env bash
# The whole test suite: setup, then
#   1. `bazel test //...` (unit, integration and interop tests);
#   2. the same under ASan + UBSan (--config=asan), all but the reliability
#      tests (tests/reliability: resource and timing bounds that sanitizers
#      inflate) and tests/docs (its nested Bazel builds without sanitizers);
#   3. each libFuzzer target for a few seconds (fuzz/run.sh), when clang is
#      installed;
# the log of every failing test, and one closing line "N passed, N failed"
# over all three. Exits non-zero on any failure. Extra arguments go to the
# first `bazel test` (e.g. tools/test.sh --config=tsan).
#
# Environment: TEST_ASAN=0 skips step 2, TEST_FUZZ_SECONDS=0 skips step 3
# (default 15 s per fuzz target).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

# Stop the Bazel server afterwards if this run is the one that started it.
output_base="${HOME}/.cache/bazel/_bazel_$(id -un)/$(echo -n "${PWD}" | md5sum | cut -d' ' -f1)"
server_pid_file="${output_base}/server/server.pid.txt"
server_was_running=0
[[ -f "${server_pid_file}" ]] && kill -0 "$(cat "${server_pid_file}")" 2>/dev/null && server_was_running=1

bazel_args=(--keep_going)
[[ -n "${CI:-}" ]] && bazel_args+=(--cache_test_results=no --color=no --curses=no)
tmp="$(mktemp -d /tmp/grpc-amqp-bridge-test.XXXXXX)"
tally="${tmp}/tally"
failed=0

# One `bazel test` run, summarised into the tally (its test logs are read
# before the next run replaces bazel-testlogs).
run_bazel_tests() {
  local label="$1"
  shift
  local start=${SECONDS}
  bazel test "${bazel_args[@]}" "$@" 2>&1 | tee "${tmp}/bazel.log"
  local bazel_rc=${PIPESTATUS[0]}
  python3 tools/test_summary.py "${tmp}/bazel.log" --tally "${tally}" --label "${label}" || failed=1
  ((bazel_rc == 0)) || failed=1
  echo "(${label}: $((SECONDS - start)) s)"
}

run_bazel_tests "bazel test //..." "$@" //...

if [[ "${TEST_ASAN:-1}" != 0 ]]; then
  run_bazel_tests "asan" --config=asan -- //... -//tests/reliability/... -//tests/docs/...
fi

if [[ "${TEST_FUZZ_SECONDS:-15}" != 0 ]] && command -v clang-14 >/dev/null; then
  start=${SECONDS}
  fuzz/run.sh -t "${TEST_FUZZ_SECONDS:-15}" -x "${tmp}/fuzz.xml" 2>&1 |
    grep -v -E '^(INFO|Loading|Analyzing|Target|  bazel-)|^\['
  python3 tools/test_summary.py --junit "${tmp}/fuzz.xml" --tally "${tally}" --label "fuzz" || failed=1
  echo "(fuzz: $((SECONDS - start)) s)"
fi

python3 tools/test_summary.py --total "${tally}" || failed=1
rm -rf "${tmp}"
((server_was_running)) || bazel shutdown >/dev/null 2>&1
exit "${failed}"
