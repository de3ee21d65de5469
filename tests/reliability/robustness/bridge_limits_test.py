#!/usr/bin/python3
"""The bridge's limits end to end: --max_inflight (beyond it RESOURCE_EXHAUSTED
at once, slots given back exactly once, memory bounded under a flood),
--max_receive_message_bytes (set explicitly: a request of exactly the limit
passes, one byte more is RESOURCE_EXHAUSTED), and the same settings from an
INI file and in --help.
"""
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robustness as rb  # noqa: E402
from robustness import bh, harness  # noqa: E402

import grpc  # noqa: E402

MAX_INFLIGHT = 8
MAX_RECEIVE_BYTES = 64 * 1024
SLOW_SECONDS = 1.5
FLOOD_CALLS = 3000
FLOOD_RSS_SLACK_KIB = 48 * 1024


class BridgeLimitsTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("bridge_limits")
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.api = bh.Api(cls.topic, cls.workdir)
        cls.m = cls.api.messages
        cls.server = rb.cpp_server(cls.topic, "host1", "--executor_threads=32")
        try:
            cls.bridge = bh.Bridge(cls.api.descriptor_set, f"--max_inflight={MAX_INFLIGHT}",
                                   f"--max_receive_message_bytes={MAX_RECEIVE_BYTES}")
        except Exception:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()
        cls.server.stop()

    def get(self, **kwargs):
        return self.bridge.unary("GetInstance", self.m.Instance)(
            self.m.GetInstanceRequest(instance_uuid="vm-1"), timeout=10, **kwargs)

    def slow(self, seconds=SLOW_SECONDS):
        return self.bridge.unary("SnapshotInstance", self.m.Snapshot).future(
            self.m.SnapshotInstanceRequest(instance_uuid="vm-1", seconds=seconds), timeout=30)

    def test_calls_beyond_max_inflight_fail_at_once_and_slots_come_back(self):
        for round_ in range(3):  # slots leaked by a round would fail the next
            slow = [self.slow() for _ in range(MAX_INFLIGHT)]
            time.sleep(0.5)  # all of them are in the bridge now
            for _ in range(20):
                started = time.monotonic()
                with self.assertRaises(grpc.RpcError) as caught:
                    self.get()
                self.assertEqual(caught.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED,
                                 caught.exception.details())
                self.assertIn("max_inflight", caught.exception.details())
                self.assertLess(time.monotonic() - started, 0.5)
            for call in slow:
                self.assertEqual(call.result().image_id, "snap-vm-1", f"round {round_}")
            self.assertEqual(self.get().name, "web")

    def test_a_flood_is_refused_with_bounded_memory(self):
        self.assertEqual(self.get().name, "web")
        before = rb.proc_stats(self.bridge.popen.pid)
        payload = "p" * 4096
        ping = self.bridge.unary("Ping", self.m.PingReply)
        peak = [before]
        flooding = threading.Event()
        flooding.set()

        def sample():  # the bridge's peak while the flood runs
            while flooding.is_set():
                peak.append(rb.proc_stats(self.bridge.popen.pid))
                time.sleep(0.02)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        calls = [ping.future(self.m.PingRequest(payload=payload), timeout=30)
                 for _ in range(FLOOD_CALLS)]
        codes = {}
        for call in calls:
            try:
                call.result()
                code = grpc.StatusCode.OK
            except grpc.RpcError as e:
                code = e.code()
            codes[code.name] = codes.get(code.name, 0) + 1
        flooding.clear()
        sampler.join()
        peak = (max(p[0] for p in peak), max(p[1] for p in peak))
        seconds = time.monotonic() - started
        print(f"{FLOOD_CALLS} concurrent calls with max_inflight={MAX_INFLIGHT}: {codes} in "
              f"{seconds:.2f}s; {rb.describe_stats('bridge before', before)}; "
              f"{rb.describe_stats('peak', peak)}", flush=True)
        self.assertEqual(set(codes), {"OK", "RESOURCE_EXHAUSTED"})
        self.assertGreater(codes["RESOURCE_EXHAUSTED"], 0)
        self.assertLessEqual(peak[1], before[1] + FLOOD_RSS_SLACK_KIB)
        self.assertEqual(self.get().name, "web")

    def test_max_receive_message_bytes_is_exact(self):
        ping = self.bridge.unary("Ping", self.m.PingReply)
        # PingRequest{payload} is 1 tag byte, a 3-byte length, the payload.
        fits = self.m.PingRequest(payload="p" * (MAX_RECEIVE_BYTES - 4))
        self.assertEqual(fits.ByteSize(), MAX_RECEIVE_BYTES)
        self.assertEqual(len(ping(fits, timeout=10).payload), MAX_RECEIVE_BYTES - 4)
        too_big = self.m.PingRequest(payload="p" * (MAX_RECEIVE_BYTES - 3))
        with self.assertRaises(grpc.RpcError) as caught:
            ping(too_big, timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(self.get().name, "web")

    def test_the_limits_come_from_the_ini_file_and_are_in_help(self):
        config = os.path.join(self.workdir, "bridge.conf")
        with open(config, "w") as f:
            f.write("[grpc_amqp_bridge]\nmax_inflight = 3\nmax_receive_message_bytes = 1000\n"
                    "max_message_bytes = 2048\n")
        other = bh.Bridge(self.api.descriptor_set, f"--config={config}", name="ini-bridge")
        try:
            out = other.output()
            for setting in ("max_inflight=3", "max_receive_message_bytes=1000",
                            "max_message_bytes=2048"):
                self.assertIn(setting, out)
            with self.assertRaises(grpc.RpcError) as caught:
                other.unary("Ping", self.m.PingReply)(self.m.PingRequest(payload="p" * 1000),
                                                      timeout=10)
            self.assertEqual(caught.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        finally:
            other.stop()
        help_text = subprocess.run([harness.runfile("bridge/grpc_amqp_bridge"), "--help"],
                                   capture_output=True, text=True, timeout=30)
        for flag in ("--max_inflight", "--max_receive_message_bytes", "--max_message_bytes"):
            self.assertIn(flag, help_text.stdout + help_text.stderr)


if __name__ == "__main__":
    harness.run([BridgeLimitsTest])
