#!/usr/bin/env bash
# The end-to-end demo: a gRPC client calls oslo.messaging services through
# grpc_amqp_bridge.
#
#   1. tools/setup.sh: the Debian packages and RabbitMQ on 127.0.0.1:5672;
#   2. builds (-c opt) the bridge and the C++ example compute server;
#   3. makes the descriptor set of the example API (proto/examples/compute.proto)
#      with protoc, on a topic of this run's own, so that queues left by other
#      runs or programs on the topic "compute" cannot take part;
#   4. starts two oslo.messaging servers of that API on the topic: host1, the
#      C++ example server (generated endpoint), and host2, the Python one
#      (python3-oslo.messaging), then the bridge;
#   5. runs examples/python/demo_client.py: a scripted gRPC session (calls,
#      casts, a fanout, an error, a GATHER stream, the oslo context, a
#      SUBSCRIBE stream fed by a Python fanout cast) that prints each request
#      and answer and checks them;
#   5b. runs examples/python/watch_notifications.py: a gRPC stream of oslo
#      notifications (stream: NOTIFICATIONS, through a bridge of its own)
#      while an oslo_messaging.Notifier sends some;
#   6. the reverse direction (docs/reverse.md): a gRPC server of the same API
#      (examples/python/compute_grpc_backend.py) behind a bridge of its own with
#      --backend, called by a Python oslo.messaging client
#      (examples/python/reverse_demo_client.py) on a topic of its own;
#   7. stops everything it started, by PID (also on failure or Ctrl-C), and
#      deletes the run's queues.
# Exits 0 only when every step behaved as expected.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started_at=${SECONDS}

say() { echo "demo: $*"; }

tools/setup.sh

# Stop the Bazel server afterwards if this run is the one that started it.
output_base="${HOME}/.cache/bazel/_bazel_$(id -un)/$(echo -n "${PWD}" | md5sum | cut -d' ' -f1)"
bazel_was_running=0
[[ -f "${output_base}/server/server.pid.txt" ]] &&
  kill -0 "$(cat "${output_base}/server/server.pid.txt")" 2>/dev/null && bazel_was_running=1

work="$(mktemp -d /tmp/grpc-amqp-bridge-demo.XXXXXX)"
url="rabbit://guest:guest@127.0.0.1:5672/"
topic="demo_compute_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
pids=()
names=()
keep_work=0

stop_all() {  # SIGTERM to everything started here, bounded wait, then SIGKILL
  ((${#pids[@]})) || return 0
  local i pid alive
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do  # the bridge first
    kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  for _ in $(seq 150); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "${pid}" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[i]}" 2>/dev/null; then
      say "${names[i]} (pid ${pids[i]}) did not stop within 15 s: SIGKILL"
      kill -KILL "${pids[i]}" 2>/dev/null || true
    fi
    wait "${pids[i]}" 2>/dev/null || true
  done
  say "stopped ${names[*]} (pids ${pids[*]})"
  pids=()
}

delete_queues() {  # the topic queues of this run (oslo's outlive their servers)
  /usr/bin/python3 - "${topic}" <<'EOF' || say "could not delete the queues of ${topic}"
import sys
import amqp
conn = amqp.Connection("127.0.0.1:5672", userid="guest", password="guest", connect_timeout=5)
conn.connect()
channel = conn.channel()
for queue in (sys.argv[1], sys.argv[1] + ".host1", sys.argv[1] + ".host2",
              sys.argv[1] + "_grpc", sys.argv[1] + "_grpc.grpchost"):
    channel.queue_delete(queue)
conn.close()
EOF
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_all
  delete_queues
  if ((keep_work)); then
    say "logs kept in ${work}"
  else
    rm -rf "${work}"
  fi
  ((bazel_was_running)) || bazel shutdown >/dev/null 2>&1 || true
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() {  # start NAME LOG COMMAND...: runs COMMAND in the background
  local name=$1 log=$2
  shift 2
  "$@" >"${log}" 2>&1 &
  pids+=($!)
  names+=("${name}")
}

wait_for() {  # wait_for LOG TEXT: bounded wait for a line of a log
  for _ in $(seq 300); do
    grep -q "$2" "$1" && return 0
    sleep 0.1
  done
  say "gave up waiting for '$2' in $1:"
  cat "$1"
  keep_work=1
  exit 1
}

targets=(//bridge:grpc_amqp_bridge //examples/cpp:compute_server)
say "building ${targets[*]} (bazel build -c opt)"
# --symlink_prefix=/: no bazel-bin link is made, so the one of the user's
# default-configuration builds stays (README, "Building one target").
if ! bazel build --color=no --curses=no -c opt --symlink_prefix=/ "${targets[@]}" \
  >"${work}/build.log" 2>&1; then
  cat "${work}/build.log"
  say "the build failed"
  exit 1
fi
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"

say "descriptor set of proto/examples/compute.proto with topic \"compute\" -> \"${topic}\""
mkdir -p "${work}/examples"
sed "s/topic: \"compute\"/topic: \"${topic}\"/" proto/examples/compute.proto \
  >"${work}/examples/compute.proto"
grep -q "topic: \"${topic}\"" "${work}/examples/compute.proto" ||
  { say "proto/examples/compute.proto no longer sets topic: \"compute\""; exit 1; }
echo "  protoc --include_imports --descriptor_set_out=compute.pb -I. -Iproto -I/usr/include examples/compute.proto"
protoc --include_imports --descriptor_set_out="${work}/compute.pb" \
  -I"${work}" -Iproto -I/usr/include examples/compute.proto

say "starting host1 (C++, examples/cpp/compute_server) and host2 (Python oslo.messaging, examples/python/compute_server.py)"
start host1 "${work}/host1.log" "${bin}/examples/cpp/compute_server" \
  --transport_url="${url}" --topic="${topic}" --server=host1
start host2 "${work}/host2.log" /usr/bin/python3 examples/python/compute_server.py \
  --transport_url "${url}" --topic "${topic}" --server host2
wait_for "${work}/host1.log" "ready:"
wait_for "${work}/host2.log" "^ready"

say "starting the bridge"
echo "  grpc_amqp_bridge --descriptor_set=compute.pb --listen=127.0.0.1:0 --transport_url=${url}"
start bridge "${work}/bridge.log" "${bin}/bridge/grpc_amqp_bridge" \
  --descriptor_set="${work}/compute.pb" --listen=127.0.0.1:0 --transport_url="${url}"
wait_for "${work}/bridge.log" "^listening on"
grep -E "^(route|unsupported|listening) " "${work}/bridge.log" | sed 's/^/  /'
port="$(sed -n 's/^listening on [^ ]*:\([0-9]*\)$/\1/p' "${work}/bridge.log")"

say "pids: host1 ${pids[0]}, host2 ${pids[1]}, bridge ${pids[2]}; the gRPC session follows"
client_rc=0
/usr/bin/python3 examples/python/demo_client.py --target="127.0.0.1:${port}" \
  --descriptor_set="${work}/compute.pb" \
  --server_log=host1="${work}/host1.log" --server_log=host2="${work}/host2.log" \
  --topic="${topic}" --transport_url="${url}" ||
  client_rc=$?

say "watching oslo notifications: a NOTIFICATIONS stream fed by an oslo Notifier"
((client_rc != 0)) || /usr/bin/python3 examples/python/watch_notifications.py \
  --bridge="${bin}/bridge/grpc_amqp_bridge" --transport_url="${url}" --workdir="${work}" ||
  client_rc=$?

rtopic="${topic}_grpc"
say "the reverse direction: a Python oslo.messaging client calls a gRPC server through the bridge (topic ${rtopic})"
mkdir -p "${work}/reverse/examples"
sed "s/topic: \"compute\"/topic: \"${rtopic}\"/" proto/examples/compute.proto \
  >"${work}/reverse/examples/compute.proto"
protoc --include_imports --descriptor_set_out="${work}/reverse.pb" \
  -I"${work}/reverse" -Iproto -I/usr/include examples/compute.proto
start backend "${work}/backend.log" /usr/bin/python3 examples/python/compute_grpc_backend.py \
  --descriptor_set="${work}/reverse.pb" --listen=127.0.0.1:0
wait_for "${work}/backend.log" "^listening on"
backend_port="$(sed -n 's/^listening on [^ ]*:\([0-9]*\)$/\1/p' "${work}/backend.log")"
echo "  grpc_amqp_bridge --descriptor_set=reverse.pb --backend=examples.compute.Compute=127.0.0.1:${backend_port} --server_name=grpchost"
start reverse-bridge "${work}/reverse-bridge.log" "${bin}/bridge/grpc_amqp_bridge" \
  --descriptor_set="${work}/reverse.pb" --listen=127.0.0.1:0 --transport_url="${url}" \
  --backend=examples.compute.Compute="127.0.0.1:${backend_port}" --server_name=grpchost
wait_for "${work}/reverse-bridge.log" "^listening on"
grep -E "^(backend|reverse) " "${work}/reverse-bridge.log" | sed 's/^/  /'
/usr/bin/python3 examples/python/reverse_demo_client.py --transport_url="${url}" \
  --topic="${rtopic}" --server=grpchost --backend_log="${work}/backend.log" ||
  client_rc=$?

stop_all
say "the bridge said: $(grep -o 'stopped after.*' "${work}/bridge.log" || echo '(nothing)')"
if ((client_rc != 0)); then
  keep_work=1
  say "FAILED (see the logs below)"
  for log in bridge host1 host2 backend reverse-bridge; do
    echo "--- ${log}.log (last 20 lines)"
    tail -n 20 "${work}/${log}.log"
  done
  exit 1
fi
say "done in $((SECONDS - started_at)) s"
