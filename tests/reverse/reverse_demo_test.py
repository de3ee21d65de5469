#!/usr/bin/python3
"""The demo's reverse step (tools/demo.sh, docs/reverse.md) as a test: the
example gRPC server of the compute API (examples/python/compute_grpc_backend.py)
behind grpc_amqp_bridge --backend, and examples/python/reverse_demo_client.py,
a python3-oslo.messaging client that checks every answer and exits 0 only
when all were right.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bridge"))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402


class ReverseDemoTest(unittest.TestCase):
    def test_the_demo_client_gets_every_answer_right(self):
        workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        topic = harness.unique("reverse_demo")
        api = bh.Api(topic, workdir)
        backend = harness.Process(["/usr/bin/python3",
                                   harness.runfile("examples/python/compute_grpc_backend.py"),
                                   f"--descriptor_set={api.descriptor_set}"], "grpc-backend")
        self.addCleanup(backend.stop)
        backend.wait_for_output("listening on")
        port = re.search(r"listening on [^\s:]+:(\d+)", backend.output()).group(1)
        bridge = bh.Bridge(api.descriptor_set,
                           f"--backend={bh.SERVICE}=127.0.0.1:{port}", "--server_name=grpchost",
                           name="reverse-bridge")
        self.addCleanup(bridge.stop)
        self.assertIn(f"reverse: not served /{bh.SERVICE}/PingAll", bridge.output())
        done = subprocess.run(
            ["/usr/bin/python3", harness.runfile("examples/python/reverse_demo_client.py"),
             f"--transport_url={harness.TRANSPORT_URL}", f"--topic={topic}",
             "--server=grpchost", f"--backend_log={backend.log_path}"],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("reverse session: 0 wrong answer(s)", done.stdout)


if __name__ == "__main__":
    harness.run([ReverseDemoTest])
