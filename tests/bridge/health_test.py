#!/usr/bin/python3
"""grpc.health.v1.Health is right from the first probe and follows the broker
at once: `Check` right after "listening on" answers SERVING with the broker
up and NOT_SERVING (promptly) with a dead broker URL, and `Watch` sees
NOT_SERVING and SERVING again across a restart of a RabbitMQ node of the
test's own (tests/reliability/rabbit_nodes.py), never the shared broker.
"""
import os
import queue
import re
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reliability"))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402
import rabbit_nodes  # noqa: E402

import grpc  # noqa: E402

# grpc.health.v1.HealthCheckResponse{status: ...}
SERVING = b"\x08\x01"
NOT_SERVING = b"\x08\x02"
NAMES = {"": b"", bh.SERVICE: b"\x0a" + bytes([len(bh.SERVICE)]) + bh.SERVICE.encode()}


def log_seconds(output, text):
    """The time of day, in seconds, of the last glog line containing `text`."""
    for line in reversed(output.splitlines()):
        if text in line:
            match = re.match(r"[IWEF]\d{4,8} (\d\d):(\d\d):(\d\d\.\d+) ", line)
            if match:
                hours, minutes, seconds = match.groups()
                return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    raise AssertionError(f"no log line with {text!r} in:\n{output}")


def check(bridge, request):
    return bridge.channel.unary_unary("/grpc.health.v1.Health/Check")(request, timeout=5)


def closed_port():
    """A local port with nothing listening: connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HealthTest(harness.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.api = bh.Api(harness.unique("health"), cls.workdir)

    def start_bridge(self, *flags):
        started = time.monotonic()
        bridge = bh.Bridge(self.api.descriptor_set, *flags)
        self.addCleanup(bridge.stop)
        return bridge, time.monotonic() - started

    def test_check_right_after_listening_is_serving(self):
        # Several start-ups: the answer must not depend on a race.
        for _ in range(3):
            bridge, _ = self.start_bridge()
            for name, request in NAMES.items():
                self.assertEqual(check(bridge, request), SERVING, f"service {name!r}")
            self.assertIn("broker connected: SERVING", bridge.output())
            bridge.stop()

    def test_dead_broker_is_not_serving_promptly(self):
        bridge, seconds = self.start_bridge(
            f"--transport_url=rabbit://guest:guest@127.0.0.1:{closed_port()}/")
        for name, request in NAMES.items():
            self.assertEqual(check(bridge, request), NOT_SERVING, f"service {name!r}")
        # A refused connection settles the first attempt at once: no wait
        # for a timeout before "listening".
        self.assertLess(seconds, 3, bridge.output())
        self.assertIn("broker not connected: NOT_SERVING", bridge.output())

    def test_watch_follows_a_broker_restart(self):
        node = rabbit_nodes.RabbitNode("health", self.workdir)
        self.addCleanup(node.remove)
        node.start()
        bridge, _ = self.start_bridge(
            # Reconnect every second (oslo's default interval, no backoff).
            f"--transport_url=rabbit://guest:guest@127.0.0.1:{node.port}/"
            "?rabbit_retry_backoff=0")
        watch = bridge.channel.unary_stream("/grpc.health.v1.Health/Watch")(b"", timeout=120)
        self.addCleanup(watch.cancel)
        updates = queue.Queue()

        def read():
            try:
                for update in watch:
                    updates.put(update)
            except grpc.RpcError as e:  # cancelled at the end
                updates.put(e.code())

        threading.Thread(target=read, daemon=True).start()

        def next_update(within):
            try:
                return updates.get(timeout=within)
            except queue.Empty:
                self.fail(f"no health update within {within}s; bridge output:\n"
                          f"{bridge.output()}")

        self.assertEqual(next_update(5), SERVING)
        node.ctl("stop_app")
        self.assertEqual(next_update(10), NOT_SERVING)
        self.assertEqual(check(bridge, b""), NOT_SERVING)
        node.ctl("start_app")
        self.assertEqual(next_update(30), SERVING)
        self.assertEqual(check(bridge, NAMES[bh.SERVICE]), SERVING)
        # Health changed the moment the transport saw the connection go and
        # come back (one thread, one after the other), not at a later poll.
        output = bridge.output()
        # Connection 0 holds the reply queue; health follows it.
        for event, health in (("bridge-0: lost the connection", "broker not connected"),
                              ("bridge-0: connected to", "broker connected: SERVING")):
            lag = log_seconds(output, health) - log_seconds(output, event)
            self.assertTrue(0 <= lag < 0.05, f"{health!r} {lag:.3f}s after {event!r}")


if __name__ == "__main__":
    harness.run([HealthTest])
