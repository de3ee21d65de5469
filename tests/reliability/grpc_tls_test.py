#!/usr/bin/python3
"""gRPC TLS on the bridge, with python3-grpcio clients (docs/reliability.md).

openssl makes a server CA with a certificate for 127.0.0.1/localhost, a
client CA with a client certificate, and an unrelated "rogue" CA with a
client certificate of its own (test_pki.py). A C++ compute server serves the
example API over the system broker; bridges run with:

  * --grpc_tls_cert/--grpc_tls_key: a TLS client trusting the server CA
    calls GetInstance and the health service; a plaintext client and a
    client trusting another CA are refused (UNAVAILABLE, no call reaches
    the bridge);
  * the same plus --grpc_tls_client_ca (set in the INI file's
    [grpc_amqp_bridge] section this time): a client with a certificate of
    the client CA works; without a certificate, or with one from the rogue
    CA, the handshake fails (UNAVAILABLE);
  * bad settings stop the bridge at start-up (exit 2) with a message that
    names the setting: a certificate without a key, a client CA without a
    certificate, a missing file, a file that is not PEM.
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "bridge"))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402
import test_pki  # noqa: E402

import grpc  # noqa: E402

SERVING = b"\x08\x01"


class GrpcTlsTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        pki = test_pki.Pki(cls.workdir)
        cls.server_ca = pki.ca("server-ca")
        cls.server_cert = pki.issue(cls.server_ca, "bridge", server=True)
        cls.client_ca = pki.ca("client-ca")
        cls.client_cert = pki.issue(cls.client_ca, "good-client")
        cls.rogue_ca = pki.ca("rogue-ca")
        cls.rogue_client = pki.issue(cls.rogue_ca, "rogue-client")
        cls.topic = harness.unique("grpc_tls")
        cls.api = bh.Api(cls.topic, cls.workdir)
        cls.m = cls.api.messages
        [cls.server] = bh.start_servers([("cpp", "host1")], cls.topic)
        cls.bridges = []

    @classmethod
    def tearDownClass(cls):
        for bridge in cls.bridges:
            bridge.stop()
        cls.server.stop()

    # Helpers ----------------------------------------------------------------

    def bridge(self, *flags, name="bridge-tls"):
        bridge = bh.Bridge(self.api.descriptor_set, *flags, name=name)
        self.bridges.append(bridge)
        return bridge

    def channel(self, bridge, root=None, client=None, plaintext=False):
        target = f"127.0.0.1:{bridge.port}"
        if plaintext:
            return grpc.insecure_channel(target)
        key, cert = client.read() if client else (None, None)
        with open(root or self.server_ca.cert, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read(), private_key=key,
                                                 certificate_chain=cert)
        return grpc.secure_channel(target, creds)

    def get_instance(self, channel):
        call = channel.unary_unary(f"/{bh.SERVICE}/GetInstance",
                                   request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=self.m.Instance.FromString)
        return call(self.m.GetInstanceRequest(instance_uuid="vm-1"), timeout=5)

    def health(self, channel):
        return channel.unary_unary("/grpc.health.v1.Health/Check")(b"", timeout=5)

    def assert_refused(self, channel, what):
        with self.assertRaises(grpc.RpcError, msg=what) as caught:
            self.get_instance(channel)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE,
                         f"{what}: {caught.exception.details()}")
        print(f"{what}: {caught.exception.code().name} {caught.exception.details()}",
              flush=True)
        channel.close()

    def start_fails(self, *flags):
        done = subprocess.run([harness.runfile("bridge/grpc_amqp_bridge"),
                               f"--descriptor_set={self.api.descriptor_set}",
                               "--listen=127.0.0.1:0", *flags],
                              capture_output=True, text=True, timeout=20)
        self.assertEqual(done.returncode, 2, f"{flags}: {done.stdout}{done.stderr}")
        return done.stderr

    # Tests ------------------------------------------------------------------

    def test_server_tls(self):
        bridge = self.bridge(f"--grpc_tls_cert={self.server_cert.cert}",
                             f"--grpc_tls_key={self.server_cert.key}")
        self.assertIn("grpc_tls=cert ", bridge.output())
        channel = self.channel(bridge)
        self.assertEqual(self.get_instance(channel).name, "web")
        harness.wait_until(lambda: self.health(channel) == SERVING, 10, "health over TLS")
        channel.close()
        self.assert_refused(self.channel(bridge, plaintext=True),
                            "a plaintext client on the TLS port")
        self.assert_refused(self.channel(bridge, root=self.rogue_ca.cert),
                            "a client that trusts another CA")
        # A client certificate is not asked for, and does no harm.
        channel = self.channel(bridge, client=self.rogue_client)
        self.assertEqual(self.get_instance(channel).name, "web")
        channel.close()

    def test_client_certificates_required_and_verified(self):
        ini = os.path.join(self.workdir, "bridge.conf")
        with open(ini, "w") as f:
            f.write("[grpc_amqp_bridge]\n"
                    f"grpc_tls_cert = {self.server_cert.cert}\n"
                    f"grpc_tls_key = {self.server_cert.key}\n"
                    f"grpc_tls_client_ca = {self.client_ca.cert}\n")
        bridge = self.bridge(f"--config={ini}", name="bridge-mtls")
        self.assertIn(f"client certificates verified against {self.client_ca.cert}",
                      bridge.output())
        channel = self.channel(bridge, client=self.client_cert)
        self.assertEqual(self.get_instance(channel).name, "web")
        # Health follows the broker connection, polled twice a second.
        harness.wait_until(lambda: self.health(channel) == SERVING, 10, "health over mTLS")
        channel.close()
        self.assert_refused(self.channel(bridge), "a TLS client without a certificate")
        self.assert_refused(self.channel(bridge, client=self.rogue_client),
                            "a client certificate from another CA")
        self.assert_refused(self.channel(bridge, plaintext=True),
                            "a plaintext client on the mutual-TLS port")
        # The bridge is unharmed by the refused handshakes.
        channel = self.channel(bridge, client=self.client_cert)
        self.assertEqual(self.get_instance(channel).name, "web")
        channel.close()
        self.assertIsNone(bridge.popen.poll())

    def test_bad_settings_stop_the_bridge(self):
        cases = [
            ((f"--grpc_tls_cert={self.server_cert.cert}",),
             "grpc_tls_cert and grpc_tls_key go together"),
            ((f"--grpc_tls_client_ca={self.client_ca.cert}",),
             "grpc_tls_client_ca needs grpc_tls_cert"),
            ((f"--grpc_tls_cert={self.workdir}/missing.crt",
              f"--grpc_tls_key={self.server_cert.key}"),
             f"cannot read grpc_tls_cert {self.workdir}/missing.crt: No such file"),
            ((f"--grpc_tls_cert={self.server_cert.cert}",
              f"--grpc_tls_key={self.api.descriptor_set}"),
             f"grpc_tls_key {self.api.descriptor_set} is not a PEM file"),
        ]
        for flags, expected in cases:
            with self.subTest(expected):
                stderr = self.start_fails(*flags)
                self.assertIn(expected, stderr)
                print(f"{' '.join(f.split('=')[0] for f in flags)}: {stderr.strip()}", flush=True)
        # A key that does not match the certificate: gRPC refuses to listen.
        stderr = self.start_fails(f"--grpc_tls_cert={self.server_cert.cert}",
                                  f"--grpc_tls_key={self.client_cert.key}")
        self.assertTrue(re.search(r"cannot listen|key", stderr), stderr)


if __name__ == "__main__":
    harness.run([GrpcTlsTest])
