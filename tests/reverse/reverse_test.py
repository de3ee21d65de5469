#!/usr/bin/python3
"""The reverse direction end to end (docs/reverse.md): python3-oslo.messaging
clients call a python3-grpcio backend through grpc_amqp_bridge --backend, and
see what they would see against a Python oslo server: results, casts,
fanout casts, targeted calls, namespaces, version negotiation, NoSuchMethod,
UnsupportedVersion, TypeError for an unexpected argument, backend errors
with and without google.rpc.ErrorInfo, the deadline and context the backend
gets, call-monitor heartbeats, a backend that is down, 300 concurrent calls,
bad AMQP input, and both directions in one bridge process.
"""
import concurrent.futures
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reliability"))
import reverse_harness as rh  # noqa: E402
import test_pki  # noqa: E402
from reverse_harness import harness  # noqa: E402

import grpc  # noqa: E402
import kombu  # noqa: E402
import oslo_messaging  # noqa: E402

CONTEXT = {"request_id": "req-7f3c", "user_id": "alice", "project_id": "p1"}


class ReferenceInventory:
    """A Python endpoint with the Inventory service's target."""
    target = oslo_messaging.Target(version="2.3")

    def get_instance(self, ctxt, uuid):
        return {"uuid": uuid}


class ReferenceAdmin:
    target = oslo_messaging.Target(version="1.1", namespace="admin")

    def ping(self, ctxt, uuid=""):
        return {"uuid": uuid}


class ReverseTest(unittest.TestCase):
    processes = []

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.topic = harness.unique("reverse")
        cls.server_name = harness.unique("bridgehost")
        cls.descriptor_set, cls.m = rh.compile_api(cls.topic, cls.workdir)
        cls.backend = rh.Backend(cls.m)
        try:
            cls.bridge = rh.start_bridge(cls.descriptor_set, cls.backend.address,
                                         cls.server_name, "--rpc_response_timeout=40",
                                         "--metrics_listen=127.0.0.1:0")
        except Exception:
            cls.backend.stop()
            raise
        cls.transport = harness.make_transport(allowed_remote_exmods=["nova.exception"])
        # A Python oslo server with the same target versions and namespaces:
        # what the bridge's failures must look like to the caller.
        cls.reference_topic = harness.unique("reverse_ref")
        cls.reference = harness.PythonServer(cls.transport, cls.reference_topic, "ref",
                                             [ReferenceInventory(), ReferenceAdmin()])

    @classmethod
    def tearDownClass(cls):
        cls.reference.stop()
        cls.transport.cleanup()
        cls.bridge.stop()
        cls.backend.stop()

    def assertSameFailure(self, method, version="2.0", namespace=None, **kwargs):
        """Calls `method` on the bridge and on the Python reference server and
        checks both raise the same exception with the same text."""
        raised = []
        for topic in (self.topic, self.reference_topic):
            client = oslo_messaging.get_rpc_client(
                self.transport, oslo_messaging.Target(topic=topic, version=version,
                                                      namespace=namespace), timeout=15)
            with self.assertRaises(Exception) as caught:
                client.call(CONTEXT, method, **kwargs)
            e = caught.exception
            raised.append((type(e), getattr(e, "exc_type", None), getattr(e, "value", str(e))))
        self.assertEqual(raised[0], raised[1])
        return raised[0]

    def client(self, version="2.0", **kwargs):
        target = oslo_messaging.Target(topic=self.topic, version=version)
        return oslo_messaging.get_rpc_client(self.transport, target, timeout=15, **kwargs)

    # -- start-up -----------------------------------------------------------

    def test_start_up_lists_what_is_served_and_what_is_not(self):
        output = self.bridge.output()
        self.assertIn(f"backend {rh.INVENTORY} at {self.backend.address} <- oslo exchange "
                      f"'openstack' topic '{self.topic}' server '{self.server_name}' version 2.3",
                      output)
        self.assertIn(f"namespace 'admin'", output)
        self.assertIn(f"reverse record -> /{rh.INVENTORY}/Record\n", output)
        self.assertIn(f"reverse get_console -> /{rh.INVENTORY}/GetConsole\n", output)
        self.assertIn(f"reverse: not served /{rh.INVENTORY}/Watch: gather", output)
        self.assertNotIn("RecordCast\n", output.replace("RecordCast(", ""))

    # -- calls, casts ---------------------------------------------------------

    def test_a_taken_grpc_port_ends_a_bridge_with_backends_at_once(self):
        # The reverse direction starts before the gRPC server listens, and its
        # backend calls complete on that server's queues: a failed listen
        # must still end the process, with its reason.
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        try:
            done = subprocess.run(
                [harness.runfile("bridge/grpc_amqp_bridge"),
                 f"--descriptor_set={self.descriptor_set}",
                 f"--listen=127.0.0.1:{taken.getsockname()[1]}",
                 f"--transport_url={harness.TRANSPORT_URL}",
                 f"--backend={rh.INVENTORY}={self.backend.address}",
                 f"--server_name={harness.unique('taken')}"],
                capture_output=True, text=True, timeout=30)
        finally:
            taken.close()
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("cannot listen on 127.0.0.1:", done.stderr)

    def test_call_returns_the_response_as_a_dict(self):
        result = self.client().call(CONTEXT, "get_instance", uuid="u1")
        self.assertEqual(result, {"uuid": "u1", "name": "vm-u1", "power": "SHUTDOWN",
                                  "tags": ["a", "b"], "memory_mb": 1 << 40})

    def test_versioned_objects_and_oslo_enum_spellings_both_ways(self):
        flavor = {"nova_object.name": "Flavor", "nova_object.namespace": "nova",
                  "nova_object.version": "1.2", "nova_object.data": {"name": "m1", "vcpus": 2},
                  "nova_object.changes": ["name", "vcpus"]}
        result = self.client().call(CONTEXT, "resize", flavor=flavor, state="active")
        self.assertEqual(result["state"], "resized")
        self.assertEqual(result["flavor"]["nova_object.name"], "Flavor")
        self.assertEqual(result["flavor"]["nova_object.version"], "1.2")
        self.assertEqual(result["flavor"]["nova_object.data"], {"name": "m1-big", "vcpus": 4})
        with self.assertRaises(ValueError) as raised:
            self.client().call(CONTEXT, "resize", state="exploded")
        self.assertIn("exploded", str(raised.exception))

    def test_empty_response_is_none(self):
        self.assertIsNone(self.client().call(CONTEXT, "nothing"))

    def test_result_field_and_server_field_of_a_targeted_call(self):
        targeted = self.client(version="2.3").prepare(server=self.server_name)
        self.assertEqual(targeted.call(CONTEXT, "get_console", uuid="u2"),
                         f"console of u2 on '{self.server_name}'")
        # To the topic (any server): the server field stays empty.
        self.assertEqual(self.client(version="2.3").call(CONTEXT, "get_console", uuid="u3"),
                         "console of u3 on ''")

    def test_the_call_of_several_grpc_methods_is_what_the_oslo_method_calls(self):
        marker = harness.unique("m")
        result = self.client().call(CONTEXT, "record", marker=marker)
        self.assertEqual(result["markers"][-1], marker)

    def test_cast_and_fanout_cast_reach_the_backend(self):
        cast_marker, fanout_marker = harness.unique("cast"), harness.unique("fanout")
        self.assertIsNone(self.client().cast(CONTEXT, "record", marker=cast_marker))
        self.client().prepare(fanout=True).cast(CONTEXT, "record", marker=fanout_marker)
        harness.wait_until(lambda: cast_marker in self.backend.markers
                           and fanout_marker in self.backend.markers, 10,
                           "the cast and the fanout cast reaching the backend")

    # -- dispatch -------------------------------------------------------------

    def test_namespace_picks_the_service(self):
        admin = self.client(version="1.1").prepare(namespace="admin")
        self.assertEqual(admin.call(CONTEXT, "ping", uuid="n1"), {
            "uuid": "n1", "name": "admin", "power": "POWER_UNSPECIFIED", "tags": [],
            "memory_mb": 0})
        # The default namespace has no "ping": NoSuchMethod, as oslo says.
        _, exc_type, value = self.assertSameFailure("ping", uuid="n1")
        self.assertEqual(exc_type, "NoSuchMethod")
        self.assertIn("ping", value)

    def test_version_negotiation(self):
        # 2.3 is the highest version a method asks for: 2.0..2.3 are served.
        for version in ("2.0", "2.1", "2.3"):
            self.assertEqual(self.client(version=version).call(CONTEXT, "get_instance",
                                                               uuid="v")["uuid"], "v")
        for version in ("2.4", "3.0", "1.9"):
            _, exc_type, value = self.assertSameFailure("get_instance", version=version,
                                                        uuid="v")
            self.assertEqual(exc_type, "UnsupportedVersion")
            self.assertIn(version, value)
        # Namespace admin at 1.1 does not serve 1.2.
        _, exc_type, _ = self.assertSameFailure("ping", version="1.2", namespace="admin")
        self.assertEqual(exc_type, "UnsupportedVersion")

    def test_no_such_method(self):
        _, exc_type, value = self.assertSameFailure("no_such_method")
        self.assertEqual(exc_type, "NoSuchMethod")
        self.assertIn("no_such_method", value)
        # A streaming method is no oslo method here.
        _, exc_type, _ = self.assertSameFailure("watch", uuid="x")
        self.assertEqual(exc_type, "NoSuchMethod")

    def test_unexpected_argument_is_a_type_error_naming_it(self):
        with self.assertRaises(TypeError) as raised:
            self.client().call(CONTEXT, "get_instance", uuid="u", bogus=1)
        self.assertIn("get_instance() got an unexpected keyword argument 'bogus'",
                      str(raised.exception))
        # The Python reference raises TypeError for it too.
        with self.assertRaises(TypeError):
            oslo_messaging.get_rpc_client(self.transport, oslo_messaging.Target(
                topic=self.reference_topic, version="2.0"), timeout=15).call(
                    CONTEXT, "get_instance", uuid="u", bogus=1)

    def test_argument_of_the_wrong_type_is_a_value_error(self):
        with self.assertRaises(ValueError) as raised:
            self.client().call(CONTEXT, "get_instance", uuid=[1, 2])
        self.assertIn("uuid", str(raised.exception))

    # -- errors -----------------------------------------------------------------

    def test_backend_error_without_error_info_is_a_remote_error(self):
        with self.assertRaises(oslo_messaging.RemoteError) as raised:
            self.client().call(CONTEXT, "fail", code="NOT_FOUND", message="no such thing")
        self.assertEqual(raised.exception.exc_type, "NOT_FOUND")
        self.assertIn("no such thing", raised.exception.value)

    def test_backend_error_info_names_the_exception(self):
        import nova.exception
        with self.assertRaises(nova.exception.InstanceNotFound) as raised:
            self.client().call(CONTEXT, "fail", code="NOT_FOUND", reason="InstanceNotFound",
                               domain="nova.exception", message="Instance u9 could not be found.",
                               metadata={"instance_id": "u9"})
        self.assertIn("Instance u9 could not be found.", str(raised.exception))
        self.assertEqual(raised.exception.kwargs.get("instance_id"), "u9")
        # A module the caller does not allow: RemoteError naming the class.
        with self.assertRaises(oslo_messaging.RemoteError) as raised:
            self.client().call(CONTEXT, "fail", code="ABORTED", reason="Conflict",
                               domain="example.errors", message="busy")
        self.assertEqual(raised.exception.exc_type, "Conflict")

    # -- context, deadlines, call monitor -----------------------------------------

    def test_backend_sees_context_request_id_and_the_callers_timeout(self):
        seen = self.client().prepare(timeout=7).call(CONTEXT, "sleep", seconds=0)
        self.assertEqual(json.loads(seen["context"]), CONTEXT)
        self.assertEqual(seen["request_id"], "req-7f3c")
        self.assertGreater(seen["deadline_seconds"], 5.5)
        self.assertLessEqual(seen["deadline_seconds"], 7.5)

    def test_a_cast_gets_rpc_response_timeout_as_its_deadline(self):
        marker = harness.unique("deadline")
        before = len(self.backend.seen)
        self.client().cast(CONTEXT, "record", marker=marker)
        harness.wait_until(lambda: marker in self.backend.markers, 10, "the cast")
        deadlines = [d for method, _, d in self.backend.seen[before:] if method == "Record"]
        self.assertTrue(deadlines)
        self.assertGreater(max(deadlines), 35)  # --rpc_response_timeout=40
        self.assertLessEqual(max(deadlines), 40.5)

    def test_heartbeats_keep_a_call_longer_than_its_call_monitor_alive(self):
        started = time.monotonic()
        seen = self.client().prepare(timeout=20, call_monitor_timeout=2).call(
            CONTEXT, "sleep", seconds=5)
        self.assertGreaterEqual(time.monotonic() - started, 5)
        self.assertEqual(seen["request_id"], "req-7f3c")

    def test_a_backend_slower_than_the_timeout_times_out(self):
        started = time.monotonic()
        with self.assertRaises(oslo_messaging.MessagingTimeout):
            self.client().prepare(timeout=1).call(CONTEXT, "sleep", seconds=3)
        self.assertLess(time.monotonic() - started, 2.5)

    # -- metrics -------------------------------------------------------------------

    def test_metrics_count_calls_by_method_and_outcome(self):
        port = re.search(r"metrics on [^\s:]+:(\d+)", self.bridge.output()).group(1)

        def count(method, outcome):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
                text = page.read().decode()
            line = re.search(
                r'^grpc_amqp_bridge_reverse_calls_total\{service="%s",oslo_method="%s",'
                r'outcome="%s"\} (\d+)$' % (re.escape(rh.INVENTORY), method, outcome),
                text, re.M)
            self.assertIsNotNone(line, text[-2000:])
            return int(line.group(1))

        before = {o: count("get_instance", o) for o in ("ok", "backend_error", "bad_arguments")}
        failed_before = count("fail", "backend_error")
        client = self.client()
        client.call(CONTEXT, "get_instance", uuid="m1")
        client.call(CONTEXT, "get_instance", uuid="m2")
        with self.assertRaises(TypeError):
            client.call(CONTEXT, "get_instance", nope=1)
        with self.assertRaises(oslo_messaging.RemoteError):
            client.call(CONTEXT, "fail", code="INTERNAL", message="x")
        self.assertEqual(count("get_instance", "ok") - before["ok"], 2)
        self.assertEqual(count("get_instance", "bad_arguments") - before["bad_arguments"], 1)
        self.assertEqual(count("get_instance", "backend_error"), before["backend_error"])
        self.assertEqual(count("fail", "backend_error") - failed_before, 1)

    # -- load, bad input ------------------------------------------------------------

    def test_300_concurrent_calls(self):
        client = self.client()
        with concurrent.futures.ThreadPoolExecutor(max_workers=300) as pool:
            results = list(pool.map(
                lambda i: client.call(CONTEXT, "get_instance", uuid=f"c{i}"), range(300)))
        self.assertEqual([r["uuid"] for r in results], [f"c{i}" for i in range(300)])

    def test_bad_amqp_input_never_stops_the_consumer(self):
        reply_q = harness.unique("vanished_reply_q")
        url = harness.TRANSPORT_URL.replace("rabbit://", "amqp://") + "/"
        with kombu.Connection(url) as connection:
            producer = connection.Producer()
            exchange = kombu.Exchange("openstack", type="topic", durable=False)
            for body in (b"not json", b"[1, 2]",
                         json.dumps({"oslo.version": "2.0", "oslo.message": "{"}).encode(),
                         json.dumps({"method": 5, "args": {}}).encode()):
                producer.publish(body, exchange=exchange, routing_key=self.topic,
                                 content_type="application/json")
            # A body over --max_message_bytes (16 MiB): rejected unread.
            producer.publish(b"{" + b" " * (17 << 20) + b"}", exchange=exchange,
                             routing_key=self.topic, content_type="application/json")
            # A call whose reply queue does not exist: the reply is dropped.
            producer.publish(json.dumps({
                "oslo.version": "2.0", "oslo.message": json.dumps({
                    "method": "get_instance", "args": {"uuid": "gone"}, "version": "2.0",
                    "_msg_id": "0" * 32, "_reply_q": reply_q, "_unique_id": "1" * 32})}),
                exchange=exchange, routing_key=self.topic, content_type="application/json")
        harness.wait_until(lambda: self.bridge.output().count("rejecting a malformed message")
                           >= 3, 10, "a log line for each malformed message")
        # What oslo's dispatcher fails on is the cast's failure (a call's reply).
        harness.wait_until(lambda: "cast '' failed: request field \"method\" is a number"
                           in self.bridge.output(), 10, "a log line for the method 5 cast")
        harness.wait_until(lambda: "unread: over max_message_bytes" in self.bridge.output(), 10,
                           "a log line for the 16 MiB body")
        self.assertEqual(self.client().call(CONTEXT, "get_instance", uuid="after")["uuid"],
                         "after")


def fresh_api(prefix):
    """A work folder, a topic of its own and the test API on it."""
    workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    topic = harness.unique(prefix)
    descriptor_set, messages = rh.compile_api(topic, workdir)
    return workdir, topic, descriptor_set, messages


def assert_unavailable_promptly(test, client):
    """A call the backend cannot take fails with UNAVAILABLE within 5 s."""
    started = time.monotonic()
    with test.assertRaises(oslo_messaging.RemoteError) as raised:
        client.call(CONTEXT, "get_instance", uuid="x")
    test.assertEqual(raised.exception.exc_type, "UNAVAILABLE")
    test.assertLess(time.monotonic() - started, 5)


class BackendDownTest(unittest.TestCase):
    def test_an_unreachable_backend_fails_promptly(self):
        _, topic, descriptor_set, _ = fresh_api("reverse_down")
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            address = f"127.0.0.1:{s.getsockname()[1]}"
        bridge = rh.start_bridge(descriptor_set, address, "downhost", name="bridge-down")
        transport = harness.make_transport()
        try:
            client = oslo_messaging.get_rpc_client(
                transport, oslo_messaging.Target(topic=topic, version="2.0"), timeout=20)
            for _ in range(3):
                assert_unavailable_promptly(self, client)
        finally:
            transport.cleanup()
            bridge.stop()


class BadBackendFlagsTest(unittest.TestCase):
    def test_start_up_refuses_a_backend_it_cannot_serve(self):
        _, _, descriptor_set, _ = fresh_api("reverse_bad")
        for flag, words in ((f"--backend=no.Such=127.0.0.1:1",
                             "backend no.Such=127.0.0.1:1: no descriptor set has this service"),
                            ("--backend=reverse.v1.Inventory", "want <package.Service>=<host:port>"),
                            (f"--backend={rh.INVENTORY}=h:1,{rh.INVENTORY}=h:2",
                             f"backend for {rh.INVENTORY} given twice")):
            done = subprocess.run(
                [harness.runfile("bridge/grpc_amqp_bridge"), f"--descriptor_set={descriptor_set}",
                 "--listen=127.0.0.1:0", f"--transport_url={harness.TRANSPORT_URL}", flag],
                capture_output=True, text=True, timeout=30)
            self.assertEqual(done.returncode, 2, flag)
            self.assertIn(words, done.stderr, flag)


class BackendTlsTest(unittest.TestCase):
    def test_tls_to_the_backend_verifies_its_certificate(self):
        workdir, topic, descriptor_set, m = fresh_api("reverse_tls")
        pki = test_pki.Pki(workdir)
        ca, rogue = pki.ca("backend-ca"), pki.ca("rogue-ca")
        server = pki.issue(ca, "backend", server=True)
        backend = rh.Backend(m, credentials=grpc.ssl_server_credentials([server.read()]))
        transport = harness.make_transport()
        try:
            client = oslo_messaging.get_rpc_client(
                transport, oslo_messaging.Target(topic=topic, version="2.0"), timeout=20)
            # "localhost": the name the certificate has (and 127.0.0.1).
            bridge = rh.start_bridge(descriptor_set, f"localhost:{backend.port}", "tlshost",
                                     f"--backend_tls_ca={ca.cert}", name="bridge-tls")
            try:
                self.assertIn(" (TLS) <- oslo", bridge.output())
                self.assertEqual(client.call(CONTEXT, "get_instance", uuid="tls")["uuid"], "tls")
            finally:
                bridge.stop()
            # A CA that did not sign the backend's certificate: refused, promptly.
            bridge = rh.start_bridge(descriptor_set, f"localhost:{backend.port}", "tlshost",
                                     f"--backend_tls_ca={rogue.cert}", name="bridge-rogue")
            try:
                assert_unavailable_promptly(self, client)
            finally:
                bridge.stop()
        finally:
            transport.cleanup()
            backend.stop()


class BothDirectionsTest(unittest.TestCase):
    def test_grpc_client_to_bridge_to_oslo_to_the_same_bridge_to_backend(self):
        _, _, descriptor_set, m = fresh_api("reverse_both")
        backend = rh.Backend(m)
        try:
            bridge = rh.start_bridge(descriptor_set, backend.address, "bothhost",
                                     name="bridge-both")
            try:
                get = bridge.unary("GetInstance", m.Instance, service=rh.INVENTORY)
                instance = get(m.GetRequest(uuid="both"), timeout=10,
                               metadata=(("x-request-id", "req-both"),))
                self.assertEqual((instance.uuid, instance.name, instance.memory_mb),
                                 ("both", "vm-both", 1 << 40))
                method, metadata, _ = backend.seen[-1]
                self.assertEqual(method, "GetInstance")
                self.assertEqual(metadata.get("x-request-id"), "req-both")
                # A targeted call (server_field) through both directions.
                console = bridge.unary("GetConsole", m.Console, service=rh.INVENTORY)
                self.assertEqual(console(m.ConsoleRequest(host="bothhost", uuid="c"),
                                         timeout=10).output, "console of c on 'bothhost'")
                # A backend error comes back to the gRPC client with its code.
                fail = bridge.unary("Fail", m.Empty, service=rh.INVENTORY)
                with self.assertRaises(grpc.RpcError) as raised:
                    fail(m.FailRequest(code="NOT_FOUND", message="nope"), timeout=10)
                self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)
            finally:
                self.assertEqual(bridge.stop(), 0, "the bridge's exit status")
        finally:
            backend.stop()


if __name__ == "__main__":
    harness.run([ReverseTest, BackendDownTest, BadBackendFlagsTest, BackendTlsTest,
                 BothDirectionsTest])
