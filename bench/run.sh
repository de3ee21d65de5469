#!/usr/bin/env bash
# The benchmarks in one command (bench/README.md): sets the machine up
# (tools/setup.sh starts RabbitMQ), builds every bench target optimised
# (-c opt), then runs bench/run.py, which prints the table and writes
# bench/results/latest.md and latest.json.
#
#   bench/run.sh            # the full run: 3 rounds, about 30 minutes
#   bench/run.sh --quick    # short runs, about 5 minutes, to try it out
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup.sh
bazel build --config=opt //bench
exec /usr/bin/python3 bench/run.py --bin_dir="$(bazel info --config=opt bazel-bin)" "$@"
