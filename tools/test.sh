#!/usr/bin/env bash
# The whole test suite: setup, then `bazel test //...` (unit, integration and
# interop tests), the log of every failing test, and a closing line
# "N passed, N failed". Exits non-zero on any failure. Extra arguments go to
# `bazel test` (e.g. tools/test.sh --config=asan).
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
bazel test "${bazel_args[@]}" "$@" //... 2>&1 | tee /tmp/grpc-amqp-bridge-test.$$.log
bazel_rc=${PIPESTATUS[0]}

python3 tools/test_summary.py /tmp/grpc-amqp-bridge-test.$$.log
summary_rc=$?
rm -f /tmp/grpc-amqp-bridge-test.$$.log
((server_was_running)) || bazel shutdown >/dev/null 2>&1
if ((bazel_rc != 0 || summary_rc != 0)); then
  exit 1
fi
