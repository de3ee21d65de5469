#!/usr/bin/python3
"""Failover across a real two-node RabbitMQ cluster (docs/reliability.md).

The test builds the cluster itself (tests/reliability/rabbit_nodes.py: two
nodes with their own names, ports and data folders, joined with rabbitmqctl
join_cluster; the system broker is not touched) and gives the bridge and a
C++ example server (examples/cpp/compute_server) a transport_url that lists
both nodes. It makes sure both are connected to node A (B's AMQP side is
stopped while they start, so their first connect also fails over), then
kills node A with SIGKILL, as a crash would, while a client keeps calling:

  * the bridge and the server move to node B, and calls through the bridge
    work again within 10 s (measured: first success, then 5 in a row);
  * oslo's non-durable queues died with node A; the runtime declared them
    again on B: the server's topic, topic.server and fanout queues, and the
    bridge's reply queue, each with its consumer;
  * health is SERVING, casts and GATHER (fanout + reply queue) work.

Then node A is started again (it rejoins from its data folder), node B is
killed, and everything moves back to A within 10 s.

A second test freezes node A instead (SIGSTOP: open, silent sockets, like a
hung machine) with heartbeat_timeout_threshold=2 in the URL and the nodes'
net_ticktime at 10 s: the bridge and the server notice through heartbeats,
calls fail (UNAVAILABLE or at their deadline, none hangs) until node B has
given A up and the queues can be declared again on B, then work again
(bound: 60 s; measured ~23 s).

Tags "broker" (the harness checks the system broker), "no-sandbox" (Erlang
nodes register with the machine's epmd and run rabbitmqctl). Prints the
timings it measures ("timing: ...").
"""
import os
import re
import signal
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "bridge"))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402
import rabbit_nodes  # noqa: E402

import grpc  # noqa: E402

SERVING = b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}
# The bound: calls work again within this long after the kill.
FAILOVER_SECONDS = 10
# The nodes' Erlang net_ticktime: how long a node takes to declare a silent
# peer down (RabbitMQ's default is 60 s), and so to drop the queues that
# lived on it; until then declaring them again elsewhere blocks.
NET_TICKTIME = 10
# A frozen node: client heartbeats (2 x heartbeat_timeout_threshold), then
# net_ticktime, a 10 s AMQP method timeout and the reconnect backoff.
HEARTBEAT_SECONDS = 2
FROZEN_SECONDS = 60
RECOVERED_STREAK = 5
CALL_TIMEOUT = 3


def report(what, seconds):
    print(f"timing: {what}: {seconds:.3f}s", flush=True)


def _stop_on_sigterm(signum, frame):
    # Bazel's timeout sends SIGTERM: unwind so that the nodes are stopped.
    raise KeyboardInterrupt(f"signal {signum}")


class Caller:
    """Calls GetInstance through the bridge in a loop on its own thread and
    records (time, ok, detail) for each call."""

    def __init__(self, bridge, messages):
        self._call = bridge.unary("GetInstance", messages.Instance)
        self._request = messages.GetInstanceRequest(instance_uuid="vm-1")
        self.results = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                ok = self._call(self._request, timeout=CALL_TIMEOUT).name == "web"
                self.results.append((started, ok, "" if ok else "wrong answer"))
            except grpc.RpcError as e:
                self.results.append((started, False, f"{e.code().name} {e.details()}"))
                time.sleep(0.05)
            time.sleep(0.05)

    def stop(self):
        self._stop.set()
        self._thread.join(CALL_TIMEOUT + 2)

    def recovered_after(self, since):
        """Seconds from `since` to the first of RECOVERED_STREAK successes in
        a row among the calls started after `since` (None if not yet), the
        first success, and the failures seen."""
        streak, first_ok, streak_start, failures = 0, None, None, []
        for started, ok, detail in list(self.results):
            if started < since:
                continue
            if ok:
                first_ok = first_ok or started
                if streak == 0:
                    streak_start = started
                streak += 1
                if streak >= RECOVERED_STREAK:
                    return streak_start - since, first_ok - since, failures
            else:
                streak = 0
                failures.append(detail)
        return None, (first_ok - since if first_ok else None), failures


class ClusterFailoverTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.previous_sigterm = signal.signal(signal.SIGTERM, _stop_on_sigterm)
        cls.cluster = rabbit_nodes.RabbitCluster(2, cls.workdir, net_ticktime=NET_TICKTIME)
        cls.cluster.start()
        report("two-node cluster booted and joined", cls.cluster.formed_seconds)
        cls.topic = harness.unique("failover")
        cls.api = bh.Api(cls.topic, cls.workdir)
        cls.m = cls.api.messages
        cls.url = cls.cluster.transport_url()
        cls.server = cls.bridge = None
        cls.processes = []

    @classmethod
    def tearDownClass(cls):
        try:
            for process in cls.processes:
                process.stop()
                # What the two saw of the failover, for the test log.
                for line in process.output().splitlines():
                    if any(w in line for w in ("connect", "SERVING", "retrying", "ready")):
                        print(f"{process.name}: {line}", flush=True)
        finally:
            cls.cluster.remove()
            signal.signal(signal.SIGTERM, cls.previous_sigterm)

    # Helpers ----------------------------------------------------------------

    def start_processes(self, url):
        cls = type(self)
        for process in cls.processes:
            process.stop()
        cls.server = harness.Process(
            [harness.runfile("examples/cpp/compute_server"), f"--transport_url={url}",
             f"--topic={self.topic}", "--server=host1"], "cpp-host1")
        cls.processes.append(cls.server)
        cls.server.wait_for_output("ready", timeout=30)
        cls.bridge = bh.Bridge(self.api.descriptor_set, f"--transport_url={url}",
                               "--rpc_response_timeout=10", "--io_threads=2")
        cls.processes.append(cls.bridge)
        self.reply_queue = re.search(r"reply queue (\S+)", self.bridge.output())
        harness.wait_until(lambda: self.health() == SERVING, 15, "bridge health SERVING")

    def health(self):
        try:
            return self.bridge.channel.unary_unary("/grpc.health.v1.Health/Check")(b"", timeout=2)
        except grpc.RpcError:
            return None

    def our_connections(self, via):
        """{connection name: node AMQP port} of the bridge's and server's
        connections, as the cluster lists them."""
        pids = (str(self.bridge.popen.pid), str(self.server.popen.pid))
        return {name: port for name, port in via.connections()
                if name.rsplit(":", 1)[-1] in pids}

    def assert_all_on(self, node, other):
        """Every connection of the bridge (one per I/O thread) and the server
        is on `node`, and so are the queues they own, each consumed."""
        wanted_names = {"compute_server", "grpc_amqp_bridge-0", "grpc_amqp_bridge-1"}

        def settled():
            conns = self.our_connections(node)
            names = {n.split(":")[0] for n in conns}
            return (wanted_names <= names and set(conns.values()) == {node.port}
                    and conns)
        harness.wait_until(settled, 10, f"all connections on {node.name}")
        wanted = [self.topic, f"{self.topic}.host1"]

        def queues_here():
            local = node.local_queues()
            missing = [q for q in wanted if local.get(q, 0) < 1]
            fanout = [q for q in local if q.startswith(f"{self.topic}_fanout_")]
            replies = [q for q in local if q.startswith("reply_") and local[q] >= 1]
            if missing or len(fanout) != 1 or not replies:
                return None
            return local
        local = harness.wait_until(queues_here, 10, f"the queues declared on {node.name}")
        if self.reply_queue:
            self.assertGreaterEqual(local.get(self.reply_queue.group(1), 0), 1,
                                    f"the bridge's reply queue on {node.name}: {local}")
        # Nothing of ours is left on the other node (when it runs).
        if other.running() and not other.frozen:
            theirs = other.local_queues()
            self.assertFalse([q for q in theirs if q.startswith(self.topic)], theirs)
        return local

    def assert_works(self):
        get = self.bridge.unary("GetInstance", self.m.Instance)
        self.assertEqual(get(self.m.GetInstanceRequest(instance_uuid="vm-1"),
                             timeout=CALL_TIMEOUT).name, "web")
        gather = self.bridge.stream("PingAll", self.m.PingReply)
        replies = list(gather(self.m.PingRequest(payload="p"), metadata=[("x-amqp-expect", "1")],
                              timeout=CALL_TIMEOUT))
        self.assertEqual([r.host for r in replies], ["host1"])
        request_id = f"req-{uuid.uuid4()}"
        cast = self.bridge.unary("RebootInstance", self.m.Empty)
        cast(self.m.RebootInstanceRequest(host="host1", instance_uuid="vm-1", reboot_type=1),
             metadata=[("x-request-id", request_id)], timeout=CALL_TIMEOUT)
        self.server.wait_for_output(f"(request {request_id})", timeout=10)
        # The bridge polls its connections for health twice a second.
        harness.wait_until(lambda: self.health() == SERVING, 2, "health SERVING")

    def fail_over(self, victim, survivor, label, freeze=False, bound=FAILOVER_SECONDS):
        """Kills (or freezes) `victim` while calls run; returns the seconds
        until calls worked again, at most `bound`."""
        what = "SIGSTOP" if freeze else "SIGKILL"
        caller = Caller(self.bridge, self.m)
        try:
            harness.wait_until(lambda: caller.recovered_after(0)[0] is not None, 10,
                               "calls before the kill")
            logged = {p.name: len(p.output()) for p in (self.bridge, self.server)}
            killed_at = time.monotonic()
            if freeze:
                victim.freeze()
            else:
                victim.kill()
                report(f"{label}: SIGKILL of {victim.name} until its processes are gone",
                       time.monotonic() - killed_at)
            deadline = killed_at + bound
            while time.monotonic() < deadline:
                recovered, first_ok, failures = caller.recovered_after(killed_at)
                if recovered is not None:
                    break
                time.sleep(0.05)
            recovered, first_ok, failures = caller.recovered_after(killed_at)
        finally:
            caller.stop()
        kinds = sorted({f.split(" ")[0] for f in failures})
        print(f"{label}: {len(failures)} failed call(s) after the {what}"
              + (f" ({', '.join(kinds)}), e.g. {failures[0]}" if failures else ""), flush=True)
        self.assertIsNotNone(
            recovered, f"{label}: calls did not work again within {bound}s of the {what} of "
            f"{victim.name}; failures: {failures[-3:]}\nbridge:\n{self.bridge.output()}"
            f"\nserver:\n{self.server.output()}")
        report(f"{label}: first successful call after the {what}", first_ok)
        report(f"{label}: {RECOVERED_STREAK} successful calls in a row after the {what}",
               recovered)
        self.assertLess(recovered, bound)
        # Each says where it went: "<name>: connected to HOST:PORT ...".
        for process in (self.bridge, self.server):
            harness.wait_until(
                lambda: f"connected to 127.0.0.1:{survivor.port}"
                in process.output()[logged[process.name]:], 5,
                f"{process.name} logging its reconnect to {survivor.name}")
        return recovered

    # The test ---------------------------------------------------------------

    def ensure_cluster(self):
        """Both nodes running and clustered (a previous test may have left
        one dead)."""
        a, b = self.cluster.nodes
        for node in (a, b):
            if not node.running():
                node.launch()
                report(f"node {node.short} restarted and rejoined", node.wait_ready())
        harness.wait_until(
            lambda: sorted(self.cluster.running_nodes(a)) == sorted([a.name, b.name]), 30,
            "both nodes in the cluster")

    def start_on(self, node, other, url):
        """Starts the server and the bridge with all their connections on
        `node`: `other` refuses AMQP meanwhile."""
        other.ctl("stop_app")
        started = time.monotonic()
        self.start_processes(url)
        report(f"server and bridge up with node {other.short}'s AMQP side stopped",
               time.monotonic() - started)
        other.ctl("start_app")
        other.wait_ready()
        self.assert_all_on(node, other)
        self.assert_works()

    def test_1_kill_the_connected_node_and_back(self):
        a, b = self.cluster.nodes
        self.ensure_cluster()
        # Both start while B refuses AMQP: whichever host they shuffle first,
        # they end up on A (a failover at start-up), then B comes back.
        self.start_on(a, b, self.url)

        # Kill A: everything moves to B.
        self.fail_over(a, b, "kill node A")
        self.assert_all_on(b, a)
        self.assert_works()
        for process in (self.bridge, self.server):
            self.assertIsNone(process.popen.poll(), f"{process.name} exited")

        # A comes back (rejoining from its data folder); kill B: back to A.
        a.launch()
        report("node A restarted and rejoined", a.wait_ready())
        harness.wait_until(lambda: a.name in self.cluster.running_nodes(b), 30,
                           "node A in the cluster again")
        self.fail_over(b, a, "kill node B")
        self.assert_all_on(a, b)
        self.assert_works()
        self.assertIn("lost the connection", self.bridge.output())
        self.assertIn("lost the connection", self.server.output())

    def test_2_frozen_node(self):
        """SIGSTOP, not SIGKILL: the node's sockets stay open and silent.
        Client heartbeats notice within 2 x heartbeat_timeout_threshold; the
        queues that lived on the node can be declared again elsewhere only
        once the other node has given it up (net_ticktime)."""
        a, b = self.cluster.nodes
        self.ensure_cluster()
        self.start_on(a, b, f"{self.url}?heartbeat_timeout_threshold={HEARTBEAT_SECONDS}")
        self.fail_over(a, b, "freeze node A", freeze=True, bound=FROZEN_SECONDS)
        for process in (self.bridge, self.server):
            self.assertIn("heartbeat timeout", process.output())
        self.assert_all_on(b, a)
        self.assert_works()
        a.kill()  # a frozen node cannot be stopped cleanly


if __name__ == "__main__":
    harness.run([ClusterFailoverTest])
