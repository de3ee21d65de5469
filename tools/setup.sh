#!/usr/bin/env bash
# Brings this machine up to what the project needs, and does nothing else:
#   1. installs the Debian packages below when any is missing (apt-get update
#      only then);
#   2. starts RabbitMQ on 127.0.0.1:5672 when no broker answers there;
#   3. waits (bounded) until an AMQP login as guest succeeds.
# Idempotent; when everything is already there it costs well under a second.
set -euo pipefail

readonly PACKAGES=(
  # Build: Bazel 4.2.3 and the C++ libraries it links against.
  bazel-bootstrap bazel-rules-java build-essential pkg-config
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libprotoc-dev
  libgrpc++-dev librabbitmq-dev libabsl-dev libgtest-dev libgmock-dev
  libbenchmark-dev rapidjson-dev libgoogle-glog-dev libinih-dev libssl-dev
  # /metrics over HTTP (bridge/metrics); Prometheus + promtool for its tests.
  libcpp-httplib-dev prometheus
  # .proto files Bazel compiles from their Debian copies (see WORKSPACE):
  # grpc reflection + health, google.rpc Status + ErrorInfo.
  grpc-proto golang-github-gogo-googleapis-dev
  # Real peers for the tests and the demo.
  rabbitmq-server python3-oslo.messaging python3-grpcio python3-protobuf
  # nova's own code (objects, RPC client and server; the library only, no
  # services or database) for tools/objects_to_proto.py and the nova tests.
  python3-nova python3-oslo.versionedobjects
  # Benchmarks: h2load as an independent gRPC load generator.
  nghttp2-client
  # bench/run.py draws bench/results/latest.svg (throughput, latency CDF).
  python3-matplotlib
  # tools/dep_graph.sh: the package picture in docs/architecture.md.
  graphviz
  # Fuzzing (fuzz/, --config=fuzz): clang with libFuzzer and its sanitizer
  # runtimes; llvm-14 for llvm-ar and llvm-symbolizer.
  clang-14 libclang-rt-14-dev llvm-14
)
readonly AMQP_WAIT_SECONDS="${AMQP_WAIT_SECONDS:-60}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

say() { echo "setup: $*"; }

missing=()
installed="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)"
for p in "${PACKAGES[@]}"; do
  grep -q "^${p} ii" <<<"${installed}" || missing+=("${p}")
done
if ((${#missing[@]})); then
  [[ "$(id -u)" == 0 ]] || { say "missing packages (${missing[*]}) and not root: install them with sudo"; exit 1; }
  say "installing ${#missing[@]} Debian package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "all ${#PACKAGES[@]} Debian packages present"
fi

if "${here}/amqp_ping.py" --timeout 2 >/dev/null 2>&1; then
  say "RabbitMQ answers on 127.0.0.1:5672"
  exit 0
fi

if ! pgrep -u rabbitmq -f 'beam.*rabbit' >/dev/null 2>&1; then
  say "starting RabbitMQ on 127.0.0.1:5672"
  # Debian's wrapper drops to the rabbitmq user; bind AMQP and epmd to loopback.
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1 rabbitmq-server -detached
else
  say "RabbitMQ is starting; waiting for it"
fi
if ! "${here}/amqp_ping.py" --wait "${AMQP_WAIT_SECONDS}"; then
  say "RabbitMQ did not accept an AMQP login as guest within ${AMQP_WAIT_SECONDS}s;" \
      "see /var/log/rabbitmq/ (startup_err, rabbit@*.log)"
  exit 1
fi
say "RabbitMQ is up: AMQP login as guest succeeded"
