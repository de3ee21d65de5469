#!/usr/bin/python3
"""AMQPS: the C++ runtime and the bridge over RabbitMQ's TLS listener, with
the broker's certificate verified against a CA (docs/reliability.md).

The test makes a CA and a server certificate for 127.0.0.1/localhost with
openssl, plus an unrelated "rogue" CA, and starts a RabbitMQ node of its own
(tests/reliability/rabbit_nodes.py) with `listeners.ssl.default` on a free
port (and its plain listener elsewhere, to prove what is what). Then:

  * oslo_rpc serve/call (the runtime) and the bridge with a C++ compute
    server connect with `?ssl=true&ssl_ca_file=<CA>`: calls work, and the
    broker lists their connections as TLS;
  * with ssl_ca_file = the rogue CA they refuse the broker: the process
    output names the certificate verification failure and the CA file,
    oslo_rpc exits 3 (broker unreachable), the bridge stays up NOT_SERVING
    and answers UNAVAILABLE;
  * clear errors for a TLS client on the plain port, an unreadable CA file
    and hostname verification against an IP address (rabbitmq-c matches DNS
    names only; "localhost" works).

Tags "broker" and "no-sandbox" (the node registers with the machine's epmd).
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "bridge"))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402
import rabbit_nodes  # noqa: E402
import test_pki  # noqa: E402

import grpc  # noqa: E402

SERVING = b"\x08\x01"
NOT_SERVING = b"\x08\x02"
VERIFY_FAILED = "SSL peer cert verification failed"


def report(what, seconds):
    print(f"timing: {what}: {seconds:.3f}s", flush=True)


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


class AmqpsTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.previous_sigterm = signal.signal(signal.SIGTERM, _stop_on_sigterm)
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        pki = test_pki.Pki(cls.workdir)
        cls.ca = pki.ca("trusted-ca")
        cls.server_cert = pki.issue(cls.ca, "broker", server=True)
        cls.rogue = pki.ca("rogue-ca")
        cls.node = rabbit_nodes.RabbitNode(
            "tls", cls.workdir,
            tls=rabbit_nodes.TlsListener(cls.ca.cert, cls.server_cert.cert,
                                         cls.server_cert.key))
        try:
            report("TLS node booted", cls.node.start())
            # An independent client (py-amqp, Python's ssl) agrees on both CAs.
            rabbit_nodes.amqp_login(cls.node.tls_port, cafile=cls.ca.cert)
            try:
                rabbit_nodes.amqp_login(cls.node.tls_port, cafile=cls.rogue.cert)
                raise AssertionError("Python's ssl accepted the broker with the rogue CA")
            except Exception as e:  # ssl.SSLCertVerificationError
                if "CERTIFICATE_VERIFY_FAILED" not in str(e):
                    raise
        except BaseException:
            cls.node.remove()
            raise
        cls.topic = harness.unique("amqps")
        cls.api = bh.Api(cls.topic, cls.workdir)
        cls.m = cls.api.messages
        cls.processes = []

    @classmethod
    def tearDownClass(cls):
        try:
            for process in cls.processes:
                process.stop()
        finally:
            cls.node.remove()
            signal.signal(signal.SIGTERM, cls.previous_sigterm)

    # Helpers ----------------------------------------------------------------

    def url(self, cafile=None, port=None, host="127.0.0.1", **query):
        query = {"ssl": "true", **({"ssl_ca_file": cafile} if cafile else {}), **query}
        return (f"rabbit://guest:guest@{host}:{port or self.node.tls_port}/?"
                + "&".join(f"{k}={v}" for k, v in query.items()))

    def process(self, argv, name):
        process = harness.Process(argv, name)
        self.processes.append(process)
        return process

    def oslo_rpc(self, command, url, *args, limit=20):
        argv = [harness.oslo_rpc_binary(), command, f"--transport_url={url}",
                f"--topic={self.topic}", *args]
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=limit)
        return done, time.monotonic() - started

    def tls_connections(self):
        """{connection name: ssl} of every connection the node has."""
        rows = self.node._ctl_json("list_connections", "client_properties", "ssl",
                                   "ssl_protocol")
        result = {}
        for row in rows:
            name = next((e[-1] for e in row.get("client_properties") or []
                         if isinstance(e, list) and e and e[0] == "connection_name"), "")
            result[name] = (row.get("ssl"), row.get("ssl_protocol"))
        return result

    def health(self, bridge):
        try:
            return bridge.channel.unary_unary("/grpc.health.v1.Health/Check")(b"", timeout=2)
        except grpc.RpcError:
            return None

    # Tests ------------------------------------------------------------------

    def test_runtime_verifies_the_broker(self):
        server = self.process([harness.oslo_rpc_binary(), "serve",
                               f"--transport_url={self.url(self.ca.cert)}",
                               f"--topic={self.topic}", "--server=echo"], "oslo_rpc-serve")
        server.wait_for_output("serving topic", timeout=30)
        started = time.monotonic()
        done, seconds = self.oslo_rpc("call", self.url(self.ca.cert), "--server=echo",
                                      "--timeout=10", "ping", '{"x": 1}')
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn('"ping"', done.stdout)
        report("oslo_rpc call over AMQPS (process start to exit)", time.monotonic() - started)
        serving = [v for k, v in self.tls_connections().items()
                   if k.startswith("oslo_rpc") and k.endswith(str(server.popen.pid))]
        self.assertTrue(serving and all(ssl for ssl, _ in serving), self.tls_connections())
        print(f"the server's connection: ssl={serving[0][0]} protocol={serving[0][1]}",
              flush=True)

        # Another CA: the broker's certificate is refused, with the reason.
        done, seconds = self.oslo_rpc("call", self.url(self.rogue.cert), "--server=echo",
                                      "--timeout=3", "ping", "{}")
        self.assertEqual(done.returncode, 3, f"{done.stdout}{done.stderr}")
        self.assertIn(VERIFY_FAILED, done.stderr)
        self.assertIn(f"does not verify against ssl_ca_file {self.rogue.cert}", done.stderr)
        print(f"rogue CA: {done.stderr.strip().splitlines()[0]}", flush=True)

        # A server with the wrong CA never gets ready and says why.
        rogue_server = self.process([harness.oslo_rpc_binary(), "serve",
                                     f"--transport_url={self.url(self.rogue.cert)}",
                                     f"--topic={self.topic}", "--server=rogue"],
                                    "oslo_rpc-serve-rogue")
        harness.wait_until(lambda: VERIFY_FAILED in rogue_server.output(), 10,
                           "the rogue-CA server reporting the verification failure")
        self.assertNotIn("serving topic", rogue_server.output())
        rogue_server.stop()

    def test_bridge_and_cpp_server_over_amqps(self):
        server = self.process([harness.runfile("examples/cpp/compute_server"),
                               f"--transport_url={self.url(self.ca.cert)}",
                               f"--topic={self.topic}", "--server=host1"], "cpp-host1")
        server.wait_for_output("ready", timeout=30)
        started = time.monotonic()
        bridge = bh.Bridge(self.api.descriptor_set, f"--transport_url={self.url(self.ca.cert)}",
                           "--rpc_response_timeout=10", name="bridge-tls")
        self.processes.append(bridge)
        harness.wait_until(lambda: self.health(bridge) == SERVING, 15, "bridge SERVING")
        report("bridge start to SERVING over AMQPS", time.monotonic() - started)
        get = bridge.unary("GetInstance", self.m.Instance)
        self.assertEqual(get(self.m.GetInstanceRequest(instance_uuid="vm-1"), timeout=5).name,
                         "web")
        conns = self.tls_connections()
        ours = {k: v for k, v in conns.items()
                if k.endswith(f":{bridge.popen.pid}") or k.endswith(f":{server.popen.pid}")}
        # Two bridge I/O threads and the server, at least.
        self.assertGreaterEqual(len(ours), 3, conns)
        self.assertTrue(all(ssl for ssl, _ in ours.values()), ours)

        # The same bridge with the rogue CA: up, NOT_SERVING, calls UNAVAILABLE.
        rogue = bh.Bridge(self.api.descriptor_set, f"--transport_url={self.url(self.rogue.cert)}",
                          "--rpc_response_timeout=10", name="bridge-rogue")
        self.processes.append(rogue)
        harness.wait_until(lambda: VERIFY_FAILED in rogue.output(), 10,
                           "the rogue bridge reporting the verification failure")
        self.assertEqual(self.health(rogue), NOT_SERVING)
        with self.assertRaises(grpc.RpcError) as caught:
            rogue.unary("GetInstance", self.m.Instance)(
                self.m.GetInstanceRequest(instance_uuid="vm-1"), timeout=5)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertIn(VERIFY_FAILED, caught.exception.details())
        print(f"rogue CA, bridge call: {caught.exception.code().name} "
              f"{caught.exception.details()}", flush=True)
        line = next(l for l in rogue.output().splitlines() if VERIFY_FAILED in l)
        print(f"rogue CA, bridge log: {line}", flush=True)
        self.assertIsNone(rogue.popen.poll())
        rogue.stop()

    def test_clear_errors(self):
        cases = [
            # (what, url, expected text)
            ("TLS to the plain listener", self.url(self.ca.cert, port=self.node.port),
             "is port %d the broker's TLS listener?" % self.node.port),
            ("a CA file that does not exist", self.url("/nonexistent/ca.pem"),
             "cannot read ssl_ca_file /nonexistent/ca.pem: No such file or directory"),
            ("hostname verification against an IP address",
             self.url(self.ca.cert, ssl_enforce_hostname_verification="true"),
             "the broker's certificate does not name '127.0.0.1'"),
        ]
        for what, url, expected in cases:
            with self.subTest(what):
                done, _ = self.oslo_rpc("call", url, "--timeout=2", "ping", "{}")
                self.assertEqual(done.returncode, 3, f"{done.stdout}{done.stderr}")
                self.assertIn(expected, done.stderr)
                print(f"{what}: {done.stderr.strip().splitlines()[0]}", flush=True)
        # Hostname verification passes by the name in the certificate, and
        # ssl=true without a CA file encrypts without verifying (as oslo).
        for what, url in (("hostname verification by name",
                           self.url(self.ca.cert, host="localhost",
                                    ssl_enforce_hostname_verification="true")),
                          ("ssl=true without ssl_ca_file", self.url())):
            with self.subTest(what):
                # A cast returns once the broker confirmed the message: it
                # needs a working TLS connection and login.
                done, _ = self.oslo_rpc("cast", url, "--timeout=5", "ping", "{}")
                self.assertEqual(done.returncode, 0, f"{what}: {done.stdout}{done.stderr}")


if __name__ == "__main__":
    harness.run([AmqpsTest])
