#!/usr/bin/python3
"""How the bridge sends calls, end to end against a real Python oslo.messaging
server (tests/bridge/callctl_server.py: endpoints at 5.3 and 6.1, as in a
rolling upgrade):

- version caps: --version_cap makes a capped method send its fallback_version
  (the Python server's 5.3 endpoint answers, not its 6.1 one) or fail with
  FAILED_PRECONDITION and ErrorInfo VERSION_CAPPED before anything is
  published; the start-up route log shows the cap; release aliases are
  refused at start-up, from a flag or from [upgrade_levels];
- oslo's call monitor: with x-amqp-call-monitor-ms (or --call_monitor_timeout)
  a method slower than the monitor timeout succeeds thanks to the server's
  heartbeats, and a server killed mid-call fails the call with
  DEADLINE_EXCEEDED after the monitor timeout, not the overall deadline.
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402

import grpc  # noqa: E402

PACKAGE = "callctl.v1"
SERVICE = f"{PACKAGE}.Compute"
CAP = "5.3"

PROTO = """
syntax = "proto3";
package callctl.v1;
import "amqp/options.proto";
import "google/protobuf/empty.proto";

message Req {
  double seconds = 1;
  string marker = 2;
}
message Resp {
  string endpoint = 1;
  optional double client_timeout = 2;
}

service Compute {
  option (amqp.service) = { topic: "%s" version: "6.0" };
  // nova's _ver() pattern: 6.0 if the cap allows it, else 5.0.
  rpc Reboot(Req) returns (Resp) {
    option (amqp.method) = { fallback_version: "5.0" };
  }
  rpc GetConsole(Req) returns (Resp) {
    option (amqp.method) = { version: "6.1" };
  }
  rpc Record(Req) returns (google.protobuf.Empty) {
    option (amqp.method) = { cast: true version: "6.1" };
  }
  rpc Slow(Req) returns (Resp) {
    option (amqp.method) = { version: "5.0" };
  }
}
"""


def python_server(topic, server):
    return harness.Process(["/usr/bin/python3", harness.runfile("tests/bridge/callctl_server.py"),
                            "--topic", topic, "--server", server], f"py-{server}")


class CallControlTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("callctl")
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        with open(os.path.join(cls.workdir, "callctl.proto"), "w") as f:
            f.write(PROTO % cls.topic)
        cls.descriptor_set = os.path.join(cls.workdir, "callctl.pb")
        bh.protoc(cls.descriptor_set,
                  [cls.workdir, os.path.dirname(harness.runfile("proto/amqp/options.proto")) + "/.."],
                  ["callctl.proto"])
        cls.m = bh.Messages(cls.descriptor_set, PACKAGE)
        cls.processes = []
        try:
            cls.server = cls.start(python_server(cls.topic, "host1"))
            cls.server.wait_for_output("ready", timeout=30)
            # Two --version_cap flags add up.
            cls.capped = cls.start(bh.Bridge(cls.descriptor_set, "--version_cap=unrelated=1.0",
                                              f"--version_cap={cls.topic}={CAP}",
                                              "--rpc_response_timeout=10", name="capped"))
            cls.uncapped = cls.start(bh.Bridge(cls.descriptor_set, "--call_monitor_timeout=2",
                                                "--rpc_response_timeout=10", name="uncapped"))
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def start(cls, process):
        cls.processes.append(process)
        return process

    @classmethod
    def tearDownClass(cls):
        for process in reversed(cls.processes):
            process.stop()

    def call(self, bridge, method, response="Resp", **kwargs):
        kwargs.setdefault("timeout", 10)
        request = kwargs.pop("request", self.m.Req())
        return bridge.unary(method, getattr(self.m, response), service=SERVICE)(request,
                                                                               **kwargs)

    def server_saw(self, method, marker):
        return [line for line in self.server.output().splitlines()
                if line.startswith(f"called {method} ") and line.endswith(f" {marker}")]

    # -- version caps -------------------------------------------------------

    def test_route_log_shows_the_cap(self):
        log = self.capped.output()
        self.assertIn(f"/{SERVICE}/Reboot -> call 'reboot' on exchange 'openstack' key "
                      f"'{self.topic}', version 6.0, fallback 5.0, capped at {CAP}: sends 5.0",
                      log)
        self.assertIn(f"/{SERVICE}/GetConsole -> call 'get_console' on exchange 'openstack' "
                      f"key '{self.topic}', version 6.1, capped at {CAP}: refused "
                      "(FAILED_PRECONDITION)", log)
        self.assertIn(f"/{SERVICE}/Slow -> call 'slow' on exchange 'openstack' key "
                      f"'{self.topic}', version 5.0, capped at {CAP}: sends 5.0", log)
        self.assertIn(f"version_caps={self.topic}={CAP},unrelated=1.0", log)
        self.assertNotIn("capped at", self.uncapped.output())

    def test_the_python_server_sees_the_fallback_version(self):
        # Capped at 5.3: 5.0 goes out and the 5.3 endpoint runs it.
        self.assertEqual(self.call(self.capped, "Reboot").endpoint, "5.3")
        # Uncapped: 6.0 goes out and the 6.1 endpoint runs it.
        self.assertEqual(self.call(self.uncapped, "Reboot").endpoint, "6.1")

    def test_capped_without_fallback_fails_before_anything_is_published(self):
        marker = harness.unique("capped")
        with self.assertRaises(grpc.RpcError) as caught:
            self.call(self.capped, "GetConsole", request=self.m.Req(marker=marker))
        error = caught.exception
        self.assertEqual(error.code(), grpc.StatusCode.FAILED_PRECONDITION, error.details())
        self.assertEqual(error.details(),
                         f"'get_console' needs version 6.1 but topic '{self.topic}' is capped "
                         f"at {CAP} (version cap); nothing was sent")
        self.assertEqual(bh.error_details(error), ("VERSION_CAPPED", "grpc-amqp-bridge"))
        with self.assertRaises(grpc.RpcError) as cast:
            self.call(self.capped, "Record", response="Empty",
                      request=self.m.Req(marker=marker))
        self.assertEqual(cast.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(bh.error_details(cast.exception), ("VERSION_CAPPED", "grpc-amqp-bridge"))

        # The same requests without the cap do reach the server (so its
        # silence above is the cap's doing).
        after = harness.unique("uncapped")
        self.assertEqual(self.call(self.uncapped, "GetConsole",
                                   request=self.m.Req(marker=after)).endpoint, "6.1")
        self.call(self.uncapped, "Record", response="Empty", request=self.m.Req(marker=after))
        harness.wait_until(lambda: self.server_saw("record", after), 10, "the uncapped cast")
        self.assertEqual(self.server_saw("get_console", marker), [])
        self.assertEqual(self.server_saw("record", marker), [])

    def test_release_aliases_are_refused_at_start_up(self):
        conf = os.path.join(self.workdir, "alias.conf")
        with open(conf, "w") as f:
            f.write("[upgrade_levels]\ncompute = 6.0\nconductor = zed\n")
        bridge = harness.runfile("bridge/grpc_amqp_bridge")
        for flags, expected in (
                ([f"--config={conf}"],
                 f"{conf}:3: [upgrade_levels] conductor: 'zed' is a release alias"),
                (["--version_cap=compute=zed"],
                 "--version_cap: compute: 'zed' is a release alias")):
            done = subprocess.run([bridge, f"--descriptor_set={self.descriptor_set}",
                                   "--listen=127.0.0.1:0", *flags],
                                  capture_output=True, text=True, timeout=30)
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn(expected, done.stderr)
            self.assertIn("give the version number it stands for", done.stderr)

    # -- the call monitor ---------------------------------------------------

    def test_heartbeats_keep_a_call_longer_than_its_monitor_alive(self):
        started = time.monotonic()
        reply = self.call(self.capped, "Slow", request=self.m.Req(seconds=3.5), timeout=20,
                          metadata=[("x-amqp-call-monitor-ms", "2000")])
        self.assertGreaterEqual(time.monotonic() - started, 3.5)
        self.assertEqual(reply.client_timeout, 2)  # `_timeout` reached the server

    def test_the_bridges_default_call_monitor(self):
        # --call_monitor_timeout=2 on the uncapped bridge, no header.
        reply = self.call(self.uncapped, "Slow", request=self.m.Req(seconds=3.5), timeout=20)
        self.assertEqual(reply.client_timeout, 2)
        # Without one, the server sees none.
        self.assertFalse(self.call(self.capped, "Slow").HasField("client_timeout"))

    def test_a_server_killed_mid_call_fails_after_the_monitor_timeout(self):
        victim = self.start(python_server(self.topic, "victim"))
        victim.wait_for_output("ready", timeout=30)
        marker = harness.unique("victim")
        outcome = {}

        def call():
            started = time.monotonic()
            try:
                self.call(self.capped, "Slow", request=self.m.Req(seconds=60, marker=marker),
                          timeout=40, metadata=[("x-amqp-call-monitor-ms", "2000"),
                                                ("x-amqp-server", "victim")])
                outcome["error"] = None
            except grpc.RpcError as e:
                outcome["error"] = e
            outcome["ended"] = time.monotonic()
            outcome["took"] = outcome["ended"] - started

        caller = threading.Thread(target=call)
        caller.start()
        victim.wait_for_output(f"called slow 5.3 {marker}", timeout=10)
        time.sleep(1.5)  # heartbeats flow for a while
        os.kill(victim.popen.pid, signal.SIGKILL)
        killed = time.monotonic()
        caller.join(timeout=30)
        self.assertFalse(caller.is_alive(), "the call outlived its call monitor")
        error = outcome["error"]
        self.assertIsNotNone(error)
        self.assertEqual(error.code(), grpc.StatusCode.DEADLINE_EXCEEDED, error.details())
        self.assertIn("call_monitor_timeout", error.details())
        after_kill = outcome["ended"] - killed
        print(f"the call failed {after_kill:.2f} s after the kill, "
              f"{outcome['took']:.2f} s after it started", file=sys.stderr)
        # Up to 2 s of monitor after the last heartbeat (at most 1 s before
        # the kill), far from the 40 s deadline.
        self.assertGreater(after_kill, 0.5)
        self.assertLess(after_kill, 4.0)
        self.assertLess(outcome["took"], 10.0)


if __name__ == "__main__":
    harness.run([CallControlTest])
