#!/usr/bin/python3
"""A broker restart under steady load. The C++ runtime client (load_driver)
and python3-grpcio threads through the bridge send calls and casts for the
whole test while RabbitMQ's AMQP side stops (rabbitmqctl stop_app) for about
5 s and starts again. It asserts:

* every call and cast ends by its deadline (OK, UNAVAILABLE or
  DEADLINE_EXCEEDED): none hangs;
* no process exits;
* calls succeed again within 5 s of the broker accepting logins, without
  restarting anything, and the C++ servers consume their queues again;
* every cast answered OK (publisher-confirmed) reached a server, on topics
  with durable queues (amqp_durable_queues=true: stop_app/start_app keeps
  durable queues and their persistent messages). On a topic with oslo's
  default transient queues, RabbitMQ drops the queues and what they held:
  confirmed casts may be lost, but only those confirmed just before the
  broker went down; the test counts them;
* thread counts and RSS after the outage are in their range before it.

Every process uses rabbit_interval_max=2: oslo's reconnect backoff (1 s, +2 s
per failure, up to rabbit_interval_max = 30 s by default) would otherwise
let a process sleep up to 7 s after a 5 s outage before it tries again.

Stops the broker for every client on this machine: tagged "exclusive",
"broker" and "no-sandbox" (rabbitmqctl needs the broker's Erlang cookie).
RELIABILITY_AMQP_PORT and RELIABILITY_RABBIT_NODE point it at another node
(for development, so as not to stop the shared broker).
"""
import collections
import os
import re
import signal
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robustness as rb  # noqa: E402
from robustness import bh, harness  # noqa: E402

import amqp  # noqa: E402
import grpc  # noqa: E402

NODE = os.environ.get("RELIABILITY_RABBIT_NODE", "")
if os.environ.get("RELIABILITY_AMQP_PORT"):
    harness.BROKER_PORT = int(os.environ["RELIABILITY_AMQP_PORT"])
    harness.TRANSPORT_URL = f"rabbit://guest:guest@{harness.BROKER_HOST}:{harness.BROKER_PORT}/"

WARMUP_SECONDS = 8        # load before the outage
OUTAGE_SECONDS = 5        # between stop_app returning and start_app
AFTER_SECONDS = 12        # load after the broker is back
DEADLINE = 3.0            # of every call and cast
HUNG_SLACK = 1.0          # an operation may end this late past its deadline
RECOVERY_SECONDS = 5      # calls succeed again this soon after the broker
BRIDGE_THREADS = 4
THREAD_SLACK = 4          # threads after the outage vs before
RSS_SLACK_KIB = 32 * 1024
# Casts confirmed this long before stop_app began may be lost with a
# transient queue: still in the queue, or in a server's socket unread.
TRANSIENT_LOSS_WINDOW = 2.0
ENDINGS = {"OK", "UNAVAILABLE", "DEADLINE_EXCEEDED"}


def report(what, value):
    print(f"measure: {what}: {value}", flush=True)


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # unwind: `finally` restarts the broker


class Op:
    """One finished call or cast: kind, end (time.time()), code, elapsed, id."""
    __slots__ = ("kind", "end", "code", "elapsed", "id")

    def __init__(self, kind, end, code, elapsed, id_=""):
        self.kind, self.end, self.code, self.elapsed, self.id = kind, end, code, elapsed, id_


def read_driver_record(path):
    ops = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            ops.append(Op(parts[0], float(parts[1]), parts[2], float(parts[3]) / 1000,
                          parts[4] if len(parts) > 4 else ""))
    return ops


class Leg:
    """One topic with its own exchange and C++ server, and a load_driver."""

    def __init__(self, name, durable, workdir):
        self.name = name
        self.durable = durable
        self.topic = harness.unique(f"restart_{name}")
        self.exchange = f"reliability_{uuid.uuid4().hex[:10]}"
        query = "rabbit_interval_max=2" + ("&amqp_durable_queues=true" if durable else "")
        self.url = f"{harness.TRANSPORT_URL}?{query}"
        self.record = os.path.join(workdir, f"{name}.record")
        self.server = None
        self.driver = None

    def start_server(self):
        self.server = rb.cpp_server(self.topic, "host1", f"--exchange={self.exchange}",
                                    "--executor_threads=8", transport_url=self.url,
                                    name=f"server-{self.name}")

    def start_driver(self):
        self.driver = harness.Process(
            [harness.runfile("tests/reliability/robustness/load_driver"),
             f"--transport_url={self.url}", f"--exchange={self.exchange}",
             f"--topic={self.topic}", "--server=host1", "--threads=3",
             f"--deadline_ms={int(DEADLINE * 1000)}", f"--id_prefix={self.name}",
             f"--record={self.record}"], f"driver-{self.name}")
        self.driver.wait_for_output("load_driver: running", timeout=30)

    def received_ids(self):
        return re.findall(r"cast reboot_instance vm-1 HARD \(request (\S+)\)",
                          self.server.output())


class BridgeLoad:
    """python3-grpcio threads: a call and a cast through the bridge per turn."""

    def __init__(self, bridge, messages):
        self.bridge, self.m = bridge, messages
        self.ops = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(BRIDGE_THREADS)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(DEADLINE + 10)

    def measure(self, kind, id_, fn):
        started = time.monotonic()
        try:
            fn()
            code = "OK"
        except grpc.RpcError as e:
            code = e.code().name
        with self.lock:
            self.ops.append(Op(kind, time.time(), code, time.monotonic() - started, id_))

    def run(self, thread):
        get = self.bridge.unary("GetInstance", self.m.Instance)
        reboot = self.bridge.unary("RebootInstance", self.m.Empty)
        n = 0
        while not self.stop.is_set():
            self.measure("call", "", lambda: get(self.m.GetInstanceRequest(instance_uuid="vm-1"),
                                                 timeout=DEADLINE))
            id_ = f"bridge-{thread}-{n}"
            self.measure("cast", id_, lambda: reboot(
                self.m.RebootInstanceRequest(host="host1", instance_uuid="vm-1", reboot_type=1),
                metadata=[("x-request-id", id_)], timeout=DEADLINE))
            n += 1
            time.sleep(0.02)


def summarize(name, ops, stop_at, up_at):
    """Prints outcome counts; returns (first OK call after up_at, first
    failure after stop_at), as seconds from those moments."""
    counts = collections.Counter((op.kind, op.code) for op in ops)
    report(f"{name} outcomes", ", ".join(f"{kind} {code}: {n}"
                                        for (kind, code), n in sorted(counts.items())))
    first_ok = min((op.end for op in ops if op.kind == "call" and op.code == "OK"
                    and op.end - op.elapsed >= up_at), default=None)
    first_fail = min((op.end for op in ops if op.code != "OK" and op.end >= stop_at),
                     default=None)
    return (None if first_ok is None else first_ok - up_at,
            None if first_fail is None else first_fail - stop_at)


class RestartUnderLoadTest(harness.unittest.TestCase):

    def setUp(self):
        self.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.durable = Leg("durable", True, self.workdir)
        self.transient = Leg("transient", False, self.workdir)
        self.legs = [self.durable, self.transient]
        self.processes = []
        self.api = bh.Api(self.durable.topic, self.workdir)
        self.m = self.api.messages
        for leg in self.legs:
            leg.start_server()
            self.processes.append(leg.server)
        self.bridge = bh.Bridge(self.api.descriptor_set, f"--transport_url={self.durable.url}",
                                f"--control_exchange={self.durable.exchange}",
                                f"--rpc_response_timeout={DEADLINE}")
        self.processes.append(self.bridge)
        for leg in self.legs:
            leg.start_driver()
            self.processes.append(leg.driver)

    def tearDown(self):
        for process in reversed(self.processes):
            process.stop()
        # Durable queues and exchanges outlive broker restarts: delete ours.
        raw = rb.RawAmqp()
        try:
            for queue in (self.durable.topic, f"{self.durable.topic}.host1",
                          f"{self.durable.topic}_parked"):
                raw.channel.queue_delete(queue)
            raw.channel.exchange_delete(self.durable.exchange)
        finally:
            raw.close()

    def park_messages(self):
        """What RabbitMQ keeps over stop_app/start_app, shown directly: 10
        persistent (delivery_mode 2), publisher-confirmed messages in a queue
        with no consumer, once durable and once transient like oslo's."""
        raw = rb.RawAmqp()
        parked = {}
        try:
            for leg in self.legs:
                queue = f"{leg.topic}_parked"
                raw.channel.queue_declare(queue, durable=leg.durable, auto_delete=False)
                raw.channel.queue_bind(queue, leg.exchange, queue)
                for n in range(10):
                    raw.publish(leg.exchange, queue, f'{{"n": {n}}}')
                parked[leg.name] = queue
        finally:
            raw.close()
        return parked

    def check_parked_messages(self, parked):
        raw = rb.RawAmqp()
        try:
            _, count, _ = raw.channel.queue_declare(parked["durable"], passive=True)
            report("a durable queue's 10 confirmed persistent messages after the restart",
                   f"{count} left")
            self.assertEqual(count, 10)
            raw.channel.queue_delete(parked["durable"])
            with self.assertRaises(amqp.exceptions.NotFound):
                raw.channel.queue_declare(parked["transient"], passive=True)
            report("a transient queue with 10 confirmed persistent messages after the restart",
                   "gone, with its messages")
        finally:
            raw.close()

    def stats(self):
        return {p.name: rb.proc_stats(p.popen.pid) for p in self.processes}

    def assert_alive(self):
        for process in self.processes:
            self.assertIsNone(process.popen.poll(),
                              f"{process.name} exited:\n{process.output()[-5000:]}")

    def test_broker_restart_under_load(self):
        bridge_load = BridgeLoad(self.bridge, self.m)
        bridge_load.start()
        previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
        broker_stopped = False
        parked = self.park_messages()
        try:
            time.sleep(WARMUP_SECONDS)
            before = self.stats()
            broker_stopped = True
            stop_at = time.time()
            harness.rabbitmqctl("stop_app", node=NODE)
            stopped_at = time.time()
            report("rabbitmqctl stop_app took", f"{stopped_at - stop_at:.3f}s")
            time.sleep(OUTAGE_SECONDS)
            self.assert_alive()
            harness.start_broker(node=NODE)
            broker_stopped = False
            up_at = time.time()
            report("outage (stop_app began .. logins work again)", f"{up_at - stop_at:.3f}s")
            time.sleep(AFTER_SECONDS)
            after = self.stats()
            self.assert_alive()
        finally:
            try:
                if broker_stopped:
                    harness.start_broker(node=NODE)
            finally:
                signal.signal(signal.SIGTERM, previous)
                bridge_load.finish()
        for leg in self.legs:
            leg.driver.stop()
            self.processes.remove(leg.driver)
        self.assert_alive()

        ops = {"bridge": bridge_load.ops}
        for leg in self.legs:
            ops[f"runtime {leg.name}"] = read_driver_record(leg.record)

        # Every operation ended by its deadline, with one of the three codes.
        for name, records in ops.items():
            first_ok, first_fail = summarize(name, records, stop_at, up_at)
            report(f"{name}: first failure after stop_app began",
                   "none" if first_fail is None else f"{first_fail:.3f}s")
            report(f"{name}: first successful call after the broker was back",
                   "none" if first_ok is None else f"{first_ok:.3f}s")
            late = [op for op in records if op.elapsed > DEADLINE + HUNG_SLACK]
            report(f"{name}: slowest operation", f"{max(op.elapsed for op in records):.3f}s")
            self.assertEqual(late, [], f"{name}: operations past their deadline: "
                             f"{[(op.kind, op.code, op.elapsed) for op in late[:10]]}")
            codes = {op.code for op in records}
            self.assertLessEqual(codes, ENDINGS, f"{name}: unexpected outcomes {codes}")
            self.assertIsNotNone(first_ok, f"{name}: no call succeeded after the outage")
            self.assertLess(first_ok, RECOVERY_SECONDS,
                            f"{name}: calls failed for {first_ok:.1f}s after the broker was back")
            # Working again means working: no failure in the last seconds.
            tail = [op for op in records if op.end >= up_at + RECOVERY_SECONDS + DEADLINE]
            self.assertTrue(tail, f"{name}: no load after recovery")
            self.assertEqual([op.code for op in tail if op.code != "OK"], [],
                             f"{name}: failures long after the broker was back")
            self.assertTrue(any(op.end >= stop_at and op.end <= up_at and op.code != "OK"
                                for op in records), f"{name}: the outage went unnoticed")

        self.check_parked_messages(parked)

        # The servers consume again: their queues have consumers.
        raw = rb.RawAmqp()
        try:
            for leg in self.legs:
                for queue in (leg.topic, f"{leg.topic}.host1"):
                    _, _, consumers = raw.channel.queue_declare(queue, passive=True)
                    self.assertEqual(consumers, 1, f"{queue} consumers after the outage")
        finally:
            raw.close()

        # Casts: confirmed OK => received (durable); lost only if confirmed
        # just before the outage (transient).
        confirmed = {name: {op.id for op in records if op.kind == "cast" and op.code == "OK"}
                     for name, records in ops.items()}
        confirmed_at = {op.id: op.end for records in ops.values() for op in records
                        if op.kind == "cast" and op.code == "OK"}
        attempted = {name: {op.id for op in records if op.kind == "cast"}
                     for name, records in ops.items()}

        def settle(leg, wanted):
            """The ids a server received, once it has all of `wanted` or
            received nothing new for a second."""
            deadline, last = time.monotonic() + 20, -1
            while True:
                got = leg.received_ids()
                if wanted <= set(got) or len(got) == last or time.monotonic() > deadline:
                    return got
                last = len(got)
                time.sleep(1)

        durable_wanted = confirmed["bridge"] | confirmed["runtime durable"]
        received = settle(self.durable, durable_wanted)
        received_set = set(received)
        duplicates = len(received) - len(received_set)
        lost = durable_wanted - received_set
        unconfirmed_delivered = received_set - durable_wanted
        report("durable casts (bridge + runtime)",
               f"{len(attempted['bridge']) + len(attempted['runtime durable'])} attempted, "
               f"{len(durable_wanted)} confirmed OK, {len(received_set)} received, "
               f"{len(lost)} confirmed but lost, {len(unconfirmed_delivered)} received though "
               f"not confirmed, {duplicates} received twice")
        self.assertEqual(lost, set(), "casts confirmed OK never reached the server")
        self.assertLessEqual(received_set, attempted["bridge"] | attempted["runtime durable"])

        wanted = confirmed["runtime transient"]
        received = set(settle(self.transient, wanted))
        lost = wanted - received
        window = [i for i in lost if stop_at - TRANSIENT_LOSS_WINDOW <= confirmed_at[i] <= stopped_at]
        report("transient casts (runtime)",
               f"{len(attempted['runtime transient'])} attempted, {len(wanted)} confirmed OK, "
               f"{len(received)} received, {len(lost)} confirmed but lost with the transient "
               f"queue (all confirmed within {TRANSIENT_LOSS_WINDOW}s before stop_app: "
               f"{len(window) == len(lost)})")
        self.assertEqual(sorted(lost), sorted(window),
                         "a confirmed cast was lost that the broker had long before the outage")
        self.assertLessEqual(received, attempted["runtime transient"])

        # Threads and memory are back in their range.
        for name, (threads, rss) in after.items():
            threads_before, rss_before = before[name]
            report(f"{name} threads / RSS", f"{threads_before} / {rss_before / 1024:.1f} MiB "
                   f"before, {threads} / {rss / 1024:.1f} MiB after")
            self.assertLessEqual(threads, threads_before + THREAD_SLACK, f"{name} threads")
            self.assertLessEqual(rss, rss_before + RSS_SLACK_KIB, f"{name} RSS")
        for process in (self.bridge, self.durable.server, self.transient.server):
            for line in process.output().splitlines():
                if any(w in line for w in ("connected to", "lost the connection", "SERVING")):
                    print(f"{process.name}: {line}", flush=True)


def main():
    try:
        harness.run([RestartUnderLoadTest])
    finally:
        if not harness.broker_accepts_login():
            print("restarting RabbitMQ, which does not accept logins", flush=True)
            harness.start_broker(node=NODE)


if __name__ == "__main__":
    main()
