#!/usr/bin/python3
"""Hostile input end to end. Malformed AMQP messages of every shape we could
think of (and the fuzzers' regression inputs) are published straight onto a
C++ server's queues and the bridge's reply queue; malformed gRPC requests and
metadata go to the bridge. Each AMQP message must produce exactly one log
line in the process that consumed it (and leave its queue), each gRPC call
must end quickly with the expected status, the next valid call must work,
nothing may exit, and threads and memory must stay where they were.
"""
import json
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robustness as rb  # noqa: E402
from robustness import bh, harness  # noqa: E402

import grpc  # noqa: E402

MAX_MESSAGE_BYTES = 1 << 20       # the server's and the bridge's limit here
MAX_RECEIVE_BYTES = 64 * 1024     # the bridge's gRPC request limit here
CALL_TIMEOUT = 10
# A gRPC call with bad input must end at least this fast.
QUICK_SECONDS = 2
# How much threads and RSS may grow over the whole test.
THREAD_SLACK = 6
RSS_SLACK_KIB = 32 * 1024


def envelope(message):
    return json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(message)})


def deep(depth, open_="[", close="]"):
    return open_ * depth + close * depth


# (name, body, publish options, text the one log line must contain)
REQUESTS = [
    ("not JSON", "this is not json", {}, "rejecting a malformed message"),
    ("empty body", "", {}, "rejecting a malformed message"),
    ("a JSON list", "[1, 2]", {}, "rejecting a malformed message"),
    ("a JSON number", "42", {}, "rejecting a malformed message"),
    ("JSON null", "null", {}, "rejecting a malformed message"),
    ("a fuzzer regression: a huge exponent", "0e99", {}, "rejecting a malformed message"),
    ("a fuzzer regression: truncated UTF-8", b'{"mthod":{"oslo\xef', {},
     "rejecting a malformed message"),
    ("trailing garbage", '{"method": "get_instance", "args": {}} xyz', {},
     "rejecting a malformed message"),
    ("envelope version 3.0", '{"oslo.version": "3.0", "oslo.message": "{}"}', {},
     "rejecting a malformed message"),
    ("envelope with a number as message", '{"oslo.version": "2.0", "oslo.message": 7}', {},
     "rejecting a malformed message"),
    ("envelope whose message is not JSON",
     '{"oslo.version": "2.0", "oslo.message": "not json"}', {}, "rejecting a malformed message"),
    ("envelope whose message is a list",
     '{"oslo.version": "2.0", "oslo.message": "[1]"}', {}, "rejecting a malformed message"),
    # A dict without both envelope keys is the message itself, as in oslo.
    ("envelope without a message", '{"oslo.version": "2.0"}', {},
     'cast \'\' failed: request has no "method" field'),
    # What oslo's dispatcher raises on (a call gets it as its failure:
    # tests/interop/cpp_server_test.py); a cast logs it.
    ("no method", '{"args": {}}', {}, 'cast \'\' failed: request has no "method" field'),
    ("a number as method", '{"method": 5, "args": {}}', {},
     'cast \'\' failed: request field "method" is a number'),
    ("args a list", '{"method": "get_instance", "args": [1, 2]}', {},
     'cast \'get_instance\' failed: request field "args" is an array'),
    ("args a string", '{"method": "get_instance", "args": "x"}', {},
     'cast \'get_instance\' failed: request field "args" is a string'),
    ("a list nested 10000 deep", deep(10000), {}, "rejecting a malformed message"),
    ("args nested 10000 deep",
     '{"method": "get_instance", "args": {"a": ' + deep(10000) + "}}", {},
     "cast 'get_instance' failed: the request nests JSON deeper than 64 levels"),
    # Envelope keys besides the two are ignored, as in oslo: the message runs.
    ("an enveloped message beside a value nested 10000 deep",
     envelope({"method": "get_instance", "args": {}})[:-1] + ', "x": ' + deep(10000) + "}", {},
     "cast 'get_instance' failed: Endpoint does not support RPC version 1.0"),
    ("invalid UTF-8", b'{"method": "get_instance", "args": {"instance_uuid": "\xff\xfe"}}', {},
     "rejecting a malformed message"),
    ("a NUL byte in a string", '{"method": "get_instance\\u0000x", "args": {}}', {},
     "cast 'get_instance"),
    ("newlines in the method name (log forging)",
     '{"method": "get\\ninstance\\nW1125 00:00:00.000000 1 forged.cc:1] forged", "args": {}}',
     {}, "cast 'get\\x0ainstance\\x0aW1125"),
    ("a newline in the envelope version",
     '{"oslo.version": "2.0\\nforged", "oslo.message": "{}"}', {},
     'unsupported oslo.version "2.0\\nforged"'),  # the codec escapes it itself
    ("a raw NUL byte", b'{"method": "get_instance"\x00, "args": {}}', {},
     "rejecting a malformed message"),
    ("a lone surrogate escape", '{"method": "get_instance", "args": {"instance_uuid": "\\ud800"}}',
     {}, "rejecting a malformed message"),
    ("no content type", '{"method": "reboot_instance", "args": {}}',
     {"content_type": None}, "with content type ''"),
    ("content type text/plain", '{"method": "reboot_instance", "args": {}}',
     {"content_type": "text/plain"}, "with content type 'text/plain'"),
    ("over max_message_bytes", '{"method": "get_instance", "args": {"pad": "'
     + "p" * MAX_MESSAGE_BYTES + '"}}', {}, "over max_message_bytes"),
    ("a cast of an unknown method", '{"method": "no_such_method", "args": {}, "version": "5.0"}',
     {}, "cast 'no_such_method' failed"),
    ("a private method", '{"method": "_private", "args": {}, "version": "5.0"}', {},
     "cast '_private' failed"),
    ("an unsupported version", '{"method": "get_instance", "args": {}, "version": "9.0"}', {},
     "cast 'get_instance' failed"),
    ("a version that is no version", '{"method": "get_instance", "args": {}, "version": "x.y"}',
     {}, "cast 'get_instance' failed"),
    ("a null version", '{"method": "get_instance", "args": {}, "version": null}', {},
     "cast 'get_instance' failed"),
    ("args of the wrong types",
     '{"method": "get_instance", "args": {"instance_uuid": [1]}, "version": "5.0"}', {},
     "cast 'get_instance' failed"),
    ("unknown arguments",
     '{"method": "get_instance", "args": {"bogus": 1}, "version": "5.0"}', {},
     "cast 'get_instance' failed"),
    ("NaN and Infinity",
     '{"method": "get_instance", "args": {"instance_uuid": NaN, "x": -Infinity}, '
     '"version": "5.0"}', {}, "cast 'get_instance' failed"),
    ("a number too large for any type",
     '{"method": "get_instance", "args": {"instance_uuid": 1' + "0" * 400 + '}, '
     '"version": "5.0"}', {}, "rejecting a malformed message"),
    ("a context that is not an object",
     '{"method": "no_such_method", "args": {}, "version": "5.0", "_context_roles": '
     + deep(50) + "}", {}, "cast 'no_such_method' failed"),
    ("a call whose _reply_q is a number",
     '{"method": "get_instance", "args": {}, "_msg_id": "m1", "_reply_q": 5}', {},
     "rejecting a malformed message"),
    ("a call whose _msg_id is an object",
     '{"method": "get_instance", "args": {}, "_msg_id": {}, "_reply_q": "r"}', {},
     "rejecting a malformed message"),
]

# (name, body, publish options, text the one log line must contain)
REPLIES = [
    ("not JSON", "this is not json", {}, "rejecting a malformed reply"),
    ("a JSON list", "[]", {}, "rejecting a malformed reply"),
    ("envelope version 3.0", '{"oslo.version": "3.0", "oslo.message": "{}"}', {},
     "rejecting a malformed reply"),
    ("envelope with a number as message", '{"oslo.version": "2.0", "oslo.message": 7}', {},
     "rejecting a malformed reply"),
    ("no _msg_id", '{"result": 1, "failure": null, "ending": true}', {},
     "rejecting a malformed reply"),
    ("a number as _msg_id", '{"_msg_id": 5, "result": 1, "failure": null, "ending": true}', {},
     "rejecting a malformed reply"),
    # A reply that names its call ends that call with the error (none waits here).
    ("failure not a string",
     '{"_msg_id": "m", "result": null, "failure": {"class": "X"}, "ending": true}', {},
     'a malformed reply to msg_id m (no call waits for it; dropped): reply field "failure" '
     'is an object'),
    ("nested 10000 deep", '{"_msg_id": "m", "result": ' + deep(10000) + ', "failure": null}', {},
     "a malformed reply to msg_id m (no call waits for it; dropped): the reply nests JSON "
     "deeper than 64 levels"),
    ("invalid UTF-8", b'{"_msg_id": "m\xff", "result": 1, "failure": null, "ending": true}', {},
     "rejecting a malformed reply"),
    ("no content type", '{"_msg_id": "m", "result": 1, "failure": null, "ending": true}',
     {"content_type": None}, "with content type ''"),
    ("content type text/plain", '{"_msg_id": "m", "result": 1, "failure": null, "ending": true}',
     {"content_type": "text/plain"}, "with content type 'text/plain'"),
    ("over max_message_bytes", '{"_msg_id": "m", "result": "' + "r" * MAX_MESSAGE_BYTES
     + '", "failure": null, "ending": true}', {}, "over max_message_bytes"),
    ("a newline in _msg_id (log forging)",
     '{"_msg_id": "m\\nI1125 forged", "result": 1, "failure": null, "ending": true}', {},
     "no call waits for msg_id m\\x0aI1125 forged"),
    ("a reply nobody waits for",
     '{"_msg_id": "0123456789abcdef0123456789abcdef", "result": 1, "failure": null, '
     '"ending": true}', {}, "no call waits for msg_id"),
    ("an enveloped reply nobody waits for",
     envelope({"_msg_id": "fedcba9876543210", "result": None, "failure": None, "ending": True}),
     {}, "no call waits for msg_id"),
    ("a failure that is not oslo's JSON",
     '{"_msg_id": "aa", "result": null, "failure": "not json", "ending": true}', {},
     'a malformed reply to msg_id aa (no call waits for it; dropped): reply field "failure": '
     'failure is not JSON'),
]


class HostileInputTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("hostile")
        cls.api = bh.Api(cls.topic, tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR")))
        cls.m = cls.api.messages
        cls.server = rb.cpp_server(cls.topic, "host1", f"--max_message_bytes={MAX_MESSAGE_BYTES}")
        try:
            cls.bridge = bh.Bridge(cls.api.descriptor_set, "--rpc_response_timeout=10",
                                   f"--max_message_bytes={MAX_MESSAGE_BYTES}",
                                   f"--max_receive_message_bytes={MAX_RECEIVE_BYTES}")
        except Exception:
            cls.server.stop()
            raise
        cls.reply_queue = rb.reply_queue(cls.bridge)
        cls.raw = rb.RawAmqp()
        # Warm up (gRPC grows its thread pool with concurrent calls), then
        # take the readings the end is compared with.
        for _ in range(5):
            calls = [cls.bridge.unary("GetInstance", cls.m.Instance).future(
                cls.m.GetInstanceRequest(instance_uuid="vm-1"), timeout=CALL_TIMEOUT)
                for _ in range(50)]
            for call in calls:
                call.result()
        cls.before = {"server": rb.proc_stats(cls.server.popen.pid),
                      "bridge": rb.proc_stats(cls.bridge.popen.pid)}

    @classmethod
    def tearDownClass(cls):
        cls.raw.close()
        cls.bridge.stop()
        cls.server.stop()

    @classmethod
    def get_instance_static(cls, **kwargs):
        kwargs.setdefault("timeout", CALL_TIMEOUT)
        return cls.bridge.unary("GetInstance", cls.m.Instance)(
            cls.m.GetInstanceRequest(instance_uuid="vm-1"), **kwargs)

    def assert_serving(self, after, reconnect=False):
        """Both processes live and a valid call works. With `reconnect`, the
        call may first find the HTTP/2 connection closed and retry: gRPC
        drops the whole connection for headers over its hard limit."""
        self.assertIsNone(self.server.popen.poll(), f"the server exited after {after}:\n"
                          f"{self.server.output()[-5000:]}")
        self.assertIsNone(self.bridge.popen.poll(), f"the bridge exited after {after}:\n"
                          f"{self.bridge.output()[-5000:]}")
        deadline = time.monotonic() + 2
        while True:
            try:
                self.assertEqual(self.get_instance_static().name, "web", f"after {after}")
                return
            except grpc.RpcError as e:
                if not reconnect or e.code() != grpc.StatusCode.UNAVAILABLE \
                        or time.monotonic() > deadline:
                    raise
                print(f"after {after!r}: {e.details()}; retrying on a new connection",
                      flush=True)
                time.sleep(0.05)

    def publish_each(self, cases, process, exchange, routing_key):
        """Publishes each case alone and checks the one log line it causes."""
        for name, body, options, expected in cases:
            with self.subTest(name):
                before = rb.quiet_log_length(process)
                self.raw.publish(exchange, routing_key, body, **options)
                self.raw.wait_empty(routing_key)
                lines = rb.wait_for_new_lines(process, before, 1)
                print(f"{name!r}: {[line[:200] for line in lines]}", flush=True)
                self.assertEqual(len(lines), 1, f"{name}: want one log line, got {lines}")
                self.assertIn(expected, lines[0], name)
                self.assert_serving(name)

    # AMQP ------------------------------------------------------------------

    def test_malformed_requests_on_the_servers_queues(self):
        self.publish_each(REQUESTS, self.server, "openstack", self.topic)
        # The server's own queue (topic.server) and its fanout queue are
        # consumed by the same code: a sample of shapes there too.
        sample = [REQUESTS[0], REQUESTS[9], REQUESTS[17], REQUESTS[26]]
        self.publish_each(sample, self.server, "openstack", f"{self.topic}.host1")

    def test_a_duplicate_unique_id_runs_once(self):
        request_id = f"req-{uuid.uuid4()}"
        body = envelope({"method": "reboot_instance", "version": "5.0",
                         "args": {"instance_uuid": "vm-1", "reboot_type": "HARD"},
                         "_unique_id": uuid.uuid4().hex, "_context_request_id": request_id})
        before = len(rb.log_lines(self.server))
        self.raw.publish("openstack", self.topic, body)
        self.raw.publish("openstack", self.topic, body)
        self.raw.wait_empty(self.topic)
        lines = rb.wait_for_new_lines(self.server, before, 2)
        self.assertEqual(len(lines), 2, lines)
        # The I/O thread drops the duplicate while a worker may still be
        # running the first: the two lines come in either order.
        ran = [line for line in lines
               if f"cast reboot_instance vm-1 HARD (request {request_id})" in line]
        dropped = [line for line in lines if "dropping a duplicate message" in line]
        self.assertEqual((len(ran), len(dropped)), (1, 1), lines)
        self.assert_serving("a duplicate")

    def test_malformed_replies_on_the_bridges_reply_queue(self):
        self.publish_each(REPLIES, self.bridge, "", self.reply_queue)

    # gRPC ------------------------------------------------------------------

    def raw_unary(self, method, service=bh.SERVICE):
        return self.bridge.channel.unary_unary(f"/{service}/{method}")

    def expect_status(self, name, codes, fn, reconnect=False):
        if not isinstance(codes, tuple):
            codes = (codes,)
        started = time.monotonic()
        try:
            fn()
            code, details = grpc.StatusCode.OK, ""
        except grpc.RpcError as e:
            code, details = e.code(), e.details()
        seconds = time.monotonic() - started
        print(f"{name!r}: {code.name} after {seconds:.3f}s: {(details or '')[:200]}", flush=True)
        self.assertIn(code, codes, f"{name}: {details}")
        self.assertLess(seconds, QUICK_SECONDS, name)
        self.assert_serving(name, reconnect)

    def test_malformed_grpc_requests_and_metadata(self):
        m = self.m
        get = self.bridge.unary("GetInstance", m.Instance)
        ping_all = self.bridge.stream("PingAll", m.PingReply)
        valid = m.GetInstanceRequest(instance_uuid="vm-1")
        invalid = grpc.StatusCode.INVALID_ARGUMENT
        exhausted = grpc.StatusCode.RESOURCE_EXHAUSTED
        cases = [
            ("request bytes that are no protobuf", invalid,
             lambda: self.raw_unary("GetInstance")(b"\xff\xff\xff\xff", timeout=CALL_TIMEOUT)),
            # Protobuf keeps a field with the wrong wire type as an unknown
            # field: the request is empty, and vm "" is not found.
            ("a field with the wrong wire type", (invalid, grpc.StatusCode.NOT_FOUND),
             lambda: self.raw_unary("GetInstance")(b"\x0d\x00\x00\x00\x00", timeout=CALL_TIMEOUT)),
            ("a truncated length-delimited field", invalid,
             lambda: self.raw_unary("GetInstance")(b"\x0a\x7f" + b"v", timeout=CALL_TIMEOUT)),
            ("a string field that is not UTF-8", invalid,
             lambda: self.raw_unary("GetInstance")(b"\x0a\x02\xff\xfe", timeout=CALL_TIMEOUT)),
            ("a request over max_receive_message_bytes", exhausted,
             lambda: self.raw_unary("Ping")(b"\x0a\x83\x80\x04" + b"p" * 65539,
                                            timeout=CALL_TIMEOUT)),
            ("an unknown method", grpc.StatusCode.UNIMPLEMENTED,
             lambda: self.raw_unary("NoSuchMethod")(b"", timeout=CALL_TIMEOUT)),
            ("an unknown service", grpc.StatusCode.UNIMPLEMENTED,
             lambda: self.raw_unary("GetInstance", "no.Such")(b"", timeout=CALL_TIMEOUT)),
            ("x-oslo-context that is not JSON", invalid,
             lambda: get(valid, timeout=CALL_TIMEOUT, metadata=[("x-oslo-context", "{not json")])),
            ("x-oslo-context that is a list", invalid,
             lambda: get(valid, timeout=CALL_TIMEOUT, metadata=[("x-oslo-context", "[1]")])),
            ("x-oslo-context nested 3000 deep", invalid,
             lambda: get(valid, timeout=CALL_TIMEOUT,
                         metadata=[("x-oslo-context", deep(3000))])),
            ("x-oslo-context with an object nested 500 deep", (grpc.StatusCode.OK, invalid),
             lambda: get(valid, timeout=CALL_TIMEOUT,
                         metadata=[("x-oslo-context", '{"a": ' * 500 + "1" + "}" * 500)])),
            ("x-oslo-context with NaN", (grpc.StatusCode.OK, invalid),
             lambda: get(valid, timeout=CALL_TIMEOUT,
                         metadata=[("x-oslo-context", '{"x": NaN}')])),
            ("x-amqp-expect that is no number", invalid,
             lambda: list(ping_all(m.PingRequest(), timeout=CALL_TIMEOUT,
                                   metadata=[("x-amqp-expect", "abc")]))),
            ("a negative x-amqp-expect", invalid,
             lambda: list(ping_all(m.PingRequest(), timeout=CALL_TIMEOUT,
                                   metadata=[("x-amqp-expect", "-5")]))),
            ("an x-amqp-expect over 64 bits", invalid,
             lambda: list(ping_all(m.PingRequest(), timeout=CALL_TIMEOUT,
                                   metadata=[("x-amqp-expect", "9" * 30)]))),
            ("x-amqp-gather-window-ms that is no number", invalid,
             lambda: list(ping_all(m.PingRequest(), timeout=CALL_TIMEOUT,
                                   metadata=[("x-amqp-gather-window-ms", "soon")]))),
            ("an x-amqp-server over 255 bytes", (invalid, grpc.StatusCode.UNAVAILABLE),
             lambda: get(valid, timeout=CALL_TIMEOUT, metadata=[("x-amqp-server", "h" * 300)])),
            ("an x-request-id of 4000 bytes", (grpc.StatusCode.OK, invalid),
             lambda: get(valid, timeout=CALL_TIMEOUT, metadata=[("x-request-id", "r" * 4000)])),
            ("a 64 KiB header", (exhausted, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE,
                                 grpc.StatusCode.UNKNOWN),
             lambda: get(valid, timeout=CALL_TIMEOUT, metadata=[("x-junk", "j" * 65536)])),
            ("1000 headers", (exhausted, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE,
                              grpc.StatusCode.UNKNOWN),
             lambda: get(valid, timeout=CALL_TIMEOUT,
                         metadata=[(f"x-junk-{i}", "j" * 20) for i in range(1000)])),
            ("three request messages on a unary method", (grpc.StatusCode.OK, invalid,
                                                          grpc.StatusCode.INTERNAL,
                                                          grpc.StatusCode.UNIMPLEMENTED),
             lambda: self.bridge.channel.stream_unary(f"/{bh.SERVICE}/GetInstance")(
                 iter([valid.SerializeToString()] * 3), timeout=CALL_TIMEOUT)),
            ("no request message on a unary method", (invalid, grpc.StatusCode.INTERNAL,
                                                      grpc.StatusCode.UNIMPLEMENTED),
             lambda: self.bridge.channel.stream_unary(f"/{bh.SERVICE}/GetInstance")(
                 iter([]), timeout=CALL_TIMEOUT)),
            # gRPC carries deadlines in whole milliseconds: a 100 us one
            # reaches the bridge as ~1 ms, and a quick reply may beat it
            # while the client's own timer runs late. Either way the call
            # ends at once and the bridge keeps serving.
            ("a deadline already past",
             (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.OK),
             lambda: get(valid, timeout=0.0001)),
        ]
        for name, codes, fn in cases:
            with self.subTest(name):
                self.expect_status(name, codes, fn,
                                   reconnect=name in ("a 64 KiB header", "1000 headers"))
        # Calls cancelled at once, many times: nothing is left behind.
        for _ in range(200):
            get.future(valid, timeout=CALL_TIMEOUT).cancel()
        self.assert_serving("200 cancelled calls")

    # Bursts, then last (unittest sorts by name): nothing grew --------------

    def test_zy_bursts_of_every_shape(self):
        """Every malformed shape 10 times over, back to back, on both sides:
        what leaks per message would show in the readings of the last test."""
        rounds = 10
        before = {"server": len(rb.log_lines(self.server)),
                  "bridge": len(rb.log_lines(self.bridge))}
        for _ in range(rounds):
            for _, body, options, _ in REQUESTS:
                self.raw.publish("openstack", self.topic, body, **options)
            for _, body, options, _ in REPLIES:
                self.raw.publish("", self.reply_queue, body, **options)
        self.raw.wait_empty(self.topic, timeout=30)
        self.raw.wait_empty(self.reply_queue, timeout=30)
        server = rb.wait_for_new_lines(self.server, before["server"], rounds * len(REQUESTS))
        bridge = rb.wait_for_new_lines(self.bridge, before["bridge"], rounds * len(REPLIES))
        self.assertEqual(len(server), rounds * len(REQUESTS))
        self.assertEqual(len(bridge), rounds * len(REPLIES))
        self.assert_serving("the bursts")


    def test_zz_threads_and_memory_stay_bounded(self):
        for _ in range(50):
            self.get_instance_static()
        for name, process in (("server", self.server), ("bridge", self.bridge)):
            before = self.before[name]
            after = rb.proc_stats(process.popen.pid)
            print(f"{rb.describe_stats(name + ' before', before)}; "
                  f"{rb.describe_stats('after', after)}", flush=True)
            self.assertLessEqual(after[0], before[0] + THREAD_SLACK, f"{name} threads")
            self.assertLessEqual(after[1], before[1] + RSS_SLACK_KIB, f"{name} RSS")


if __name__ == "__main__":
    harness.run([HostileInputTest])
