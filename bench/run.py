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

with columns: sequential p50/p99 latency, throughput at 1, 16 and 64 calls in
flight, and for bridge rows the bridge's CPU time per call and peak RSS.
Then two memory checks of the bridge (1,000 calls in flight; RSS across
200,000 calls), the microbenchmarks, and the targets of the issue as ratios
of this run. Prints the table and writes bench/results/latest.{md,json}.

Every process it starts is stopped by its PID, also on errors and Ctrl-C.
Runs under /usr/bin/python3 (oslo.messaging, grpcio, py-amqp).
"""
import argparse
import datetime
import json
import os
import platform
import re
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
REVERSE_PYTHON = "oslo python -> bridge -> C++ gRPC"
REVERSE_RUNTIME = "runtime -> bridge -> C++ gRPC"
ROWS = ("floor", "oslo python", "runtime", "bridge -> C++", "bridge -> python",
        "direct gRPC", REVERSE_PYTHON, REVERSE_RUNTIME)
BRIDGE_ROWS = ("bridge -> C++", "bridge -> python")
# Binaries bench/run.sh builds with -c opt, relative to bazel-bin.
BINARIES = {
    "amqp_floor": "bench/amqp_floor",
    "oslo_load": "bench/oslo_load",
    "grpc_direct_server": "bench/grpc_direct_server",
    "micro_envelope": "bench/micro_envelope",
    "micro_transcode": "bench/micro_transcode",
    "micro_dispatch": "bench/micro_dispatch",
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


class H2load:
    """h2load speaking gRPC over h2c with a prepared request body."""

    def __init__(self, port, workdir):
        self.url = f"http://127.0.0.1:{port}{PING_PATH}"
        self.workdir = workdir

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
        # no message): every success must have carried a reply with the payload.
        if result["failed"] or result["errored"] or \
                result["data_bytes"] < succeeded * (5 + payload_bytes):
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
        self.rows = {}      # (row, size) -> measurements
        self.checks = {}    # separate measurements
        self.queues = []    # broker queues to delete at the end

    def point(self, row, size):
        return self.rows.setdefault((row, size), {"row": row, "payload_bytes": size})

    # Rows measured by their own load generators (floor, runtime, python).
    def generator_row(self, row, size, argv, seq_calls):
        """A row whose load generator (`argv`) measures itself."""
        point = self.point(row, size)
        common = [f"--payload_bytes={size}", f"--warmup_seconds={self.s.warmup}"]
        log(f"{row}, {size} B: sequential")
        seq = run_json(argv + common + ["--mode=latency", f"--calls={seq_calls}"])
        self._check_errors(row, seq)
        point.update(p50_us=seq["p50_us"], p99_us=seq["p99_us"])
        for in_flight in IN_FLIGHT:
            log(f"{row}, {size} B: {in_flight} in flight")
            result = run_json(argv + common + ["--mode=throughput", f"--in_flight={in_flight}",
                                               f"--seconds={self.s.seconds}"])
            self._check_errors(row, result)
            point[f"throughput_{in_flight}"] = result["throughput"]

    @staticmethod
    def _check_errors(row, result):
        if result.get("errors"):
            raise RuntimeError(f"{row}: {result['errors']} calls failed: {result}")

    # Rows driven by h2load (bridge, direct gRPC).
    def h2load_row(self, row, size, port, pid=None):
        h2 = H2load(port, self.workdir)
        check_ping(port, size)
        log(f"{row}, {size} B: sequential")
        point = self.point(row, size)
        seq = h2.latency(size, self.s.seq_calls)
        point.update(p50_us=seq["p50_us"], p99_us=seq["p99_us"])
        for in_flight in IN_FLIGHT:
            log(f"{row}, {size} B: {in_flight} in flight")
            h2.run(size, in_flight, seconds=self.s.warmup)
            cpu_before = cpu_seconds(pid) if pid else None
            result = h2.run(size, in_flight, seconds=self.s.seconds)
            point[f"throughput_{in_flight}"] = result["throughput"]
            if pid:
                # The calls of the measured run (those cut off at its end
                # cost little and are not counted).
                cpu = cpu_seconds(pid) - cpu_before
                point[f"bridge_cpu_us_per_call_{in_flight}"] = round(
                    cpu / max(1, result["succeeded"]) * 1e6, 1)
        if pid:
            point["bridge_cpu_us_per_call"] = point["bridge_cpu_us_per_call_64"]
            point["bridge_peak_rss_mb"] = round(status_kb(pid, "VmHWM") / 1024, 1)
            point["bridge_threads"] = threads_of(pid)

    # Processes of the rows.
    def descriptor_set(self, topic):
        """The example API compiled with its topic replaced by `topic`, so
        that no other compute server on this broker answers our calls."""
        src_dir = os.path.join(self.workdir, f"api-{topic}")
        os.makedirs(os.path.join(src_dir, "examples"), exist_ok=True)
        with open(os.path.join(REPO, "proto/examples/compute.proto")) as f:
            source = f.read()
        source, count = re.subn(r'topic: "compute"', f'topic: "{topic}"', source)
        if count != 1:
            raise RuntimeError('compute.proto no longer sets topic: "compute"')
        with open(os.path.join(src_dir, "examples/compute.proto"), "w") as f:
            f.write(source)
        out = os.path.join(self.workdir, f"{topic}.pb")
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
            self.checks.setdefault("bridge_calls", {})[key] = {
                "calls": int(stopped.group(1)), "failed": int(stopped.group(2))}

    def bridge_rows(self, row, descriptor_set, name):
        """The h2load row through a fresh bridge for each request size."""
        for size in SIZES:
            bridge, port = self.start_bridge(descriptor_set, f"{name}-{size}")
            try:
                self.h2load_row(row, size, port, bridge.pid)
            finally:
                self.stop_bridge(bridge, f"{row} {size}")

    def compute_server(self, kind, topic):
        self.queues += [topic, f"{topic}.bench"]
        if kind == "cpp":
            # Its methods never block: they run on the I/O thread (no
            # hand-off to a worker per request).
            server = Process([self.bins["compute_server"], f"--transport_url={TRANSPORT_URL}",
                              f"--topic={topic}", "--server=bench", "--executor_threads=0"],
                             f"cpp-{topic}", self.workdir)
        else:
            server = Process(["/usr/bin/python3",
                              os.path.join(REPO, "examples/python/compute_server.py"),
                              "--transport_url", TRANSPORT_URL, "--topic", topic,
                              "--server", "bench"], f"py-{topic}", self.workdir)
        server.wait_for("ready")
        return server

    # Phases.
    def floor(self):
        queue = f"bench_floor_{self.run_id}"
        server = Process([self.bins["amqp_floor"], "--role=server", f"--queue={queue}",
                          f"--transport_url={TRANSPORT_URL}"], "floor-server", self.workdir)
        try:
            server.wait_for("ready")
            for size in SIZES:
                self.generator_row("floor", size, [self.bins["amqp_floor"], "--role=client",
                                                   f"--queue={queue}"], self.s.seq_calls)
        finally:
            server.stop()

    def cpp_phase(self):
        topic = f"bench_{self.run_id}_cpp"
        server = self.compute_server("cpp", topic)
        try:
            for size in SIZES:
                self.generator_row("runtime", size, [self.bins["oslo_load"], f"--topic={topic}"],
                                   self.s.seq_calls)
            api = self.descriptor_set(topic)
            self.bridge_rows("bridge -> C++", api, "bridge-cpp")
            self.rss_in_flight(api)
            self.rss_growth(api)
        finally:
            server.stop()

    def python_phase(self):
        topic = f"bench_{self.run_id}_py"
        server = self.compute_server("python", topic)
        try:
            for size in SIZES:
                self.generator_row("oslo python", size,
                                   ["/usr/bin/python3",
                                    os.path.join(REPO, "bench/oslo_python_load.py"),
                                    f"--topic={topic}"], self.s.seq_calls_python)
            self.bridge_rows("bridge -> python", self.descriptor_set(topic), "bridge-py")
        finally:
            server.stop()

    def direct_phase(self):
        server = Process([self.bins["grpc_direct_server"], "--listen=127.0.0.1:0"],
                         "grpc-direct", self.workdir)
        try:
            port = int(server.wait_for(r"listening on [^\s:]+:(\d+)").group(1))
            for size in SIZES:
                self.h2load_row("direct gRPC", size, port)
        finally:
            server.stop()

    def reverse_phase(self):
        """oslo clients -> grpc_amqp_bridge --backend -> a C++ gRPC server."""
        topic = f"bench_{self.run_id}_rev"
        self.queues += [topic, f"{topic}.bench"]
        backend = Process([self.bins["grpc_direct_server"], "--listen=127.0.0.1:0"],
                          "grpc-backend", self.workdir)
        try:
            port = int(backend.wait_for(r"listening on [^\s:]+:(\d+)").group(1))
            bridge = Process([self.bins["grpc_amqp_bridge"],
                              f"--descriptor_set={self.descriptor_set(topic)}",
                              "--listen=127.0.0.1:0", f"--transport_url={TRANSPORT_URL}",
                              f"--backend=examples.compute.Compute=127.0.0.1:{port}",
                              "--server_name=bench"], "bridge-reverse", self.workdir)
            try:
                bridge.wait_for(r"listening on")
                for size in SIZES:
                    self.generator_row(REVERSE_PYTHON, size,
                                       ["/usr/bin/python3",
                                        os.path.join(REPO, "bench/oslo_python_load.py"),
                                        f"--topic={topic}"], self.s.seq_calls_python)
                    self.generator_row(REVERSE_RUNTIME, size,
                                       [self.bins["oslo_load"], f"--topic={topic}"],
                                       self.s.seq_calls)
            finally:
                bridge.stop()
        finally:
            backend.stop()

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
                "growth_mb": round((last - first) / 1024, 1),
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
        self.checks["micro_ns"] = results

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


def ms(us):
    return "–" if us is None else f"{us / 1000:.3f}"


def num(value, fmt="{:,.0f}"):
    return "–" if value is None else fmt.format(value)


def table(rows):
    header = ("| row | request | seq p50 ms | seq p99 ms | calls/s @1 | @16 | @64 "
              "| bridge CPU µs/call | bridge peak RSS MB |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = []
    for row in ROWS:
        for size in SIZES:
            p = rows.get((row, size))
            if p is None:
                continue
            lines.append(
                f"| {row} | {'64 B' if size == 64 else '4 KiB'} | {ms(p.get('p50_us'))} "
                f"| {ms(p.get('p99_us'))} | {num(p.get('throughput_1'))} "
                f"| {num(p.get('throughput_16'))} | {num(p.get('throughput_64'))} "
                f"| {num(p.get('bridge_cpu_us_per_call'), '{:.0f}')} "
                f"| {num(p.get('bridge_peak_rss_mb'), '{:.1f}')} |")
    return header + "\n".join(lines) + "\n"


def targets(rows, checks):
    """The issue's targets as ratios of this run."""
    def get(row, key, size=64):
        return rows.get((row, size), {}).get(key)

    out = []

    def target(name, value, limit, met, detail):
        out.append({"target": name, "value": value, "limit": limit,
                    "met": bool(met) if value is not None and limit is not None else None,
                    "detail": detail})

    bridge64 = get("bridge -> C++", "throughput_64")
    floor64 = get("floor", "throughput_64")
    if bridge64 and floor64:
        target("bridge -> C++ @64 >= 0.5 x floor @64", round(bridge64 / floor64, 2), 0.5,
               bridge64 >= 0.5 * floor64, f"{bridge64:,.0f} vs floor {floor64:,.0f} calls/s")
    python_best = max((get("oslo python", f"throughput_{n}") or 0) for n in IN_FLIGHT)
    if bridge64 and python_best:
        target("bridge -> C++ @64 >= 30 x oslo python (best)",
               round(bridge64 / python_best, 1), 30, bridge64 >= 30 * python_best,
               f"{bridge64:,.0f} vs oslo python best {python_best:,.0f} calls/s")
    bridge_p50 = get("bridge -> C++", "p50_us")
    floor_p50 = get("floor", "p50_us")
    if bridge_p50 and floor_p50:
        target("bridge -> C++ seq p50 <= floor p50 + 0.15 ms",
               round((bridge_p50 - floor_p50) / 1000, 3), 0.15,
               bridge_p50 <= floor_p50 + 150,
               f"{bridge_p50 / 1000:.3f} ms vs floor {floor_p50 / 1000:.3f} ms")
    rss = checks.get("rss_1000_in_flight")
    if rss:
        target("bridge peak RSS <= 64 MB with 1,000 in flight", rss["peak_rss_mb"], 64,
               rss["peak_rss_mb"] <= 64,
               f"{rss['peak_rss_mb']} MB at {rss['throughput']:,.0f} calls/s")
    # The reverse direction, against the same peers in the same run.
    for row, base, limit in ((REVERSE_PYTHON, "oslo python", 1.0),
                             (REVERSE_RUNTIME, "runtime", 0.5)):
        best = max((get(row, f"throughput_{n}") or 0) for n in IN_FLIGHT)
        base_best = max((get(base, f"throughput_{n}") or 0) for n in IN_FLIGHT)
        if best and base_best:
            target(f"{row} (best) >= {limit} x {base} (best)", round(best / base_best, 2),
                   limit, best >= limit * base_best,
                   f"{best:,.0f} vs {base_best:,.0f} calls/s")
    growth = checks.get("rss_growth")
    if growth:
        target(f"no RSS growth across {growth['calls']:,} calls (<= 1 MB)",
               growth["growth_mb"], 1.0, growth["growth_mb"] <= 1.0,
               f"median {growth['rss_first_quarter_mb']} -> {growth['rss_last_quarter_mb']} MB")
    micro = checks.get("micro_ns", {})
    # The bridge's own path: straight between wire bytes and JSON.
    for name, label in (("BM_WireToArgs_Ping/4096", "proto -> args, 4 KiB"),
                        ("BM_ResultToWire_Ping/4096", "result -> proto, 4 KiB"),
                        ("BM_WireToArgs_Instances4K", "proto -> args, 4 KiB structured"),
                        ("BM_ResultToWire_Instances4K", "result -> proto, 4 KiB structured")):
        if name in micro:
            us = micro[name] / 1000
            target(f"transcoding <= 10 µs: {label}", round(us, 2), 10, us <= 10, name)
    return out


def report(bench, settings, info, started):
    rows = bench.rows
    checks = bench.checks
    goals = targets(rows, checks)
    md = [f"# grpc-amqp-bridge benchmarks\n",
          f"Run {started:%Y-%m-%d %H:%M} UTC{' (--quick)' if settings.quick else ''}: "
          f"{info['cores']} cores, {info['cpu_model']}, {info['memory_gb']} GB, "
          f"kernel {info['kernel']}; RabbitMQ {info['rabbitmq']}, h2load {info['h2load']}, "
          f"gRPC {info['grpc']}, Python {info['python']}. CPUs busy with other work: "
          f"{info['busy_before_start']:.0%} before the run, {info['busy_after_end']:.0%} "
          f"after it (load average at start "
          f"{', '.join(f'{x:.2f}' for x in info['loadavg_at_start'])}).\n",
          f"Request = Ping with a payload of 64 B or 4 KiB; throughput points ran "
          f"{settings.seconds:g} s each after a {settings.warmup:g} s warm-up; sequential "
          f"latency over {settings.seq_calls} calls ({settings.seq_calls_python} for "
          f"oslo python). Bridge CPU per call is measured at 64 in flight.\n",
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
    micro = checks.get("micro_ns")
    if micro:
        md.append("Microbenchmarks (CPU ns per operation):\n\n| benchmark | ns |\n|---|---:|\n"
                  + "".join(f"| {k} | {v:,.0f} |\n" for k, v in micro.items()))
    for phase, error in checks.get("failed_phases", {}).items():
        md.append(f"**Phase {phase} failed** (its rows are missing): "
                  f"{error.strip().splitlines()[-1]}\n")
    md.append("Targets (ratios of this run, 64 B requests unless said):\n\n"
              "| target | value | limit | met |\n|---|---:|---:|---|\n"
              + "".join(f"| {g['target']} ({g['detail']}) | {g['value']} | {g['limit']} "
                        f"| {'yes' if g['met'] else 'NO'} |\n" for g in goals))
    text = "\n".join(md)
    data = {"started": started.isoformat() + "Z", "quick": settings.quick, "machine": info,
            "rows": [rows[k] for k in sorted(rows, key=lambda k: (ROWS.index(k[0]), k[1]))],
            "checks": checks, "targets": goals}
    return text, data


def run_phase(bench, phase, attempts=3):
    """Runs one phase; when it fails (the shared broker may be restarted by
    someone's test), waits for the broker and runs it again."""
    method = getattr(bench, {"floor": "floor", "cpp": "cpp_phase", "python": "python_phase",
                             "direct": "direct_phase", "reverse": "reverse_phase",
                             "micro": "micro"}[phase])
    for attempt in range(1, attempts + 1):
        try:
            method()
            return
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            Process.stop_all()
            log(f"{phase} failed (attempt {attempt} of {attempts}): {e}")
            if attempt == attempts:
                bench.checks.setdefault("failed_phases", {})[phase] = str(e)[-2000:]
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
    parser.add_argument("--only", default="",
                        help="comma-separated phases: floor,cpp,python,direct,reverse,micro")
    parser.add_argument("--results", default=os.path.join(REPO, "bench/results"))
    parser.add_argument("--wait_quiet", type=float, default=300,
                        help="seconds to wait at most for an idle machine before starting")
    args = parser.parse_args()
    settings = Settings(args.quick)
    phases = [p for p in args.only.split(",") if p] or ["floor", "cpp", "python", "direct",
                                                           "reverse", "micro"]
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
        for phase in phases:
            run_phase(bench, phase)
    finally:
        Process.stop_all()
        bench.cleanup_queues()
    info["busy_after_end"] = round(busy_fraction(), 2)
    text, data = report(bench, settings, info, started)
    print(text)
    os.makedirs(args.results, exist_ok=True)
    write_atomically(os.path.join(args.results, "latest.md"), text)
    write_atomically(os.path.join(args.results, "latest.json"), json.dumps(data, indent=2) + "\n")
    log(f"wrote {os.path.relpath(args.results, REPO)}/latest.md and latest.json "
        f"(process logs in {workdir})")


if __name__ == "__main__":
    main()
