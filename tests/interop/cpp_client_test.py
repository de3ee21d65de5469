#!/usr/bin/python3
"""The C++ client (the `oslo_rpc` CLI on bridge/rpc) against real Python
oslo_messaging RPCServers: calls, casts, fanout, server targeting, version and
namespace selection, context, None / unicode / nested values, Python
exceptions, timeouts and calls nobody listens to.

Two Python servers, host1 and host2, serve one unique topic, each with three
endpoints: MainEndpoint (version 2.3), LegacyEndpoint (version 1.4) and
AdminEndpoint (namespace "admin", version 1.1).
"""
import json
import os
import sys
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import oslo_messaging  # noqa: E402

SPECIALS = [float("nan"), float("inf"), float("-inf"), -0.0, 5e-324, 1.7976931348623157e308,
            0.1, 1e16, 123456789.123, 2 ** 64 - 1, -2 ** 63, 0, ""]
UNICODE = "Grüße, 世界! \u00e9\u0301 😀 \"quoted\" back\\slash\ttab\nnewline"
NESTED = {
    "list": [1, 2.5, None, True, False, "two", [3, [4, {"deep": "ü"}]]],
    "map": {"ключ": {"κλειδί": ["值", {"": 0}]}, "empty": {}, "none": None},
    "big": 9007199254740993,
    "negative": -(2 ** 62),
    "float": 1e-07,
    "ratio": 0.1,
}


class QuotaExceeded(Exception):
    """A custom exception with kwargs, like nova's."""

    def __init__(self, message, **kwargs):
        super().__init__(message)
        self.kwargs = kwargs


class Recorder:
    """What the Python endpoints received by cast: (host, method, kwargs, ctxt)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._events = []

    def add(self, *event):
        with self._lock:
            self._events.append(event)

    def matching(self, marker):
        with self._lock:
            return [e for e in self._events if e[2].get("marker") == marker]


class MainEndpoint:
    target = oslo_messaging.Target(version="2.3")

    def __init__(self, host, recorder, release):
        self.host, self.recorder, self.release = host, recorder, release

    def which_version(self, ctxt):
        return {"endpoint": "2.3", "host": self.host}

    def whoami(self, ctxt):
        return self.host

    def echo(self, ctxt, **kwargs):
        return {"host": self.host, "args": kwargs,
                "types": {k: type(v).__name__ for k, v in kwargs.items()}}

    def get_context(self, ctxt):
        return ctxt

    def nothing(self, ctxt, **kwargs):
        return None

    def unicode_text(self, ctxt):
        return UNICODE

    def nested(self, ctxt):
        return NESTED

    def specials(self, ctxt):
        return SPECIALS

    def deep(self, ctxt, levels):
        result = 1
        for _ in range(levels):
            result = [result]
        return result

    def large(self, ctxt, size):
        return "x" * size + UNICODE

    def record(self, ctxt, **kwargs):
        self.recorder.add(self.host, "record", kwargs, ctxt)

    def fail_value(self, ctxt, what):
        raise ValueError(f"bad value: {what}")

    def fail_custom(self, ctxt):
        raise QuotaExceeded("Quota exceeded for cores: requested 8, limit 4",
                            code=413, resource="cores")

    def slow(self, ctxt):
        self.release.wait(10)
        return "late"

    def sleep(self, ctxt, seconds):
        """Sleeps, then says which call-monitor timeout oslo gave it."""
        harness.time.sleep(seconds)
        return ctxt.get("client_timeout")


class LegacyEndpoint:
    target = oslo_messaging.Target(version="1.4")

    def __init__(self, host):
        self.host = host

    def which_version(self, ctxt):
        return {"endpoint": "1.4", "host": self.host}


class AdminEndpoint:
    target = oslo_messaging.Target(namespace="admin", version="1.1")

    def __init__(self, host):
        self.host = host

    def reset(self, ctxt, node):
        return {"reset": node, "host": self.host, "namespace": "admin"}


class CppClientTest(harness.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("cpp_client")
        cls.recorder = Recorder()
        cls.release = threading.Event()
        cls.transport = harness.make_transport()
        cls.servers = {}
        try:
            for host in ("host1", "host2"):
                endpoints = [MainEndpoint(host, cls.recorder, cls.release),
                             LegacyEndpoint(host), AdminEndpoint(host)]
                cls.servers[host] = harness.PythonServer(cls.transport, cls.topic, host,
                                                         endpoints)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.release.set()  # lets a slow() still running finish
        for server in cls.servers.values():
            server.stop()
        cls.transport.cleanup()

    def rpc(self, command, *args, **flags):
        return harness.oslo_rpc(command, self.topic, *args, **flags)

    def call_ok(self, *args, **flags):
        result = self.rpc("call", *args, **flags)
        self.assertEqual(result.returncode, 0, str(result))
        self.assertEqual(result.stderr.strip(), "", str(result))
        return result.json()

    def call_fails(self, exit_code, *args, **flags):
        result = self.rpc("call", *args, **flags)
        self.assertEqual(result.returncode, exit_code, str(result))
        self.assertEqual(result.stdout, "", str(result))
        return result

    # -- results and arguments -------------------------------------------

    def test_call_returns_a_dict_and_arguments_arrive_intact(self):
        args = {"text": UNICODE, "nested": NESTED, "big": 9007199254740993,
                "none": None, "flag": True, "items": [1, "two", [3]]}
        reply = self.call_ok("echo", args, version="2.3")
        self.assertIn(reply["host"], ("host1", "host2"))
        self.assertEqual(reply["args"], args)
        self.assertEqual(reply["types"], {"text": "str", "nested": "dict", "big": "int",
                                          "none": "NoneType", "flag": "bool",
                                          "items": "list"})

    def test_call_without_arguments(self):
        reply = self.call_ok("echo", version="2.3")
        self.assertEqual(reply["args"], {})

    def test_none_result(self):
        result = self.rpc("call", "nothing", {"ignored": 1}, version="2.3")
        self.assertEqual((result.returncode, result.stdout), (0, "null\n"), str(result))

    def test_unicode_result(self):
        self.assertEqual(self.call_ok("unicode_text", version="2.3"), UNICODE)

    def test_nested_result(self):
        self.assertEqual(self.call_ok("nested", version="2.3"), NESTED)

    def test_special_numbers(self):
        # NaN, infinities, -0.0, 64-bit extremes, Python's float repr.
        self.assertEqual(self.rpc("call", "specials", version="2.3").stdout.strip(),
                         json.dumps(SPECIALS))
        reply = self.call_ok("echo", {"values": SPECIALS}, version="2.3")
        self.assertEqual(json.dumps(reply["args"]["values"]), json.dumps(SPECIALS))
        self.assertEqual(reply["types"], {"values": "list"})

    def test_large_result_and_arguments(self):
        size = 3 * 1024 * 1024  # many AMQP frames
        self.assertEqual(self.call_ok("large", {"size": size}, version="2.3"),
                         "x" * size + UNICODE)
        text = "y" * 120000 + UNICODE  # about as much as one argv string can hold
        self.assertEqual(self.call_ok("echo", {"text": text}, version="2.3")["args"],
                         {"text": text})

    # -- routing -----------------------------------------------------------

    def test_server_targeted_call_reaches_only_that_server(self):
        for host in ("host2", "host1", "host2", "host2", "host1"):
            self.assertEqual(self.call_ok("whoami", version="2.0", server=host), host)

    def test_untargeted_calls_reach_both_servers(self):
        hosts = {self.call_ok("whoami", version="2.0") for _ in range(8)}
        self.assertEqual(hosts, {"host1", "host2"})

    # -- versions and namespaces -------------------------------------------

    def test_version_selects_the_endpoint(self):
        self.assertEqual(self.call_ok("which_version")["endpoint"], "1.4")  # no version: 1.0
        self.assertEqual(self.call_ok("which_version", version="1.2")["endpoint"], "1.4")
        self.assertEqual(self.call_ok("which_version", version="1.4")["endpoint"], "1.4")
        self.assertEqual(self.call_ok("which_version", version="2.0")["endpoint"], "2.3")
        self.assertEqual(self.call_ok("which_version", version="2.3")["endpoint"], "2.3")

    def test_incompatible_version_is_unsupported_version(self):
        for version in ("3.0", "2.4", "1.5", "0.9"):
            result = self.call_fails(1, "which_version", version=version)
            self.assertIn("oslo_messaging.rpc.dispatcher.UnsupportedVersion: Endpoint does "
                          f"not support RPC version {version}. Attempted method: "
                          "which_version", result.stderr, str(result))

    def test_compatible_version_without_the_method_is_no_such_method(self):
        result = self.call_fails(1, "echo", version="1.0")  # only LegacyEndpoint matches
        self.assertIn("oslo_messaging.rpc.dispatcher.NoSuchMethod: Endpoint does not "
                      "support RPC method echo", result.stderr, str(result))
        result = self.call_fails(1, "no_such_method", version="2.3")
        self.assertIn("NoSuchMethod: Endpoint does not support RPC method no_such_method",
                      result.stderr, str(result))

    def test_namespace_selects_the_endpoint(self):
        reply = self.call_ok("reset", {"node": "n-7"}, namespace="admin", version="1.1",
                             server="host1")
        self.assertEqual(reply, {"reset": "n-7", "host": "host1", "namespace": "admin"})
        # The default namespace has no reset; admin has no whoami.
        result = self.call_fails(1, "reset", {"node": "n-7"}, version="2.3")
        self.assertIn("NoSuchMethod: Endpoint does not support RPC method reset",
                      result.stderr, str(result))
        result = self.call_fails(1, "whoami", namespace="admin", version="1.0")
        self.assertIn("NoSuchMethod: Endpoint does not support RPC method whoami",
                      result.stderr, str(result))
        # A namespace nobody serves, or the right one at a wrong version.
        for namespace, version in (("other", "1.0"), ("admin", "2.0"), ("admin", "1.2")):
            result = self.call_fails(1, "reset", {"node": "n"}, namespace=namespace,
                                     version=version)
            self.assertIn(f"UnsupportedVersion: Endpoint does not support RPC version "
                          f"{version}. Attempted method: reset", result.stderr, str(result))

    # -- context -----------------------------------------------------------

    def test_context_round_trip(self):
        context = {"user_id": "alice", "project_id": "p-1", "request_id": "req-" + UNICODE,
                   "roles": ["admin", "member"], "is_admin": True, "quota": {"cores": 4},
                   "big": 9007199254740993, "none": None}
        ctxt = self.call_ok("get_context", version="2.3", context=context)
        for key, value in context.items():
            self.assertIn(key, ctxt)
            self.assertEqual(ctxt[key], value, key)
        # oslo shows the call-monitor timeout as client_timeout: none was asked.
        self.assertIn("client_timeout", ctxt)
        self.assertIsNone(ctxt["client_timeout"])
        self.assertEqual(set(ctxt) - set(context), {"client_timeout"})

    def test_empty_context(self):
        self.assertEqual(self.call_ok("get_context", version="2.3"), {"client_timeout": None})

    # -- casts -------------------------------------------------------------

    def cast(self, command, marker, **flags):
        context = {"request_id": f"req-{marker}", "user_id": "bob"}
        result = self.rpc(command, "record", {"marker": marker, "text": UNICODE,
                                              "nested": NESTED},
                          version="2.3", context=context, **flags)
        self.assertEqual(result.returncode, 0, str(result))
        self.assertEqual(result.stdout, "", str(result))

    def assert_received(self, marker, hosts):
        """Exactly `hosts` (a sorted list) got the cast, once each, intact."""
        harness.wait_until(lambda: len(self.recorder.matching(marker)) >= len(hosts), 10,
                           f"cast {marker} reaching {hosts}")
        harness.time.sleep(0.3)  # a wrong extra delivery would show up by now
        events = self.recorder.matching(marker)
        self.assertEqual(sorted(e[0] for e in events), hosts)
        for _host, method, kwargs, ctxt in events:
            self.assertEqual(method, "record")
            self.assertEqual(kwargs, {"marker": marker, "text": UNICODE, "nested": NESTED})
            self.assertEqual(ctxt["request_id"], f"req-{marker}")
            self.assertEqual(ctxt["user_id"], "bob")

    def test_cast_reaches_one_server(self):
        marker = uuid.uuid4().hex
        self.cast("cast", marker)
        events = harness.wait_until(lambda: self.recorder.matching(marker), 10,
                                    "the cast's arrival")
        self.assert_received(marker, [events[0][0]])

    def test_server_targeted_cast(self):
        marker = uuid.uuid4().hex
        self.cast("cast", marker, server="host2")
        self.assert_received(marker, ["host2"])

    def test_fanout_reaches_every_server(self):
        marker = uuid.uuid4().hex
        self.cast("fanout", marker)
        self.assert_received(marker, ["host1", "host2"])

    # -- exceptions ----------------------------------------------------------

    def test_python_value_error(self):
        result = self.call_fails(1, "fail_value", {"what": "ünïcode"}, version="2.3")
        self.assertEqual(result.stderr.strip(), "builtins.ValueError: bad value: ünïcode",
                         str(result))

    def test_python_custom_exception(self):
        result = self.call_fails(1, "fail_custom", version="2.3")
        self.assertIn("QuotaExceeded: Quota exceeded for cores: requested 8, limit 4",
                      result.stderr, str(result))
        self.assertIn(f"{QuotaExceeded.__module__}.QuotaExceeded", result.stderr, str(result))

    def test_python_type_error_for_bad_arguments(self):
        result = self.call_fails(1, "fail_value", {"unexpected": 1}, version="2.3")
        self.assertIn("builtins.TypeError:", result.stderr, str(result))
        self.assertIn("unexpected", result.stderr, str(result))

    def test_a_result_deeper_than_the_client_reads_fails_the_call_at_once(self):
        # Python writes it; the C++ client reads 64 levels of JSON, and says so
        # rather than waiting out the call's timeout.
        self.assertEqual(self.call_ok("deep", {"levels": 60}, version="2.3"),
                         json.loads("[" * 60 + "1" + "]" * 60))
        result = self.call_fails(1, "deep", {"levels": 100}, version="2.3", timeout="30")
        self.assertLess(result.seconds, 10, str(result))
        self.assertIn("the server's reply is malformed: the reply nests JSON deeper than 64 "
                      "levels", result.stderr, str(result))

    def test_servers_keep_serving_after_errors(self):
        self.call_fails(1, "fail_value", {"what": "x"}, version="2.3")
        self.assertEqual(self.call_ok("whoami", version="2.3", server="host1"), "host1")

    # -- timeouts and missing listeners -------------------------------------

    def test_timeout_of_a_slow_method(self):
        result = self.call_fails(2, "slow", version="2.3", timeout="1", limit=15)
        self.assertIn("MessagingTimeout", result.stderr, str(result))
        self.assertGreaterEqual(result.seconds, 1.0, str(result))
        self.assertLess(result.seconds, 6.0, str(result))

    def test_heartbeats_keep_a_call_longer_than_its_call_monitor_alive(self):
        # _timeout 2: the Python server heartbeats every second for 3.5 s.
        result = self.rpc("call", "sleep", {"seconds": 3.5}, version="2.3", timeout="20",
                          call_monitor_timeout="2", limit=25)
        self.assertEqual(result.returncode, 0, str(result))
        self.assertEqual(result.json(), 2)  # oslo's ctxt["client_timeout"]
        self.assertGreaterEqual(result.seconds, 3.5, str(result))

    def test_call_monitor_fails_long_before_the_timeout_without_heartbeats(self):
        # _timeout 1: int(1)/2 = 0, so oslo's server sends no heartbeat.
        result = self.call_fails(2, "sleep", {"seconds": 4}, version="2.3", timeout="20",
                                 call_monitor_timeout="1", limit=25)
        self.assertIn("call_monitor_timeout", result.stderr, str(result))
        self.assertGreaterEqual(result.seconds, 1.0, str(result))
        self.assertLess(result.seconds, 3.5, str(result))

    def test_call_nobody_listens_to_fails_fast(self):
        result = harness.oslo_rpc("call", harness.unique("nobody"), "whoami",
                                  version="2.3", timeout="30", limit=20)
        self.assertEqual(result.returncode, 3, str(result))
        self.assertLess(result.seconds, 10.0, str(result))
        self.assertIn("no queue is bound", result.stderr, str(result))

    def test_call_to_a_server_that_does_not_exist_fails_fast(self):
        result = self.call_fails(3, "whoami", version="2.3", server="host9", timeout="30",
                                 limit=20)
        self.assertLess(result.seconds, 10.0, str(result))
        self.assertIn(f"{self.topic}.host9", result.stderr, str(result))

    def test_cast_nobody_listens_to_fails_fast(self):
        for command in ("cast", "fanout"):
            result = harness.oslo_rpc(command, harness.unique("nobody"), "record",
                                      timeout="30", limit=20)
            self.assertEqual(result.returncode, 3, str(result))
            self.assertLess(result.seconds, 10.0, str(result))

    def test_bad_usage(self):
        for args, flags in (((), {}), (("echo", "[1]"), {}), (("echo", "{bad"), {}),
                            (("echo",), {"context": "[1]"})):
            result = self.rpc("call", *args, version="2.3", **flags)
            self.assertEqual(result.returncode, 64, str(result))
            self.assertNotEqual(result.stderr, "", str(result))

    def test_unreachable_broker(self):
        argv = [harness.oslo_rpc_binary(), "call", "--transport_url=rabbit://guest:guest@"
                "127.0.0.1:1/", f"--topic={self.topic}", "--timeout=1", "whoami"]
        started = harness.time.monotonic()
        done = harness.subprocess.run(argv, capture_output=True, timeout=20)
        self.assertEqual(done.returncode, 3, done)
        self.assertLess(harness.time.monotonic() - started, 10.0)
        self.assertIn(b"broker unreachable", done.stderr)


if __name__ == "__main__":
    harness.run([CppClientTest])
