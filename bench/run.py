#!/usr/bin/python3
"""The benchmark driver behind bench/run.sh (see bench/README.md).

From one run on one broker it measures eight rows, each with a 64-byte and a
4 KiB request payload:

  floor          raw rabbitmq-c request/reply (bench/amqp_floor)
  oslo python    python3-oslo.messaging RPCClient -> RPCServer (threading)
  runtime        generated C++ oslo client -> generated C++ example server
  bridge -> C++  h2load (gRPC over h2c) -> grpc_amqp_bridge -> C++ server
  bridge -> python  h2load -> grpc_amqp_bridge -> Python oslo server
  direct gRPC    h2load -> a plain C++ gRPC server (bench/grpc_direct_server)
  oslo python -> bridge -> C++ gRPC  the reverse direction (docs/reverse.md):
                 oslo RPCClient -> grpc_amqp_bridge --backend -> grpc_direct_server
  runtime -> bridge -> C++ gRPC      the same with the generated C++ client

and with a 64-byte payload only:

  one bridge, 2 h2load / two bridges, 2 h2load
                 two h2load processes (32 + 32 in flight) -> one grpc_amqp_bridge,
                 or one h2load -> each of two bridges -> the same C++ server
  GATHER x2      h2load PingAll (x-amqp-expect: 2) -> bridge -> 2 C++ servers
  SUBSCRIBE      oslo_load fanout casts -> bridge -> a WatchEvents stream
                 (bench/subscribe_load.py)

with columns: sequential p50/p99 latency, throughput at 1, 16 and 64 calls in
flight, CPU time per call at 64 in flight of the client, the bridge, the
server and the broker, and the bridge's peak RSS. The rows run in rounds
(--rounds, default 3): every round measures every row once, so the rows a
target compares alternate, and each ratio is reported as the median of the
rounds' ratios with its spread (min-max); the table shows each cell's median.
Then two memory checks of the bridge (1,000 calls in flight; RSS across
200,000 calls) and the versioned-objects ratio (bench/object_ratio.py), once.
Prints the table and writes bench/results/latest.{md,json,svg}.

Every process it starts is stopped by its PID, also on errors and Ctrl-C.
Runs under /usr/bin/python3 (oslo.messaging, grpcio, py-amqp).
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSPORT_URL = "rabbit://guest:guest@127.0.0.1:5672/"
PING_PATH = "/examples.compute.Compute/Ping"
SIZES = (64, 4096)
IN_FLIGHT = (1, 16, 64)
PING_ALL_PATH = "/examples.compute.Compute/PingAll"
REVERSE_PYTHON = "oslo python -> bridge -> C++ gRPC"
REVERSE_RUNTIME = "runtime -> bridge -> C++ gRPC"
ONE_BRIDGE_SPLIT = "one bridge, 2 h2load -> C++"
TWO_BRIDGES = "two bridges, 2 h2load -> C++"
GATHER = "GATHER x2 (messages/s)"
SUBSCRIBE = "SUBSCRIBE (events/s)"
ROWS = ("floor", "oslo python", "runtime", "bridge -> C++", "bridge -> python",
        "direct gRPC", REVERSE_PYTHON, REVERSE_RUNTIME, ONE_BRIDGE_SPLIT, TWO_BRIDGES, GATHER,
        SUBSCRIBE)
# Phases run in every round, and those run once after the rounds.
ROUND_PHASES = ("floor", "cpp", "python", "direct", "reverse", "subscribe", "micro")
ONCE_PHASES = ("memory", "objects")
# Whose CPU time per call the table shows (at 64 in flight).
CPU_ROLES = ("client", "bridge", "server", "broker")
# As kQuantiles in bench/load_stats.h: the points of the latency distribution.
QUANTILES = (0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99,
             0.999)
# Binaries bench/run.sh builds with -c opt, relative to bazel-bin.
BINARIES = {
    "amqp_floor": "bench/amqp_floor",
    "oslo_load": "bench/oslo_load",
    "grpc_direct_server": "bench/grpc_direct_server",
    "micro_envelope": "bench/micro_envelope",
    "micro_transcode": "bench/micro_transcode",
    "micro_dispatch": "bench/micro_dispatch",
    "micro_objects": "bench/micro_objects",
    "grpc_amqp_bridge": "bridge/grpc_amqp_bridge",
    "compute_server": "examples/cpp/compute_server",
}


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


class Settings:
    """How long each measurement runs (--quick shortens everything)."""

    def __init__(self, quick):
        self.quick = quick
        self.seconds = 1.0 if quick else 5.0          # per throughput point
        self.warmup = 0.3 if quick else 1.0           # before each point
        self.seq_calls = 300 if quick else 2000       # sequential latency
        self.seq_calls_python = 100 if quick else 500
        self.rss_in_flight_seconds = 2.0 if quick else 10.0
        self.growth_calls = 20_000 if quick else 200_000
        self.growth_warmup_calls = 5_000 if quick else 20_000
        self.micro_min_time = 0.05 if quick else 0.5


# Processes -----------------------------------------------------------------

class Process:
    """A child process, logged to a file and always stopped by its PID."""

    live = []

    def __init__(self, argv, name, workdir):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self._log = open(self.log_path, "w+")
        self.popen = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        self.pid = self.popen.pid
        Process.live.append(self)

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for(self, pattern, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output())
            if match:
                return match
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not print /{pattern}/ "
                           f"(exit {self.popen.poll()}); log {self.log_path}:\n"
                           + self.output()[-2000:])

    def stop(self):
        if self.popen.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()
        if self in Process.live:
            Process.live.remove(self)
        return self.output()

    @classmethod
    def stop_all(cls):
        for process in list(cls.live):
            process.stop()


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kb(pid, key):
    """A /proc/<pid>/status value in kB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def threads_of(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def is_beam(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip() == "beam.smp"
    except OSError:
        return False


def broker_pid():
    """The PID of the RabbitMQ node on 127.0.0.1:5672 (its beam.smp), only to
    read its CPU time, or None: the listening socket's owner, the node's pid
    file, or `rabbitmqctl eval 'os:getpid().'`."""
    candidates = []
    done = subprocess.run(["ss", "-ltnpH", "sport = :5672"], capture_output=True, text=True)
    candidates += re.findall(r"pid=(\d+)", done.stdout)
    for path in sorted(os.listdir("/var/lib/rabbitmq/mnesia")) \
            if os.path.isdir("/var/lib/rabbitmq/mnesia") else []:
        if path.endswith(".pid"):
            with open(os.path.join("/var/lib/rabbitmq/mnesia", path)) as f:
                candidates.append(f.read().strip())
    for pid in candidates:
        if pid.isdigit() and is_beam(int(pid)):
            return int(pid)
    try:
        done = subprocess.run(["rabbitmqctl", "eval", "os:getpid()."], capture_output=True,
                              text=True, timeout=20)
        pid = done.stdout.strip().strip('"')
        if pid.isdigit() and is_beam(int(pid)):
            return int(pid)
    except (OSError, subprocess.TimeoutExpired):
        pass
    return None


def children_cpu_seconds():
    """CPU time of the children this process has waited for (load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU time per call of the processes of a row over one run: `pids` maps a
    role (bridge, server, broker) to a PID read from /proc; the client is the
    load generators this process waited for meanwhile."""

    def __init__(self, pids):
        self.pids = {role: pid for role, pid in pids.items() if pid}
        self.before = {role: cpu_seconds(pid) for role, pid in self.pids.items()}
        self.client_before = children_cpu_seconds()

    def per_call_us(self, calls, client_calls=None):
        calls = max(1, calls)
        out = {role: round((cpu_seconds(pid) - self.before[role]) / calls * 1e6, 1)
               for role, pid in self.pids.items()}
        out["client"] = round((children_cpu_seconds() - self.client_before)
                              / max(1, client_calls or calls) * 1e6, 1)
        return out


def run_json(argv, timeout=300):
    """Runs a load generator and returns the JSON line it printed."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    lines = [l for l in done.stdout.splitlines() if l.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n"
                           f"{done.stdout[-1000:]}\n{done.stderr[-2000:]}")
    return json.loads(lines[-1])


# gRPC requests for h2load ----------------------------------------------------

def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def ping_request(payload_bytes):
    """PingRequest{payload: "xx..."} as protobuf bytes."""
    payload = b"x" * payload_bytes
    return b"\x0a" + varint(len(payload)) + payload


def grpc_frame(message):
    """One gRPC length-prefixed message: uncompressed flag, big-endian length."""
    return b"\x00" + struct.pack(">I", len(message)) + message


def check_ping(port, payload_bytes):
    """One Ping with python3-grpcio before the load: status OK, payload back."""
    import grpc
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        ping = channel.unary_unary(PING_PATH, request_serializer=lambda b: b,
                                   response_deserializer=lambda b: b)
        reply = ping(ping_request(payload_bytes), timeout=10)
    payload = b"x" * payload_bytes
    if b"\x12" + varint(len(payload)) + payload not in reply:
        raise RuntimeError(f"Ping on port {port} did not return the payload")


def check_gather(port, payload_bytes, servers):
    """One PingAll with python3-grpcio before the load: every server answers."""
    import grpc
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        ping_all = channel.unary_stream(PING_ALL_PATH, request_serializer=lambda b: b,
                                        response_deserializer=lambda b: b)
        replies = list(ping_all(ping_request(payload_bytes), timeout=10,
                                metadata=[("x-amqp-expect", str(servers))]))
    payload = b"x" * payload_bytes
    if len(replies) != servers or \
            not all(b"\x12" + varint(len(payload)) + payload in r for r in replies):
        raise RuntimeError(f"PingAll on port {port}: {len(replies)} replies, "
                           f"not {servers} with the payload")


class H2load:
    """h2load speaking gRPC over h2c with a prepared request body. `replies`:
    response messages per call (a GATHER's servers); `headers`: extra
    request headers."""

    def __init__(self, port, workdir, path=PING_PATH, headers=(), replies=1):
        self.url = f"http://127.0.0.1:{port}{path}"
        self.workdir = workdir
        self.headers = list(headers)
        self.replies = replies

    def body(self, payload_bytes):
        path = os.path.join(self.workdir, f"ping{payload_bytes}.grpc")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(grpc_frame(ping_request(payload_bytes)))
        return path

    def run(self, payload_bytes, in_flight, clients=1, seconds=None, requests=None,
            log_file=None):
        argv = ["h2load", "-c", str(clients), "-m", str(in_flight), "-t", "1",
                "-d", self.body(payload_bytes),
                "-H", "content-type: application/grpc", "-H", "te: trailers"]
        for header in self.headers:
            argv += ["-H", header]
        argv += ["-D", f"{int(seconds * 1000)}ms"] if seconds else ["-n", str(requests)]
        if log_file:
            argv.append(f"--log-file={log_file}")
        argv.append(self.url)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
        out = done.stdout
        finished = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out)
        counts = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, "
                           r"(\d+) succeeded, (\d+) failed, (\d+) errored", out)
        data = re.search(r"traffic: .*?, .*? headers .*?, [\d.]+\w* \((\d+)\) data", out)
        if done.returncode != 0 or not (finished and counts and data):
            raise RuntimeError(f"h2load failed ({done.returncode}):\n{out}\n{done.stderr}")
        elapsed = float(finished.group(1)) / (1000 if finished.group(2) == "ms" else 1)
        succeeded = int(counts.group(4))
        result = {"seconds": elapsed, "throughput": float(finished.group(3)),
                  "succeeded": succeeded, "failed": int(counts.group(5)),
                  "errored": int(counts.group(6)), "data_bytes": int(data.group(1))}
        # h2load counts HTTP 200 as success even for a gRPC error (which has
        # no message): every success must have carried its replies with the
        # payload.
        if result["failed"] or result["errored"] or \
                result["data_bytes"] < succeeded * self.replies * (5 + payload_bytes):
            raise RuntimeError(f"h2load: replies missing or short: {result}\n{out}")
        return result

    def latency(self, payload_bytes, calls):
        """Sequential calls (-m 1): p50/p99 from h2load's per-request log."""
        log_file = os.path.join(self.workdir, "h2load-latency.log")
        if os.path.exists(log_file):
            os.remove(log_file)  # h2load appends to it
        self.run(payload_bytes, 1, requests=max(100, calls // 10))  # warm-up
        result = self.run(payload_bytes, 1, requests=calls, log_file=log_file)
        with open(log_file) as f:
            durations = sorted(int(line.split()[2]) for line in f if line.strip())
        return {"calls": len(durations), "p50_us": percentile(durations, 0.50),
                "p99_us": percentile(durations, 0.99),
                "quantiles_us": [percentile(durations, q) for q in QUANTILES],
                "mean_us": round(statistics.fmean(durations), 1),
                "throughput": result["throughput"]}


def percentile(sorted_values, p):
    rank = min(max(int(p * len(sorted_values) + 0.5), 1), len(sorted_values))
    return float(sorted_values[rank - 1])


# The rows --------------------------------------------------------------------

class Bench:
    def __init__(self, bins, settings, workdir):
        self.bins = bins
        self.s = settings
        self.workdir = workdir
        self.run_id = uuid.uuid4().hex[:8]
        self.rounds = []    # per round: (row, size) -> measurements
        self.round_checks = []  # per round: microbenchmarks
        self.checks = {}    # measurements made once
        self.queues = []    # broker queues to delete at the end
        self.broker = broker_pid()
        if self.broker is None:
            log("no RabbitMQ PID found: the broker's CPU per call is not measured")

    def next_round(self):
        self.rounds.append({})
        self.round_checks.append({})

    def point(self, row, size):
        return self.rounds[-1].setdefault((row, size), {"row": row, "payload_bytes": size})

    def meter(self, **pids):
        """CPU per call of `pids` and of the broker (broker=None: a row
        without one, whose column would show only others' traffic)."""
        return CpuMeter(dict({"broker": self.broker}, **pids))

    # Rows measured by their own load generators (floor, runtime, python).
    def generator_row(self, row, size, argv, seq_calls, pids=None):
        """A row whose load generator (`argv`) measures itself. `pids`: the
        row's processes (server, bridge) whose CPU per call is measured at 64
        in flight, over the generator's whole run (warm-up included: its
        `all_calls` counts every call that ended)."""
        point = self.point(row, size)
        common = [f"--payload_bytes={size}", f"--warmup_seconds={self.s.warmup}"]
        log(f"{row}, {size} B: sequential")
        seq = run_json(argv + common + ["--mode=latency", f"--calls={seq_calls}"])
        self._check_errors(row, seq)
        point.update(p50_us=seq["p50_us"], p99_us=seq["p99_us"],
                     quantiles_us=seq.get("quantiles_us"))
        for in_flight in IN_FLIGHT:
            log(f"{row}, {size} B: {in_flight} in flight")
            meter = self.meter(**(pids or {})) if in_flight == 64 else None
            result = run_json(argv + common + ["--mode=throughput", f"--in_flight={in_flight}",
                                               f"--seconds={self.s.seconds}"])
            self._check_errors(row, result)
            point[f"throughput_{in_flight}"] = result["throughput"]
            if meter:
                point["cpu_us_per_call"] = meter.per_call_us(result["all_calls"])

    @staticmethod
    def _check_errors(row, result):
        if result.get("errors"):
            raise RuntimeError(f"{row}: {result['errors']} calls failed: {result}")

    # Rows driven by h2load (bridge, direct gRPC, GATHER).
    def h2load_row(self, row, size, h2, pids, messages_per_call=1):
        """`pids`: the row's processes (bridge, server) whose CPU per call is
        measured over the 64-in-flight run; h2load is the client."""
        log(f"{row}, {size} B: sequential")
        point = self.point(row, size)
        seq = h2.latency(size, self.s.seq_calls)
        point.update(p50_us=seq["p50_us"], p99_us=seq["p99_us"],
                     quantiles_us=seq["quantiles_us"])
        for in_flight in IN_FLIGHT:
            log(f"{row}, {size} B: {in_flight} in flight")
            h2.run(size, in_flight, seconds=self.s.warmup)
            meter = self.meter(**pids) if in_flight == 64 else None
            # The calls of the measured run (those cut off at its end cost
            # little and are not counted).
            result = h2.run(size, in_flight, seconds=self.s.seconds)
            point[f"throughput_{in_flight}"] = result["throughput"] * messages_per_call
            if meter:
                point["cpu_us_per_call"] = meter.per_call_us(result["succeeded"])
        bridge = pids.get("bridge")
        if bridge:
            point["bridge_peak_rss_mb"] = round(status_kb(bridge, "VmHWM") / 1024, 1)
            point["bridge_threads"] = threads_of(bridge)

    # Processes of the rows.
    def descriptor_set(self, topic):
        """The example API compiled with its topic replaced by `topic`, so
        that no other compute server on this broker answers our calls."""
        out = os.path.join(self.workdir, f"{topic}.pb")
        if os.path.exists(out):
            return out
        src_dir = os.path.join(self.workdir, f"api-{topic}")
        os.makedirs(os.path.join(src_dir, "examples"), exist_ok=True)
        with open(os.path.join(REPO, "proto/examples/compute.proto")) as f:
            source = f.read()
        source, count = re.subn(r'topic: "compute"', f'topic: "{topic}"', source)
        if count != 1:
            raise RuntimeError('compute.proto no longer sets topic: "compute"')
        with open(os.path.join(src_dir, "examples/compute.proto"), "w") as f:
            f.write(source)
        subprocess.run(["/usr/bin/protoc", "--include_imports", f"--descriptor_set_out={out}",
                        f"-I{src_dir}", f"-I{os.path.join(REPO, 'proto')}", "-I/usr/include",
                        "examples/compute.proto"], check=True)
        return out

    def start_bridge(self, descriptor_set, name):
        bridge = Process([self.bins["grpc_amqp_bridge"], f"--descriptor_set={descriptor_set}",
                          "--listen=127.0.0.1:0", f"--transport_url={TRANSPORT_URL}"],
                         name, self.workdir)
        port = int(bridge.wait_for(r"listening on [^\s:]+:(\d+)").group(1))
        bridge.wait_for(r"broker connected: SERVING")
        return bridge, port

    def stop_bridge(self, bridge, key):
        output = bridge.stop()
        stopped = re.search(r"stopped after (\d+) calls \((\d+) failed", output)
        if stopped:
            calls = self.checks.setdefault("bridge_calls", {}).setdefault(
                key, {"calls": 0, "failed": 0})
            calls["calls"] += int(stopped.group(1))
            calls["failed"] += int(stopped.group(2))

    def bridge_rows(self, row, descriptor_set, name, server):
        """The h2load row through a fresh bridge for each request size."""
        for size in SIZES:
            bridge, port = self.start_bridge(descriptor_set, f"{name}-{size}")
            try:
                check_ping(port, size)
                self.h2load_row(row, size, H2load(port, self.workdir),
                                {"bridge": bridge.pid, "server": server.pid})
            finally:
                self.stop_bridge(bridge, f"{row} {size}")

    def compute_server(self, kind, topic, server_name="bench"):
        self.queues += [topic, f"{topic}.{server_name}"]
        if kind == "cpp":
            # Its methods never block: they run on the I/O thread (no
            # hand-off to a worker per request).
            server = Process([self.bins["compute_server"], f"--transport_url={TRANSPORT_URL}",
                              f"--topic={topic}", f"--server={server_name}",
                              "--executor_threads=0"],
                             f"cpp-{topic}-{server_name}-{len(self.rounds)}", self.workdir)
        else:
            server = Process(["/usr/bin/python3",
                              os.path.join(REPO, "examples/python/compute_server.py"),
                              "--transport_url", TRANSPORT_URL, "--topic", topic,
                              "--server", server_name],
                             f"py-{topic}-{len(self.rounds)}", self.workdir)
        server.wait_for("ready")
        return server

    # Phases.
    def floor(self):
        queue = f"bench_floor_{self.run_id}"
        server = Process([self.bins["amqp_floor"], "--role=server", f"--queue={queue}",
                          f"--transport_url={TRANSPORT_URL}"],
                         f"floor-server-{len(self.rounds)}", self.workdir)
        try:
            server.wait_for("ready")
            for size in SIZES:
                self.generator_row("floor", size, [self.bins["amqp_floor"], "--role=client",
                                                   f"--queue={queue}"], self.s.seq_calls,
                                   {"server": server.pid})
        finally:
            server.stop()

    def cpp_phase(self):
        topic = f"bench_{self.run_id}_cpp"
        server = self.compute_server("cpp", topic)
        try:
            for size in SIZES:
                self.generator_row("runtime", size, [self.bins["oslo_load"], f"--topic={topic}"],
                                   self.s.seq_calls, {"server": server.pid})
            api = self.descriptor_set(topic)
            self.bridge_rows("bridge -> C++", api, "bridge-cpp", server)
            self.two_bridges(api, server)
            self.gather(topic, api, server)
        finally:
            server.stop()

    def two_bridges(self, api, server):
        """Two h2load processes, each with half of the calls in flight (64 B),
        both against one bridge, then one against each of two bridges on the
        same broker and server, alternately at each point."""
        bridges = [self.start_bridge(api, f"bridge-two-{i}") for i in range(2)]
        try:
            for _, port in bridges:
                check_ping(port, 64)
            ports = [port for _, port in bridges]
            arrangements = ((ONE_BRIDGE_SPLIT, bridges[:1], [ports[0], ports[0]]),
                            (TWO_BRIDGES, bridges, ports))
            for in_flight in IN_FLIGHT[1:]:
                for row, used, row_ports in arrangements:
                    log(f"{row}, 64 B: {in_flight} in flight ({in_flight // 2} each)")
                    self._split_point(row, used, [H2load(p, self.workdir) for p in row_ports],
                                      in_flight, server)
        finally:
            for i, (bridge, _) in enumerate(bridges):
                self.stop_bridge(bridge, f"{TWO_BRIDGES} {i}")

    def _split_point(self, row, bridges, h2s, in_flight, server):
        point = self.point(row, 64)
        self._parallel(h2s, in_flight // 2, self.s.warmup)
        meter = self.meter(server=server.pid) if in_flight == 64 else None
        bridge_cpu = [cpu_seconds(bridge.pid) for bridge, _ in bridges]
        results = self._parallel(h2s, in_flight // 2, self.s.seconds)
        calls = sum(r["succeeded"] for r in results)
        point[f"throughput_{in_flight}"] = round(sum(r["throughput"] for r in results), 1)
        if meter:
            cpu = meter.per_call_us(calls)
            cpu["bridge"] = round(sum(cpu_seconds(bridge.pid) - before for (bridge, _), before
                                      in zip(bridges, bridge_cpu)) / max(1, calls) * 1e6, 1)
            point["cpu_us_per_call"] = cpu
        point["bridge_peak_rss_mb"] = max(round(status_kb(b.pid, "VmHWM") / 1024, 1)
                                          for b, _ in bridges)

    @staticmethod
    def _parallel(h2s, in_flight, seconds):
        results = [None] * len(h2s)
        errors = []

        def one(i):
            try:
                results[i] = h2s[i].run(64, in_flight, seconds=seconds)
            except Exception as e:  # re-raised below, on the main thread
                errors.append(e)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(h2s))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return results

    def gather(self, topic, api, server):
        """PingAll over two C++ servers, each stream ended by the bridge once
        both answered (x-amqp-expect: 2); the row counts messages (2 per
        call)."""
        second = self.compute_server("cpp", topic, "bench2")
        try:
            bridge, port = self.start_bridge(api, "bridge-gather")
            try:
                check_gather(port, 64, 2)
                h2 = H2load(port, self.workdir, path=PING_ALL_PATH,
                            headers=["x-amqp-expect: 2"], replies=2)
                self.h2load_row(GATHER, 64, h2, {"bridge": bridge.pid, "server": server.pid},
                                messages_per_call=2)
                cpu = self.point(GATHER, 64).get("cpu_us_per_call")
                if cpu:  # the second server's share is about the first's
                    cpu["server"] = round(cpu["server"] * 2, 1)
            finally:
                self.stop_bridge(bridge, GATHER)
        finally:
            second.stop()

    def python_phase(self):
        topic = f"bench_{self.run_id}_py"
        server = self.compute_server("python", topic)
        try:
            for size in SIZES:
                self.generator_row("oslo python", size,
                                   ["/usr/bin/python3",
                                    os.path.join(REPO, "bench/oslo_python_load.py"),
                                    f"--topic={topic}"], self.s.seq_calls_python,
                                   {"server": server.pid})
            self.bridge_rows("bridge -> python", self.descriptor_set(topic), "bridge-py", server)
        finally:
            server.stop()

    def direct_phase(self):
        server = Process([self.bins["grpc_direct_server"], "--listen=127.0.0.1:0"],
                         f"grpc-direct-{len(self.rounds)}", self.workdir)
        try:
            port = int(server.wait_for(r"listening on [^\s:]+:(\d+)").group(1))
            for size in SIZES:
                check_ping(port, size)
                self.h2load_row("direct gRPC", size, H2load(port, self.workdir),
                                {"server": server.pid, "broker": None})
        finally:
            server.stop()

    def reverse_phase(self):
        """oslo clients -> grpc_amqp_bridge --backend -> a C++ gRPC server."""
        topic = f"bench_{self.run_id}_rev"
        self.queues += [topic, f"{topic}.bench"]
        backend = Process([self.bins["grpc_direct_server"], "--listen=127.0.0.1:0"],
                          f"grpc-backend-{len(self.rounds)}", self.workdir)
        try:
            port = int(backend.wait_for(r"listening on [^\s:]+:(\d+)").group(1))
            bridge = Process([self.bins["grpc_amqp_bridge"],
                              f"--descriptor_set={self.descriptor_set(topic)}",
                              "--listen=127.0.0.1:0", f"--transport_url={TRANSPORT_URL}",
                              f"--backend=examples.compute.Compute=127.0.0.1:{port}",
                              "--server_name=bench"],
                             f"bridge-reverse-{len(self.rounds)}", self.workdir)
            try:
                bridge.wait_for(r"listening on")
                pids = {"bridge": bridge.pid, "server": backend.pid}
                for size in SIZES:
                    self.generator_row(REVERSE_PYTHON, size,
                                       ["/usr/bin/python3",
                                        os.path.join(REPO, "bench/oslo_python_load.py"),
                                        f"--topic={topic}"], self.s.seq_calls_python, pids)
                    self.generator_row(REVERSE_RUNTIME, size,
                                       [self.bins["oslo_load"], f"--topic={topic}"],
                                       self.s.seq_calls, pids)
            finally:
                bridge.stop()
        finally:
            backend.stop()

    def subscribe_phase(self):
        """Fanout casts of `instance_event` (oslo_load --mode=publish, 1, 16
        and 64 publishing threads) streamed by a bridge's WatchEvents to a
        python3-grpcio client (bench/subscribe_load.py). Latency from cast to
        receipt from a run of one event every 2 ms. One bridge for every
        stream, one stream after another."""
        topic = f"bench_{self.run_id}_sub"
        api = self.descriptor_set(topic)
        point = self.point(SUBSCRIBE, 64)
        # None: the latency run, one thread pausing 2 ms after each event
        # (so that no backlog forms); then unpaced, 1, 16 and 64 threads.
        bridge, port = self.start_bridge(api, f"bridge-sub-{len(self.rounds)}")
        try:
            for threads in (None,) + IN_FLIGHT:
                log(f"{SUBSCRIBE}: " + (f"{threads} publishing threads" if threads else
                                        "one event every 2 ms, latency"))
                meter = self.meter(bridge=bridge.pid) if threads == 64 else None
                result = run_json(["/usr/bin/python3",
                                   os.path.join(REPO, "bench/subscribe_load.py"),
                                   f"--port={port}", "--", self.bins["oslo_load"],
                                   f"--topic={topic}", "--mode=publish",
                                   f"--in_flight={threads or 1}", f"--seconds={self.s.seconds}"]
                                  + ([] if threads else ["--publish_interval=2ms"]))
                self._check_errors(SUBSCRIBE, result)
                if threads:
                    point[f"throughput_{threads}"] = result["throughput"]
                else:
                    point.update(p50_us=result["p50_us"], p99_us=result["p99_us"],
                                 quantiles_us=result["quantiles_us"])
                if meter:
                    cpu = meter.per_call_us(result["calls"])
                    cpu.pop("client")  # the caster and the receiver: not one client
                    point["cpu_us_per_call"] = cpu
                point["bridge_peak_rss_mb"] = max(point.get("bridge_peak_rss_mb", 0), round(
                    status_kb(bridge.pid, "VmHWM") / 1024, 1))
        finally:
            self.stop_bridge(bridge, SUBSCRIBE)

    def memory_phase(self):
        """The bridge's memory: 1,000 calls in flight, RSS across many calls."""
        topic = f"bench_{self.run_id}_cpp"
        server = self.compute_server("cpp", topic)
        try:
            api = self.descriptor_set(topic)
            self.rss_in_flight(api)
            self.rss_growth(api)
        finally:
            server.stop()

    def objects_phase(self):
        """bench/object_ratio.py: object / plain per operation, interleaved."""
        log("versioned objects: object / plain")
        runs, repetitions = (2, 3) if self.s.quick else (5, 10)
        done = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "bench/object_ratio.py"),
                               f"--binary={self.bins['micro_objects']}", f"--runs={runs}",
                               f"--repetitions={repetitions}"],
                              capture_output=True, text=True, timeout=1800)
        ratios = {}
        for line in done.stdout.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 4 and re.match(r"^[\d.]+$", cells[1]):
                low, high = cells[2].split("..")
                ratios[cells[0]] = {"median": float(cells[1]), "min": float(low),
                                    "max": float(high)}
        if not ratios:
            raise RuntimeError(f"object_ratio.py printed no ratios:\n{done.stdout}\n"
                               f"{done.stderr[-2000:]}")
        self.checks["object_ratio"] = {"runs": runs, "repetitions": repetitions,
                                       "ratios": ratios}

    def rss_in_flight(self, api):
        """The bridge's peak RSS with 1,000 calls in flight: 4 h2c
        connections of 250 concurrent streams each, Ping 64 B."""
        log("bridge: 1,000 calls in flight")
        bridge, port = self.start_bridge(api, "bridge-1000")
        try:
            h2 = H2load(port, self.workdir)
            check_ping(port, 64)
            result = h2.run(64, 250, clients=4, seconds=self.s.rss_in_flight_seconds)
            self.checks["rss_1000_in_flight"] = {
                "in_flight": 1000, "connections": 4, "payload_bytes": 64,
                "seconds": self.s.rss_in_flight_seconds,
                "throughput": result["throughput"],
                "peak_rss_mb": round(status_kb(bridge.pid, "VmHWM") / 1024, 1),
                "threads": threads_of(bridge.pid)}
        finally:
            self.stop_bridge(bridge, "rss 1000 in flight")

    def rss_growth(self, api):
        """The bridge's RSS across many calls (64 in flight, Ping 64 B),
        sampled every second after a warm-up. RSS moves by a megabyte or
        so with what is in flight, so growth compares the medians of the
        first and the last quarter of the samples: a trend, not a blip."""
        calls = self.s.growth_calls
        log(f"bridge: RSS across {calls:,} calls")
        bridge, port = self.start_bridge(api, "bridge-growth")
        try:
            h2 = H2load(port, self.workdir)
            h2.run(64, 64, requests=self.s.growth_warmup_calls)
            samples = [status_kb(bridge.pid, "VmRSS")]
            stop = threading.Event()

            def sample():
                while not stop.wait(1.0):
                    samples.append(status_kb(bridge.pid, "VmRSS"))

            sampler = threading.Thread(target=sample)
            sampler.start()
            try:
                result = h2.run(64, 64, requests=calls)
            finally:
                stop.set()
                sampler.join()
            quarter = max(1, len(samples) // 4)
            first = statistics.median(samples[:quarter])
            last = statistics.median(samples[-quarter:])
            self.checks["rss_growth"] = {
                "calls": calls, "warmup_calls": self.s.growth_warmup_calls, "in_flight": 64,
                "payload_bytes": 64, "throughput": result["throughput"],
                "rss_first_quarter_mb": round(first / 1024, 1),
                "rss_last_quarter_mb": round(last / 1024, 1),
                "rss_min_mb": round(min(samples) / 1024, 1),
                "rss_max_mb": round(max(samples) / 1024, 1),
                "growth_mb": round((last - first) / 1024, 1) + 0.0,  # no -0.0
                "rss_samples_mb": [round(s / 1024, 1) for s in samples]}
        finally:
            self.stop_bridge(bridge, "rss growth")

    def micro(self):
        log("microbenchmarks")
        results = {}
        for name in ("micro_envelope", "micro_transcode", "micro_dispatch"):
            done = subprocess.run([self.bins[name], "--benchmark_format=json",
                                   f"--benchmark_min_time={self.s.micro_min_time}"],
                                  capture_output=True, text=True, check=True, timeout=600)
            for b in json.loads(done.stdout)["benchmarks"]:
                unit = {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
                results[b["name"]] = round(b["cpu_time"] * unit, 1)
        self.round_checks[-1]["micro_ns"] = results

    def cleanup_queues(self):
        """Deletes the topic queues of this run (they outlive their servers)."""
        try:
            import amqp
            conn = amqp.Connection("127.0.0.1:5672", userid="guest", password="guest")
            conn.connect()
            channel = conn.channel()
            for queue in self.queues:
                channel.queue_delete(queue)
            conn.close()
        except Exception as e:  # leftovers are harmless: report and go on
            log(f"could not delete the bench queues: {e}")


# Report ----------------------------------------------------------------------

def busy_fraction(seconds=2.0):
    """How busy the machine's CPUs were over `seconds` (0..1), from /proc/stat,
    not counting niced processes."""
    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        # Idle, iowait and niced work (a fuzzer at nice 19 yields to us).
        return values[1] + values[3] + values[4], sum(values)
    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_until_quiet(max_wait, threshold=0.25):
    """Waits (up to `max_wait` s) until other work leaves the CPUs mostly idle:
    on 2 cores a compile next door halves every number. Returns the last
    busy fraction seen."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = busy_fraction()
        if busy < threshold or time.monotonic() >= deadline:
            return busy
        log(f"the machine is {busy:.0%} busy; waiting for it to quieten down")
        time.sleep(3)


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "unknown"

    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {
        "cores": os.cpu_count(), "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1), "kernel": platform.release(),
        "loadavg_at_start": os.getloadavg(),
        "rabbitmq": version(["dpkg-query", "-W", "-f=${Version}", "rabbitmq-server"]),
        "h2load": version(["h2load", "--version"]).replace("h2load ", ""),
        "grpc": version(["dpkg-query", "-W", "-f=${Version}", "libgrpc++1.51"]),
        "python": platform.python_version(),
    }


def median_of(values):
    """The median of the rounds' values of one cell: numbers, per-role CPU
    dicts (per role) and quantile lists (per point)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    if all(v == values[0] for v in values):
        return values[0]
    if isinstance(values[0], dict):
        return {k: median_of([v.get(k) for v in values]) for k in values[0]}
    if isinstance(values[0], list):
        return [statistics.median(points) for points in zip(*values)]
    if isinstance(values[0], (int, float)):
        return round(statistics.median(values), 1)
    return values[0]


def merge_rounds(rounds):
    """(row, size) -> each measurement's median over the rounds that have it."""
    merged = {}
    for key in {k for r in rounds for k in r}:
        points = [r[key] for r in rounds if key in r]
        names = {name for p in points for name in p}
        merged[key] = {name: median_of([p.get(name) for p in points]) for name in names}
        merged[key]["rounds"] = len(points)
    return merged


def ms(us):
    return "–" if us is None else f"{us / 1000:.3f}"


def num(value, fmt="{:,.0f}"):
    return "–" if value is None else fmt.format(value)


def size_label(size):
    return "64 B" if size == 64 else "4 KiB"


def table(rows):
    header = ("| row | request | seq p50 ms | seq p99 ms | calls/s @1 | @16 | @64 "
              "| CPU µs/call @64: client | bridge | server | broker | bridge peak RSS MB |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = []
    for row in ROWS:
        for size in SIZES:
            p = rows.get((row, size))
            if p is None:
                continue
            cpu = p.get("cpu_us_per_call") or {}
            lines.append(
                f"| {row} | {size_label(size)} | {ms(p.get('p50_us'))} "
                f"| {ms(p.get('p99_us'))} | {num(p.get('throughput_1'))} "
                f"| {num(p.get('throughput_16'))} | {num(p.get('throughput_64'))} | "
                + " | ".join(num(cpu.get(role), "{:.0f}") for role in CPU_ROLES)
                + f" | {num(p.get('bridge_peak_rss_mb'), '{:.1f}')} |")
    return header + "\n".join(lines) + "\n"


def round_targets(rows, micro):
    """The issue's targets that compare rows (or microbenchmarks) of one
    round: (name, value, limit, "min" or "max", detail), where "min" means
    value >= limit is met; limit None for a ratio only reported."""
    def get(row, key, size=64):
        return rows.get((row, size), {}).get(key)

    def cpu(row, role):
        return (get(row, "cpu_us_per_call") or {}).get(role)

    def best(row):
        return max((get(row, f"throughput_{n}") or 0) for n in IN_FLIGHT)

    out = []
    bridge64, floor64 = get("bridge -> C++", "throughput_64"), get("floor", "throughput_64")
    if bridge64 and floor64:
        out.append(("bridge -> C++ @64 >= 0.6 x floor @64", bridge64 / floor64, 0.6, "min",
                    f"{bridge64:,.0f} vs {floor64:,.0f} calls/s"))
    bridge_p50, floor_p50, direct_p50 = (get(r, "p50_us") for r in
                                         ("bridge -> C++", "floor", "direct gRPC"))
    if bridge_p50 and floor_p50 and direct_p50:
        out.append(("bridge -> C++ seq p50 - (floor p50 + direct gRPC p50) <= 0.05 ms",
                    (bridge_p50 - floor_p50 - direct_p50) / 1000, 0.05, "max",
                    f"{bridge_p50 / 1000:.3f} vs {floor_p50 / 1000:.3f} + "
                    f"{direct_p50 / 1000:.3f} ms"))
    bridge_cpu = cpu("bridge -> C++", "bridge")
    direct_cpu, runtime_cpu = cpu("direct gRPC", "server"), cpu("runtime", "client")
    if bridge_cpu and direct_cpu and runtime_cpu:
        out.append(("bridge CPU/call @64 <= 1.5 x (direct gRPC server + runtime client)",
                    bridge_cpu / (direct_cpu + runtime_cpu), 1.5, "max",
                    f"{bridge_cpu:.0f} vs {direct_cpu:.0f} + {runtime_cpu:.0f} µs"))
    for ours, theirs, label in (
            ("BM_WireToArgs_Instances4K", "BM_ProtobufToJson_Instances4K",
             "request -> args"),
            ("BM_ResultToWire_Instances4K", "BM_ProtobufFromJson_Instances4K",
             "result -> response")):
        if micro.get(ours) and micro.get(theirs):
            out.append((f"structured 4 KiB {label} >= 4 x as fast as protobuf's JSON",
                        micro[theirs] / micro[ours], 4, "min",
                        f"{micro[ours] / 1000:.1f} vs {micro[theirs] / 1000:.1f} µs"))
    python64, oslo64 = get("bridge -> python", "throughput_64"), get("oslo python",
                                                                     "throughput_64")
    if python64 and oslo64:
        out.append(("bridge -> python @64 >= 1.0 x oslo python @64", python64 / oslo64, 1.0,
                    "min", f"{python64:,.0f} vs {oslo64:,.0f} calls/s"))
    # The reverse direction (issue 17), against the same peers.
    for row, base, limit in ((REVERSE_PYTHON, "oslo python", 1.0),
                             (REVERSE_RUNTIME, "runtime", 0.5)):
        if best(row) and best(base):
            out.append((f"{row} (best) >= {limit} x {base} (best)", best(row) / best(base),
                        limit, "min", f"{best(row):,.0f} vs {best(base):,.0f} calls/s"))
    two64, one64 = get(TWO_BRIDGES, "throughput_64"), get(ONE_BRIDGE_SPLIT, "throughput_64")
    if two64 and one64:
        out.append(("two bridges @64 / one bridge @64 (same two h2load, same broker; reported)",
                    two64 / one64, None, "min", f"{two64:,.0f} vs {one64:,.0f} calls/s"))
    return out


def targets(rounds, round_checks, checks):
    """Every target with its value, limit and whether it is met: the ratios
    as the median of the rounds' ratios with their spread, then the
    measurements made once."""
    per_round = [round_targets(rows, rc.get("micro_ns", {}))
                 for rows, rc in zip(rounds, round_checks)]
    out = []
    for name in dict.fromkeys(t[0] for r in per_round for t in r):
        found = [t for r in per_round for t in r if t[0] == name]
        values = [t[1] for t in found]
        value = statistics.median(values)
        _, _, limit, kind, _ = found[0]
        detail = min(found, key=lambda t: abs(t[1] - value))[4]
        met = None if limit is None else (value >= limit if kind == "min" else value <= limit)
        out.append({"target": name, "value": round(value, 3), "min": round(min(values), 3),
                    "max": round(max(values), 3), "rounds": len(values), "limit": limit,
                    "met": met, "detail": detail})

    def once(name, value, limit, detail):
        out.append({"target": name, "value": value, "min": None, "max": None, "rounds": 1,
                    "limit": limit, "met": value <= limit, "detail": detail})

    rss = checks.get("rss_1000_in_flight")
    if rss:
        once("bridge peak RSS <= 64 MB with 1,000 in flight", rss["peak_rss_mb"], 64,
             f"{rss['throughput']:,.0f} calls/s")
    growth = checks.get("rss_growth")
    if growth:
        once(f"RSS growth across {growth['calls']:,} calls <= 1 MB", growth["growth_mb"], 1.0,
             f"median {growth['rss_first_quarter_mb']} -> {growth['rss_last_quarter_mb']} MB")
    objects = checks.get("object_ratio")
    if objects:
        for operation, r in objects["ratios"].items():
            out.append({"target": f"versioned objects {operation}: object / plain <= 1.3",
                        "value": r["median"], "min": r["min"], "max": r["max"],
                        "rounds": objects["runs"], "limit": 1.3, "met": r["median"] <= 1.3,
                        "detail": f"{objects['runs']} interleaved runs"})
    return out


def target_lines(goals):
    lines = ["| target | value (min–max) | limit | met |", "|---|---:|---:|---|"]
    for g in goals:
        value = f"{g['value']:.2f}" if isinstance(g["value"], float) else str(g["value"])
        if g["min"] is not None and g["rounds"] > 1:
            value += f" ({g['min']:.2f}–{g['max']:.2f})"
        met = "–" if g["met"] is None else ("yes" if g["met"] else "NO")
        limit = "–" if g["limit"] is None else g["limit"]
        lines.append(f"| {g['target']} ({g['detail']}) | {value} | {limit} | {met} |")
    return "\n".join(lines) + "\n"


def scaling_model(rows, cores=16):
    """docs/scaling.md's model: calls/s that `cores` cores give each role of
    bridge -> C++ (64 B), from its CPU per call at 64 in flight, and the
    whole chain on one host of that many cores. None without the CPU."""
    cpu = (rows.get(("bridge -> C++", 64)) or {}).get("cpu_us_per_call") or {}
    if not all(cpu.get(role) for role in ("bridge", "server", "broker")):
        return None
    per_role = {role: round(cores * 1e6 / cpu[role]) for role in CPU_ROLES if cpu.get(role)}
    chain = ("bridge", "server", "broker")
    return {"cores": cores, "cpu_us_per_call": {r: cpu[r] for r in per_role},
            "calls_per_s": per_role,
            "one_host_without_client": round(cores * 1e6 / sum(cpu[r] for r in chain)),
            "limit": min(chain, key=lambda r: per_role[r])}


def picture(rows, path, title):
    """bench/results/latest.svg: throughput against calls in flight for every
    row, and the latency distribution of the sequential runs (64 B)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        # Text as text (a smaller file, searchable), no timestamp in it.
        plt.rcParams["svg.fonttype"] = "none"
    except ImportError:
        log("python3-matplotlib is missing (tools/setup.sh installs it): no picture")
        return False
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 8.5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"] + ["#000000", "#7f7f00"]
    for i, row in enumerate(ROWS):
        color = colors[i % len(colors)]
        for size, style in ((64, "-"), (4096, "--")):
            p = rows.get((row, size))
            if not p:
                continue
            points = [(n, p.get(f"throughput_{n}")) for n in IN_FLIGHT]
            points = [(n, t) for n, t in points if t]
            if points:
                left.plot(*zip(*points), style, marker="o", color=color,
                          label=f"{row}, {size_label(size)}")
            if size == 64 and p.get("quantiles_us"):
                right.plot([q / 1000 for q in p["quantiles_us"]], QUANTILES, "-",
                           marker=".", color=color, label=row)
    left.set(xscale="log", yscale="log", xlabel="calls in flight (SUBSCRIBE: casting threads)",
             ylabel="calls/s (GATHER: messages/s; SUBSCRIBE: events/s)",
             title="Throughput (median of the rounds); dashed: 4 KiB")
    left.set_xticks(IN_FLIGHT, [str(n) for n in IN_FLIGHT])
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0, -0.1), ncol=2)
    right.set(xscale="log", xlabel="latency, ms (log)", ylabel="fraction of calls",
              title="Sequential calls, 64 B: latency distribution")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0, -0.1), ncol=2)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path + ".tmp", format="svg", metadata={"Date": None})
    plt.close(fig)
    os.replace(path + ".tmp", path)
    return True


def report(bench, settings, info, started):
    rows = merge_rounds(bench.rounds)
    checks = bench.checks
    goals = targets(bench.rounds, bench.round_checks, checks)
    md = [f"# grpc-amqp-bridge benchmarks\n",
          f"Run {started:%Y-%m-%d %H:%M} UTC{' (--quick)' if settings.quick else ''}, "
          f"{len(bench.rounds)} round(s): "
          f"{info['cores']} cores, {info['cpu_model']}, {info['memory_gb']} GB, "
          f"kernel {info['kernel']}; RabbitMQ {info['rabbitmq']}, h2load {info['h2load']}, "
          f"gRPC {info['grpc']}, Python {info['python']}. CPUs busy with other work: "
          f"{info['busy_before_start']:.0%} before the run, {info['busy_after_end']:.0%} "
          f"after it (load average at start "
          f"{', '.join(f'{x:.2f}' for x in info['loadavg_at_start'])}).\n",
          f"Request = Ping with a payload of 64 B or 4 KiB; throughput points ran "
          f"{settings.seconds:g} s each after a {settings.warmup:g} s warm-up; sequential "
          f"latency over {settings.seq_calls} calls ({settings.seq_calls_python} for "
          f"oslo python). Every round measured every row once; each cell is the median "
          f"of the rounds. CPU per call is measured at 64 in flight (the broker's "
          f"includes whatever else it served meanwhile).\n",
          table(rows)]
    rss = checks.get("rss_1000_in_flight")
    if rss:
        md.append(f"Bridge with 1,000 calls in flight (4 connections × 250 streams, 64 B): "
                  f"peak RSS {rss['peak_rss_mb']} MB, {rss['throughput']:,.0f} calls/s, "
                  f"{rss['threads']} threads.\n")
    growth = checks.get("rss_growth")
    if growth:
        md.append(f"Bridge RSS across {growth['calls']:,} calls (64 in flight, after "
                  f"{growth['warmup_calls']:,} warm-up calls): median of the first quarter "
                  f"of the samples {growth['rss_first_quarter_mb']} MB, of the last quarter "
                  f"{growth['rss_last_quarter_mb']} MB (growth {growth['growth_mb']} MB; "
                  f"{growth['rss_min_mb']}-{growth['rss_max_mb']} MB throughout) at "
                  f"{growth['throughput']:,.0f} calls/s.\n")
    model = scaling_model(rows)
    if model:
        md.append(f"At {model['cores']} cores (docs/scaling.md: bridge -> C++ 64 B, "
                  f"{model['cores']} cores divided by each role's CPU per call): "
                  + ", ".join(f"{role} {model['calls_per_s'][role]:,} calls/s"
                              for role in model["calls_per_s"])
                  + f"; bridge, server and broker sharing one such host "
                  f"{model['one_host_without_client']:,} calls/s. The first limit: the "
                  f"{model['limit']}.\n")
    micro = median_of([rc.get("micro_ns") for rc in bench.round_checks])
    if micro:
        md.append("Microbenchmarks (CPU ns per operation, median of the rounds):\n\n"
                  "| benchmark | ns |\n|---|---:|\n"
                  + "".join(f"| {k} | {v:,.0f} |\n" for k, v in micro.items()))
    for phase, error in checks.get("failed_phases", {}).items():
        md.append(f"**Phase {phase} failed** (its rows are missing): "
                  f"{error.strip().splitlines()[-1]}\n")
    md.append("Targets (64 B requests unless said). A ratio is the median of the rounds' "
              "ratios, each from rows measured in the same round, with its spread:\n\n"
              + target_lines(goals))
    text = "\n".join(md)
    data = {"started": started.isoformat() + "Z", "quick": settings.quick, "machine": info,
            "rounds": len(bench.rounds),
            "rows": [rows[k] for k in sorted(rows, key=lambda k: (ROWS.index(k[0]), k[1]))],
            "rows_per_round": [[r[k] for k in sorted(r, key=lambda k: (ROWS.index(k[0]), k[1]))]
                               for r in bench.rounds],
            "micro_ns_per_round": [rc.get("micro_ns") for rc in bench.round_checks],
            "checks": checks, "targets": goals, "scaling_model": model}
    return text, data, rows


def run_phase(bench, phase, attempts=3):
    """Runs one phase; when it fails (the shared broker may be restarted by
    someone's test), waits for the broker and runs it again."""
    method = getattr(bench, {"floor": "floor", "cpp": "cpp_phase", "python": "python_phase",
                             "direct": "direct_phase", "reverse": "reverse_phase",
                             "subscribe": "subscribe_phase", "micro": "micro",
                             "memory": "memory_phase", "objects": "objects_phase"}[phase])
    for attempt in range(1, attempts + 1):
        try:
            method()
            return
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            Process.stop_all()
            log(f"{phase} failed (attempt {attempt} of {attempts}): {e}")
            if attempt == attempts:
                key = f"{phase} (round {len(bench.rounds)})" if phase in ROUND_PHASES else phase
                bench.checks.setdefault("failed_phases", {})[key] = str(e)[-2000:]
                return
            subprocess.run([os.path.join(REPO, "tools/amqp_ping.py"), "--wait", "120"],
                           check=False)


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description="grpc-amqp-bridge benchmarks")
    parser.add_argument("--bin_dir", required=True, help="bazel-bin of a -c opt build")
    parser.add_argument("--quick", action="store_true", help="short runs, for trying it out")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of every row, alternating the rows a target compares "
                             "(default 3; 1 with --quick)")
    parser.add_argument("--only", default="",
                        help="comma-separated phases: " + ",".join(ROUND_PHASES + ONCE_PHASES))
    parser.add_argument("--results", default=os.path.join(REPO, "bench/results"))
    parser.add_argument("--wait_quiet", type=float, default=300,
                        help="seconds to wait at most for an idle machine before starting")
    args = parser.parse_args()
    settings = Settings(args.quick)
    rounds = args.rounds or (1 if args.quick else 3)
    phases = [p for p in args.only.split(",") if p] or list(ROUND_PHASES + ONCE_PHASES)
    unknown = set(phases) - set(ROUND_PHASES + ONCE_PHASES)
    if unknown or rounds < 1:
        parser.error(f"unknown phases {sorted(unknown)} or rounds < 1")
    busy = wait_until_quiet(args.wait_quiet)
    started = datetime.datetime.utcnow()
    info = machine()
    info["busy_before_start"] = round(busy, 2)
    workdir = tempfile.mkdtemp(prefix="bench-")
    # Copies, so that a concurrent build cannot swap a binary mid-run.
    bins = {}
    for name, path in BINARIES.items():
        bins[name] = os.path.join(workdir, name)
        shutil.copy2(os.path.join(args.bin_dir, path), bins[name])

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    bench = Bench(bins, settings, workdir)
    try:
        for number in range(1, rounds + 1):
            bench.next_round()
            for phase in (p for p in phases if p in ROUND_PHASES):
                log(f"round {number} of {rounds}: {phase}")
                run_phase(bench, phase)
        for phase in (p for p in phases if p in ONCE_PHASES):
            run_phase(bench, phase)
    finally:
        Process.stop_all()
        bench.cleanup_queues()
    info["busy_after_end"] = round(busy_fraction(), 2)
    text, data, rows = report(bench, settings, info, started)
    print(text)
    os.makedirs(args.results, exist_ok=True)
    write_atomically(os.path.join(args.results, "latest.md"), text)
    write_atomically(os.path.join(args.results, "latest.json"), json.dumps(data, indent=2) + "\n")
    drawn = picture(rows, os.path.join(args.results, "latest.svg"),
                    f"grpc-amqp-bridge, {started:%Y-%m-%d %H:%M} UTC"
                    f"{' (--quick)' if settings.quick else ''}, {len(bench.rounds)} round(s), "
                    f"{info['cores']} cores, CPUs {info['busy_before_start']:.0%} busy "
                    f"with other work before the run")
    log(f"wrote {os.path.relpath(args.results, REPO)}/latest.md, latest.json"
        f"{' and latest.svg' if drawn else ''} (process logs in {workdir})")


if __name__ == "__main__":
    main()
