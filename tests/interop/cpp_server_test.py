#!/usr/bin/python3
"""Real Python oslo_messaging RPCClients against the C++ server (`oslo_rpc
serve` on bridge/rpc): calls, casts, fanout, server targeting, version and
namespace selection, context, None / unicode / nested values, the errors a
Python client sees (compared with what a Python server gives for the same
request), timeouts, and a C++ and a Python server sharing one topic.

`oslo_rpc serve` answers every call with {"method", "args", "context"} and
logs every call and cast; --fail_method and --none_method make one method
fail or return None.
"""
import json
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import amqp  # noqa: E402
import oslo_messaging  # noqa: E402
from oslo_context.context import RequestContext  # noqa: E402

UNICODE = "Grüße, 世界! \u00e9\u0301 😀 \"quoted\" back\\slash\ttab\nnewline"
NESTED = {
    "list": [1, 2.5, None, True, False, "two", [3, [4, {"deep": "ü"}]]],
    "map": {"ключ": {"κλειδί": ["值", {"": 0}]}, "empty": {}, "none": None},
    "big": 9007199254740993,
    "negative": -(2 ** 62),
    "float": 1e-07,
    "ratio": 0.1,
}
SPECIALS = [float("nan"), float("inf"), float("-inf"), -0.0, 5e-324, 1.7976931348623157e308,
            0.1, 1e16, 123456789.123, 2 ** 64 - 1, -2 ** 63, 0, ""]
SERVE_FLAGS = ("--fail_method=explode", "--none_method=nothing", "--sleep_method=slow")
EXMODS = ["oslo_messaging.rpc.dispatcher", "grpc_amqp_bridge"]


def logged(process, kind):
    """The {method, args, context} dicts `oslo_rpc serve` logged as `kind`
    ("call" or "cast")."""
    marker = f"] {kind} "
    found = []
    for line in process.output().splitlines():
        if marker not in line:
            continue
        try:
            found.append(json.loads(line.split(marker, 1)[1]))
        except ValueError:
            if len(line) < 29000:  # glog cuts messages at 30000 bytes
                raise
    return found


def with_marker(process, kind, marker):
    return [m for m in logged(process, kind) if m["args"].get("marker") == marker]


class ReferenceEndpoint:
    """What a Python server on the reference topic offers (version 1.0)."""

    def echo(self, ctxt, **kwargs):
        return kwargs


class CppServerTest(harness.unittest.TestCase):
    """Two C++ servers, cpp-a and cpp-b, on one topic; one C++ server with
    version 2.5 in namespace "admin" on another; a Python reference server on a
    third."""

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("cpp_server")
        cls.admin_topic = harness.unique("cpp_server_admin")
        cls.reference_topic = harness.unique("py_reference")
        cls.processes = []
        cls.reference = None
        try:
            cls.servers = {}
            for name in ("cpp-a", "cpp-b"):
                cls.servers[name] = harness.serve_process(cls.topic, name, name, *SERVE_FLAGS)
                cls.processes.append(cls.servers[name])
            cls.admin = harness.serve_process(cls.admin_topic, "cpp-admin", "cpp-admin",
                                              "--version=2.5", "--namespace=admin")
            cls.processes.append(cls.admin)
            cls.transport = harness.make_transport()
            cls.transport_exmods = harness.make_transport(allowed_remote_exmods=EXMODS)
            cls.reference = harness.PythonServer(cls.transport, cls.reference_topic,
                                                 "py-ref", [ReferenceEndpoint()])
        except Exception:
            cls.tearDownClass()
            raise
        cls.client = oslo_messaging.get_rpc_client(
            cls.transport, oslo_messaging.Target(topic=cls.topic), timeout=10)

    @classmethod
    def tearDownClass(cls):
        if cls.reference is not None:
            cls.reference.stop()
        for process in cls.processes:
            process.stop()
        for name in ("transport", "transport_exmods"):
            if hasattr(cls, name):
                getattr(cls, name).cleanup()

    def client_for(self, topic=None, transport=None, **prepare):
        client = oslo_messaging.get_rpc_client(
            transport or self.transport, oslo_messaging.Target(topic=topic or self.topic),
            timeout=10)
        return client.prepare(**prepare) if prepare else client

    # -- results and arguments -------------------------------------------

    def test_call_echoes_unicode_nested_and_big_arguments_and_the_context(self):
        ctxt = {"user_id": "alice", "project_id": "p-1", "request_id": "req-" + UNICODE,
                "roles": ["admin", "member"], "is_admin": False, "quota": {"cores": 4},
                "none": None}
        args = {"text": UNICODE, "nested": NESTED, "big": 9007199254740993, "none": None,
                "flag": True, "items": [1, "two", [3]]}
        reply = self.client.call(ctxt, "echo", **args)
        self.assertEqual(reply, {"method": "echo", "args": args, "context": ctxt})
        self.assertIs(type(reply["args"]["big"]), int)
        self.assertEqual(reply["args"]["big"], 9007199254740993)
        self.assertEqual(list(reply["context"]), list(ctxt))  # and in the same order

    def test_request_context_object(self):
        ctxt = RequestContext(user_id="alice", project_id="p-1", request_id="req-ctx",
                              roles=["reader"], is_admin=True)
        reply = self.client.call(ctxt, "whoami")
        self.assertEqual(reply["context"], json.loads(json.dumps(ctxt.to_dict())))
        self.assertEqual(RequestContext.from_dict(reply["context"]).to_dict(), ctxt.to_dict())

    def test_call_monitor_timeout(self):
        # The request carries _timeout: 4; the server answers before any heartbeat.
        client = oslo_messaging.get_rpc_client(
            self.transport, oslo_messaging.Target(topic=self.topic), timeout=10,
            call_monitor_timeout=4)
        self.assertEqual(client.call({"request_id": "req-cm"}, "echo", x=1),
                         {"method": "echo", "args": {"x": 1},
                          "context": {"request_id": "req-cm"}})

    def test_call_monitor_heartbeats_keep_a_slow_call_alive(self):
        # oslo's client gives up after 2 s without a heartbeat; the method
        # takes 3.5 s, so only the C++ server's heartbeats (every 1 s) let
        # the call succeed.
        client = oslo_messaging.get_rpc_client(
            self.transport, oslo_messaging.Target(topic=self.topic), timeout=20,
            call_monitor_timeout=2)
        started = time.monotonic()
        self.assertEqual(client.call({"request_id": "req-slow"}, "slow", seconds=3.5),
                         {"method": "slow", "args": {"seconds": 3.5},
                          "context": {"request_id": "req-slow"}})
        self.assertGreaterEqual(time.monotonic() - started, 3.5)

    def test_call_without_arguments_or_context(self):
        self.assertEqual(self.client.call({}, "ping"),
                         {"method": "ping", "args": {}, "context": {}})

    def test_none_result(self):
        self.assertIsNone(self.client.call({"request_id": "req-none"}, "nothing", x=1))
        # The server did run it.
        self.assertTrue(any(m["method"] == "nothing" and m["args"] == {"x": 1}
                            for p in self.servers.values() for m in logged(p, "call")))

    def test_special_numbers(self):
        # NaN, infinities, -0.0, 64-bit extremes, Python's float repr.
        reply = self.client.call({}, "echo", values=SPECIALS)
        self.assertEqual(json.dumps(reply["args"]["values"]), json.dumps(SPECIALS))

    def test_large_arguments_and_result(self):
        text = "x" * (3 * 1024 * 1024) + UNICODE  # many AMQP frames each way
        self.assertEqual(self.client.call({}, "echo", text=text)["args"], {"text": text})

    # -- routing -----------------------------------------------------------

    def test_server_targeted_call_reaches_only_that_server(self):
        for name, other in (("cpp-b", "cpp-a"), ("cpp-a", "cpp-b")):
            marker = uuid.uuid4().hex
            for _ in range(3):
                reply = self.client.prepare(server=name).call({}, "where", marker=marker)
                self.assertEqual(reply["args"], {"marker": marker})
            self.assertEqual(len(with_marker(self.servers[name], "call", marker)), 3)
            self.assertEqual(with_marker(self.servers[other], "call", marker), [])

    def test_untargeted_calls_reach_both_servers(self):
        marker = uuid.uuid4().hex
        for _ in range(8):
            self.client.call({}, "spread", marker=marker)
        counts = {name: len(with_marker(p, "call", marker)) for name, p in self.servers.items()}
        self.assertEqual(sum(counts.values()), 8, counts)
        self.assertTrue(all(counts.values()), counts)

    def test_cast_reaches_one_server(self):
        marker = uuid.uuid4().hex
        self.assertIsNone(self.client.cast({"request_id": "req-cast"}, "note", marker=marker,
                                           text=UNICODE, nested=NESTED))
        harness.wait_until(
            lambda: any(with_marker(p, "cast", marker) for p in self.servers.values()),
            10, "the cast's arrival at a C++ server")
        time.sleep(0.3)  # a wrong second delivery would show up by now
        seen = [m for p in self.servers.values() for m in with_marker(p, "cast", marker)]
        self.assertEqual(seen, [{"method": "note",
                                 "args": {"marker": marker, "text": UNICODE, "nested": NESTED},
                                 "context": {"request_id": "req-cast"}}])

    def test_server_targeted_cast(self):
        marker = uuid.uuid4().hex
        self.client.prepare(server="cpp-b").cast({}, "note", marker=marker)
        self.servers["cpp-b"].wait_for_output(marker, timeout=10)
        time.sleep(0.3)
        self.assertEqual(len(with_marker(self.servers["cpp-b"], "cast", marker)), 1)
        self.assertEqual(with_marker(self.servers["cpp-a"], "cast", marker), [])

    def test_fanout_cast_reaches_every_server(self):
        marker = uuid.uuid4().hex
        self.client.prepare(fanout=True).cast({"user_id": "bob"}, "refresh", marker=marker)
        for process in self.servers.values():
            process.wait_for_output(marker, timeout=10)
        time.sleep(0.3)
        for process in self.servers.values():
            self.assertEqual(with_marker(process, "cast", marker),
                             [{"method": "refresh", "args": {"marker": marker},
                               "context": {"user_id": "bob"}}])
        self.assertEqual(with_marker(self.admin, "cast", marker), [])  # another topic

    # -- versions and namespaces -------------------------------------------

    def test_version_and_namespace_select_the_endpoint(self):
        for version in ("2.0", "2.5"):
            reply = self.client_for(self.admin_topic, namespace="admin",
                                    version=version).call({}, "status")
            self.assertEqual(reply["method"], "status")

    def assert_unsupported_version(self, reported, **prepare):
        with self.assertRaises(oslo_messaging.RemoteError) as raised:
            self.client_for(self.admin_topic, **prepare).call({}, "status")
        self.assertEqual(raised.exception.exc_type, "UnsupportedVersion")
        self.assertEqual(raised.exception.value, "Endpoint does not support RPC version "
                         f"{reported}. Attempted method: status")

    def test_incompatible_version_is_unsupported_version(self):
        for version in ("2.6", "3.0", "1.0", "2.5.1"):
            self.assert_unsupported_version(version, namespace="admin", version=version)

    def test_namespace_mismatch_is_unsupported_version(self):
        self.assert_unsupported_version("2.0", version="2.0")  # default namespace
        self.assert_unsupported_version("2.0", namespace="other", version="2.0")
        self.assert_unsupported_version("1.0", namespace="admin")  # no version: 1.0
        with self.assertRaises(oslo_messaging.RemoteError) as raised:
            self.client.prepare(namespace="admin").call({}, "echo")
        self.assertEqual(raised.exception.exc_type, "UnsupportedVersion")

    # -- errors, as Python sees them -----------------------------------------

    def test_errors_match_a_python_servers(self):
        """The same bad requests to the C++ server and to a Python server give
        the Python client the same exceptions, with and without the dispatcher
        module in allowed_remote_exmods."""
        cases = [("_private", {}, "NoSuchMethod",
                  "Endpoint does not support RPC method _private"),
                 ("echo", {"version": "9.0"}, "UnsupportedVersion",
                  "Endpoint does not support RPC version 9.0. Attempted method: echo"),
                 ("echo", {"namespace": "admin"}, "UnsupportedVersion",
                  "Endpoint does not support RPC version 1.0. Attempted method: echo")]
        for method, prepare, cls_name, message in cases:
            seen = {}
            for topic in (self.topic, self.reference_topic):
                with self.subTest(method=method, prepare=prepare, topic=topic):
                    # Without the allow-list: RemoteError naming the class.
                    with self.assertRaises(oslo_messaging.RemoteError) as raised:
                        self.client_for(topic, **prepare).call({}, method, a=1)
                    remote = raised.exception
                    self.assertEqual((remote.exc_type, remote.value), (cls_name, message))
                    # With it: the oslo_messaging exception class itself.
                    with self.assertRaises(getattr(oslo_messaging, cls_name)) as raised:
                        self.client_for(topic, self.transport_exmods,
                                        **prepare).call({}, method, a=1)
                    error = raised.exception
                    self.assertEqual(type(error).__name__, cls_name + "_Remote")
                    self.assertEqual(type(error).__module__,
                                     "oslo_messaging.rpc.dispatcher_Remote")
                    self.assertEqual(str(error).splitlines()[0], message)
                    # The class was rebuilt from args: the same from both servers
                    # (oslo's constructors format the message once more).
                    seen[topic] = (remote.exc_type, remote.value, type(error).__name__,
                                   str(error).splitlines()[0], error.args,
                                   getattr(error, "method", None),
                                   getattr(error, "version", None))
            self.assertEqual(seen[self.topic], seen[self.reference_topic])

    def raw_calls(self, topic, messages, timeout=5):
        """Publishes each message dict as a call (with _msg_id and _reply_q) to
        `topic` and returns, in order, each reply's (failure class or None,
        result), or None for a call no reply came to within `timeout`."""
        conn = amqp.Connection(f"{harness.BROKER_HOST}:{harness.BROKER_PORT}",
                               userid="guest", password="guest")
        conn.connect()
        try:
            channel = conn.channel()
            reply_q = harness.unique("raw_reply")
            channel.queue_declare(reply_q, exclusive=True, auto_delete=True)
            # oslo replies through a direct exchange named after the queue.
            channel.exchange_declare(reply_q, "direct", durable=False, auto_delete=True)
            channel.queue_bind(reply_q, reply_q, reply_q)
            answers = []
            for message in messages:
                msg_id = uuid.uuid4().hex
                body = json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(
                    {**message, "_msg_id": msg_id, "_reply_q": reply_q,
                     "_unique_id": uuid.uuid4().hex})})
                channel.basic_publish(amqp.Message(body, content_type="application/json"),
                                      exchange="openstack", routing_key=topic)
                answers.append(None)
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    got = channel.basic_get(reply_q, no_ack=True)
                    if got is None:
                        time.sleep(0.02)
                        continue
                    reply = json.loads(json.loads(got.body)["oslo.message"])
                    if reply["_msg_id"] != msg_id or not reply.get("ending"):
                        continue
                    failure = reply.get("failure")
                    answers[-1] = (json.loads(failure)["class"] if failure else None,
                                   reply.get("result"))
                    break
            return answers
        finally:
            conn.close()

    def test_malformed_calls_fail_as_on_a_python_server(self):
        """Calls a Python server answers although they are malformed get the
        same failure class from the C++ server, at once, and it keeps serving."""
        nested = 1
        for _ in range(100):
            nested = {"a": nested}
        cases = [
            ({"args": {}}, "TypeError"),                                  # no method
            ({"method": 5, "args": {}}, "TypeError"),
            ({"method": "echo", "args": [1]}, "AttributeError"),
            ({"method": "echo", "args": None}, "AttributeError"),
            ({"method": "echo", "args": {}, "version": 5}, "AttributeError"),
            ({"method": "echo", "args": {}, "namespace": 5}, "UnsupportedVersion"),
            ({"method": "echo", "args": {"a": 1}, "_timeout": "soon"}, None),  # ignored
        ]
        for topic in (self.topic, self.reference_topic):
            with self.subTest(topic=topic):
                answers = self.raw_calls(topic, [message for message, _ in cases])
                self.assertEqual([a and a[0] for a in answers],
                                 [failure for _, failure in cases])
                self.assertIsNotNone(answers[-1])
        # JSON deeper than the C++ server reads: Python runs the call, the C++
        # server answers a ValueError saying why instead of no answer at all.
        deep = {"method": "echo", "args": {"x": nested}}
        [python] = self.raw_calls(self.reference_topic, [deep])
        self.assertEqual(python, (None, {"x": nested}))
        [cpp] = self.raw_calls(self.topic, [deep])
        self.assertEqual(cpp[0], "ValueError")
        self.assertEqual(self.client.call({}, "echo", after="malformed")["args"],
                         {"after": "malformed"})

    def test_other_errors_are_remote_errors(self):
        for transport in (self.transport, self.transport_exmods):
            with self.assertRaises(oslo_messaging.RemoteError) as raised:
                self.client_for(transport=transport).call({}, "explode", why="ünïcode")
            self.assertEqual(raised.exception.exc_type, "InvalidArgument")
            self.assertEqual(raised.exception.value,
                             "method explode fails on purpose (--fail_method)")
            self.assertEqual(raised.exception.traceback,
                             ["grpc_amqp_bridge.InvalidArgument: method explode fails on "
                              "purpose (--fail_method)\n"])
        # Still serving afterwards.
        self.assertEqual(self.client.call({}, "echo", after="error")["args"], {"after": "error"})

    # -- timeouts ------------------------------------------------------------

    def test_call_to_a_stopped_server_times_out(self):
        gone = harness.serve_process(self.topic, "cpp-gone", "cpp-gone")
        try:
            # It answers while it runs...
            self.assertEqual(self.client.prepare(server="cpp-gone").call({}, "echo")["method"],
                             "echo")
        finally:
            self.assertEqual(gone.stop(), 0, gone.output())
        self.assertIn("stopping on signal 15", gone.output())
        # ...and its queue topic.cpp-gone stays, with nobody consuming it.
        started = time.monotonic()
        with self.assertRaises(oslo_messaging.MessagingTimeout):
            self.client.prepare(server="cpp-gone", timeout=2).call({}, "echo")
        self.assertGreaterEqual(time.monotonic() - started, 2.0)
        self.assertLess(time.monotonic() - started, 6.0)


class SharedTopicTest(harness.unittest.TestCase):
    """A C++ server and a Python server on the same topic share the load."""

    class PythonEndpoint:
        def __init__(self):
            self.casts = []

        def echo(self, ctxt, **kwargs):
            return {"served_by": "python", "args": kwargs, "context": ctxt}

        def refresh(self, ctxt, **kwargs):
            self.casts.append(kwargs)

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("shared")
        cls.transport = harness.make_transport()
        cls.endpoint = cls.PythonEndpoint()
        cls.cpp = harness.serve_process(cls.topic, "cpp-1", "cpp-shared")
        try:
            cls.python = harness.PythonServer(cls.transport, cls.topic, "py-1",
                                              [cls.endpoint])
        except Exception:
            cls.cpp.stop()
            raise
        cls.client = oslo_messaging.get_rpc_client(
            cls.transport, oslo_messaging.Target(topic=cls.topic), timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.python.stop()
        cls.cpp.stop()
        cls.transport.cleanup()

    def test_calls_are_shared(self):
        served = {"python": 0, "cpp": 0}
        for i in range(40):
            reply = self.client.call({"request_id": f"req-{i}"}, "echo", i=i, text=UNICODE)
            if reply.get("served_by") == "python":
                served["python"] += 1
                self.assertEqual(reply["context"]["request_id"], f"req-{i}")
            else:
                served["cpp"] += 1
                self.assertEqual(reply["method"], "echo")
                self.assertEqual(reply["context"], {"request_id": f"req-{i}"})
            self.assertEqual(reply["args"], {"i": i, "text": UNICODE})
        self.assertEqual(sum(served.values()), 40)
        # RabbitMQ hands a queue's messages to its consumers in turn.
        self.assertGreaterEqual(served["python"], 8, served)
        self.assertGreaterEqual(served["cpp"], 8, served)
        self.assertEqual(len([m for m in logged(self.cpp, "call")
                              if m["method"] == "echo"]), served["cpp"])

    def test_concurrent_calls_are_shared(self):
        replies, errors = [], []

        def call(i):
            try:
                replies.append(self.client.call({}, "echo", i=i))
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=call, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        self.assertEqual(errors, [])
        self.assertEqual(sorted(r["args"]["i"] for r in replies), list(range(20)))
        by_python = sum(1 for r in replies if r.get("served_by") == "python")
        self.assertTrue(0 < by_python < 20, by_python)

    def test_cpp_client_calls_are_shared(self):
        served_by = [harness.oslo_rpc("call", self.topic, "echo", {"i": i}).json()
                     .get("served_by", "cpp") for i in range(10)]
        self.assertEqual(set(served_by), {"python", "cpp"}, served_by)

    def test_fanout_reaches_both(self):
        marker = uuid.uuid4().hex
        self.client.prepare(fanout=True).cast({}, "refresh", marker=marker)
        self.cpp.wait_for_output(marker, timeout=10)
        harness.wait_until(lambda: {"marker": marker} in self.endpoint.casts, 10,
                           "the fanout's arrival at the Python server")


if __name__ == "__main__":
    harness.run([CppServerTest, SharedTopicTest])
