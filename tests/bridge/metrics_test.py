#!/usr/bin/python3
"""The bridge's observability end to end (docs/observability.md): /metrics
scraped over HTTP while python3-grpcio clients make calls through the bridge
to a C++ compute server; `promtool check metrics` on the real exposition;
Debian's Prometheus server scraping the bridge and answering a PromQL query;
the access log; and the broker connection gauge through an outage.

Everything runs on a RabbitMQ node of the test's own (rabbit_nodes.py), with
a user and password of its own, so that the outage stops no one else's
broker and the access log can be searched for that password.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "reliability"))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402
import rabbit_nodes  # noqa: E402

import grpc  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
CODES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
         "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
         "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
         "UNAUTHENTICATED"]
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset of (label, value)): float} of a text exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        labels = frozenset(LABEL.findall(match.group(2) or ""))
        samples[(match.group(1), labels)] = float(match.group(3))
    return samples


def value(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


class MetricsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.node = rabbit_nodes.RabbitNode("metrics", cls.workdir)
        cls.processes = []
        try:
            cls.node.start()
            cls.password = f"pw-{uuid.uuid4().hex}"
            cls.node.ctl("add_user", "bridge", cls.password)
            cls.node.ctl("set_permissions", "bridge", ".*", ".*", ".*")
            cls.url = f"rabbit://bridge:{cls.password}@127.0.0.1:{cls.node.port}/"
            cls.topic = harness.unique("metrics")
            cls.api = bh.Api(cls.topic, cls.workdir)
            cls.m = cls.api.messages
            server = harness.Process([harness.runfile("examples/cpp/compute_server"),
                                      f"--transport_url={cls.url}", f"--topic={cls.topic}",
                                      "--server=host1"], "cpp-host1")
            cls.processes.append(server)
            server.wait_for_output("ready", timeout=30)
            cls.access_log = os.path.join(cls.workdir, "access.log")
            cls.bridge = bh.Bridge(cls.api.descriptor_set, f"--transport_url={cls.url}",
                                   "--metrics_listen=127.0.0.1:0",
                                   f"--access_log={cls.access_log}",
                                   "--rpc_response_timeout=10")
            cls.processes.append(cls.bridge)
            cls.metrics_port = int(re.search(r"metrics on 127\.0\.0\.1:(\d+)",
                                             cls.bridge.output()).group(1))
            harness.wait_until(lambda: all(
                v == 1 for (n, _), v in cls.scrape().items() if n.endswith("broker_connected")),
                15, "the bridge's broker connections")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for process in reversed(cls.processes):
            process.stop()
        cls.node.remove()

    @classmethod
    def fetch(cls, path="/metrics", method="GET"):
        request = urllib.request.Request(f"http://127.0.0.1:{cls.metrics_port}{path}",
                                         method=method, data=b"x" if method == "POST" else None)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    @classmethod
    def scrape_when_idle(cls):
        """A scrape once no call is in flight. The bridge counts a call (and
        gives its slot back last) before its client gets the status, but a
        stream the test left behind may still be ending."""
        harness.wait_until(lambda: value(cls.scrape(), "grpc_amqp_bridge_calls_in_flight") == 0,
                           10, "no call in flight")
        return cls.scrape()

    @classmethod
    def scrape(cls):
        status, _, body = cls.fetch()
        assert status == 200, status
        return parse_metrics(body)

    def path(self, method, service=bh.SERVICE):
        return f"/{service}/{method}"

    def call(self, method, request, response, **kwargs):
        kwargs.setdefault("timeout", 10)
        return self.bridge.unary(method, getattr(self.m, response))(request, **kwargs)

    def fails(self, code, fn, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as caught:
            fn(*args, **kwargs)
        self.assertEqual(caught.exception.code(), code, caught.exception.details())

    def calls_by_code(self, samples, method, kind):
        """{code: calls} of `method`, whose series all carry `kind`."""
        calls = {}
        for (name, labels), count in samples.items():
            labels = dict(labels)
            if name == "grpc_amqp_bridge_calls_total" and labels["method"] == method:
                self.assertEqual(labels["kind"], kind, method)
                calls[labels["code"]] = count
        return calls

    # Tests run in name order; the outage ("test_z...") comes last.

    def test_access_log_to_standard_output(self):
        request_id = f"req-{uuid.uuid4()}"
        bridge = bh.Bridge(self.api.descriptor_set, f"--transport_url={self.url}",
                           "--access_log=-", name="bridge-stdout")
        try:
            bridge.unary("Ping", self.m.PingReply)(self.m.PingRequest(payload="p"), timeout=10,
                                                   metadata=[("x-request-id", request_id)])
        finally:
            self.assertEqual(bridge.stop(), 0)  # lines still queued are written
        lines = [line for line in bridge.output().splitlines()
                 if f"request_id={request_id} " in line]
        self.assertEqual(len(lines), 1, bridge.output())
        self.assertIn(f" method={self.path('Ping')} kind=call ", lines[0])

    def test_counters_and_histograms_move_exactly_with_the_calls(self):
        get, ping = self.path("GetInstance"), self.path("Ping")
        unknown = self.path("Nope", service="no.Such")
        before = self.scrape_when_idle()
        for _ in range(3):
            self.call("GetInstance", self.m.GetInstanceRequest(instance_uuid="vm-1"), "Instance")
        for _ in range(2):
            self.fails(grpc.StatusCode.NOT_FOUND, self.call, "GetInstance",
                       self.m.GetInstanceRequest(instance_uuid="vm-404"), "Instance")
        self.fails(grpc.StatusCode.INVALID_ARGUMENT, self.call, "GetInstance",
                   self.m.GetInstanceRequest(instance_uuid="vm-1"), "Instance",
                   metadata=[("x-oslo-context", "not json")])
        self.call("Ping", self.m.PingRequest(payload="p"), "PingReply")
        self.fails(grpc.StatusCode.UNIMPLEMENTED,
                   self.bridge.channel.unary_unary(unknown), b"", timeout=5)
        gather = self.bridge.stream("PingAll", self.m.PingReply)(
            self.m.PingRequest(payload="g"), timeout=10, metadata=[("x-amqp-expect", "1")])
        self.assertEqual(len(list(gather)), 1)
        after = self.scrape_when_idle()

        def delta(method, kind):
            old = self.calls_by_code(before, method, kind)
            new = self.calls_by_code(after, method, kind)
            self.assertEqual(sorted(new), sorted(CODES), f"every code of {method} is a series")
            return {code: new[code] - old[code] for code in CODES if new[code] != old[code]}

        self.assertEqual(delta(get, "call"), {"OK": 3, "NOT_FOUND": 2, "INVALID_ARGUMENT": 1})
        self.assertEqual(delta(ping, "call"), {"OK": 1})
        self.assertEqual(delta(self.path("PingAll"), "gather"), {"OK": 1})
        self.assertEqual(delta(self.path("Upload", service=f"{bh.PACKAGE}.Uploads"),
                               "unsupported"), {})
        self.assertEqual(delta("unknown", "unknown"), {"UNIMPLEMENTED": 1})

        # The histogram counts every call of the method, whatever its code.
        for method, calls in ((get, 6), (ping, 1)):
            count = "grpc_amqp_bridge_call_duration_seconds_count"
            inf = "grpc_amqp_bridge_call_duration_seconds_bucket"
            self.assertEqual(value(after, count, method=method)
                             - value(before, count, method=method), calls, method)
            self.assertEqual(value(after, inf, method=method, le="+Inf")
                             - value(before, inf, method=method, le="+Inf"), calls, method)
        self.assertEqual(value(after, "grpc_amqp_bridge_gather_replies_total",
                               method=self.path("PingAll"))
                         - value(before, "grpc_amqp_bridge_gather_replies_total",
                                 method=self.path("PingAll")), 1)
        self.assertEqual(value(after, "grpc_amqp_bridge_calls_in_flight"), 0)

    def test_exposition_passes_promtool(self):
        self.call("Ping", self.m.PingRequest(payload="p"), "PingReply")
        status, headers, body = self.fetch()
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        checked = subprocess.run([PROMTOOL, "check", "metrics"], input=body, text=True,
                                 capture_output=True, timeout=60)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        # promtool's lint is silent when nothing is wrong.
        self.assertEqual(checked.stdout + checked.stderr, "")
        samples = parse_metrics(body)
        self.assertEqual(value(samples, "grpc_amqp_bridge_build_info",
                               grpc_version="1.51.1", protobuf_version="3.21.12",
                               rabbitmq_c_version="0.11.0"), 1)
        self.assertLess(abs(value(samples, "process_start_time_seconds") - time.time()), 3600)
        self.assertNotIn(self.password, body)

    def test_http_answers_404_and_405(self):
        self.assertEqual(self.fetch("/")[0], 404)
        self.assertEqual(self.fetch("/metrics/x")[0], 404)
        status, headers, _ = self.fetch("/metrics", method="POST")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "GET, HEAD")
        self.assertEqual(self.fetch("/metrics", method="DELETE")[0], 405)
        status, _, body = self.fetch("/metrics", method="HEAD")
        self.assertEqual((status, body), (200, ""))

    def test_access_log_has_one_line_per_call_and_no_secrets(self):
        token = f"token-{uuid.uuid4().hex}"
        ids = [f"req-{uuid.uuid4()}" for _ in range(4)]
        context = json.dumps({"auth_token": token, "user_id": "u1"})
        for request_id in ids[:2]:
            self.call("GetInstance", self.m.GetInstanceRequest(instance_uuid="vm-1"), "Instance",
                      metadata=[("x-request-id", request_id), ("x-oslo-context", context)])
        self.fails(grpc.StatusCode.NOT_FOUND, self.call, "GetInstance",
                   self.m.GetInstanceRequest(instance_uuid="vm-404"), "Instance",
                   metadata=[("x-request-id", ids[2]), ("x-oslo-context", context)])
        self.call("RebootInstance", self.m.RebootInstanceRequest(instance_uuid="vm-1"), "Empty",
                  metadata=[("x-request-id", ids[3]), ("x-amqp-server", "host1")])

        def lines():
            with open(self.access_log) as f:
                return [line for line in f.read().splitlines()
                        if any(f"request_id={i} " in line for i in ids)]
        harness.wait_until(lambda: len(lines()) >= 4, 10, "four access log lines")
        time.sleep(0.3)  # a fifth line would be a bug: give it time to show
        found = lines()
        self.assertEqual(len(found), 4, "\n".join(found))
        fields = [dict(kv.split("=", 1) for kv in line.split(" ")[1:]) for line in found]
        self.assertEqual([f["request_id"] for f in fields], ids)
        self.assertEqual([f["code"] for f in fields], ["OK", "OK", "NOT_FOUND", "OK"])
        self.assertEqual({f["method"] for f in fields[:3]}, {self.path("GetInstance")})
        self.assertEqual([f["kind"] for f in fields], ["call", "call", "call", "cast"])
        # The compute API names no exchange: control_exchange's default.
        self.assertEqual({f["exchange"] for f in fields}, {"openstack"})
        self.assertEqual([f["routing_key"] for f in fields],
                         [self.topic] * 3 + [f"{self.topic}.host1"])
        for f in fields:
            self.assertRegex(f["duration"], r"^\d+\.\d{6}$")
            self.assertTrue(f["peer"].startswith("ipv4:127.0.0.1:"), f)
        for line in found:
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z ")
        with open(self.access_log) as f:
            text = f.read()
        self.assertNotIn(self.password, text)
        self.assertNotIn(token, text)
        self.assertNotIn("auth_token", text)

    def test_in_flight_and_max_inflight_rejections(self):
        bridge = bh.Bridge(self.api.descriptor_set, f"--transport_url={self.url}",
                           "--max_inflight=1", "--metrics_listen=127.0.0.1:0",
                           name="bridge-inflight")
        try:
            port = int(re.search(r"metrics on 127\.0\.0\.1:(\d+)", bridge.output()).group(1))

            def scrape():
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                            timeout=10) as response:
                    return parse_metrics(response.read().decode())
            snapshot = bridge.unary("SnapshotInstance", self.m.Snapshot).future(
                self.m.SnapshotInstanceRequest(instance_uuid="vm-1", seconds=2), timeout=10)
            harness.wait_until(
                lambda: value(scrape(), "grpc_amqp_bridge_calls_in_flight") == 1, 10,
                "the slow call in flight")
            with self.assertRaises(grpc.RpcError) as caught:
                bridge.unary("Ping", self.m.PingReply)(self.m.PingRequest(payload="p"),
                                                       timeout=10)
            self.assertEqual(caught.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
            # The rejected call is counted when gRPC is done with it, which
            # may be a moment after the client has its status.
            def rejection_counted():
                samples = scrape()
                return samples if value(samples, "grpc_amqp_bridge_calls_total",
                                        method=self.path("Ping"), kind="call",
                                        code="RESOURCE_EXHAUSTED") else None

            samples = harness.wait_until(rejection_counted, 10, "the rejected call counted")
            self.assertEqual(value(samples, "grpc_amqp_bridge_calls_rejected_total"), 1)
            self.assertEqual(value(samples, "grpc_amqp_bridge_calls_total",
                                   method=self.path("Ping"), kind="call",
                                   code="RESOURCE_EXHAUSTED"), 1)
            snapshot.result()
            harness.wait_until(lambda: value(scrape(), "grpc_amqp_bridge_calls_in_flight") == 0,
                               10, "no call in flight")
            samples = scrape()
            self.assertEqual(value(samples, "grpc_amqp_bridge_calls_total",
                                   method=self.path("SnapshotInstance"), kind="call",
                                   code="OK"), 1)
        finally:
            bridge.stop()

    def test_prometheus_scrapes_the_bridge(self):
        port = rabbit_nodes.free_port()
        data = tempfile.mkdtemp(dir=self.workdir)
        config = os.path.join(data, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: bridge\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{self.metrics_port}']\n")
        prometheus = harness.Process([PROMETHEUS, f"--config.file={config}",
                                      f"--storage.tsdb.path={os.path.join(data, 'tsdb')}",
                                      f"--web.listen-address=127.0.0.1:{port}",
                                      "--log.level=warn"], "prometheus")
        try:
            ping = self.path("Ping")
            for _ in range(5):
                self.call("Ping", self.m.PingRequest(payload="p"), "PingReply")
            expected = value(self.scrape_when_idle(), "grpc_amqp_bridge_calls_total", method=ping,
                             kind="call", code="OK")
            self.assertGreaterEqual(expected, 5)
            query = f'sum(grpc_amqp_bridge_calls_total{{method="{ping}",code="OK"}})'
            url = (f"http://127.0.0.1:{port}/api/v1/query?"
                   + urllib.parse.urlencode({"query": query}))
            answer = {}

            def answered():
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        answer.update(json.load(response))
                except (urllib.error.URLError, ConnectionError):
                    return False
                result = answer.get("data", {}).get("result", [])
                return bool(result) and float(result[0]["value"][1]) == expected
            harness.wait_until(answered, 60, f"Prometheus to answer {expected} for {query}")
            self.assertEqual(answer["status"], "success")
            # The bridge is up as Prometheus sees it.
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?"
                                        + urllib.parse.urlencode({"query": "up"}),
                                        timeout=5) as response:
                up = json.load(response)["data"]["result"]
            self.assertEqual([r["value"][1] for r in up], ["1"])
        finally:
            prometheus.stop()

    def test_late_replies_and_returned_casts_are_counted(self):
        def total(name):
            return sum(v for (n, _), v in self.scrape().items() if n == name)
        dropped = total("grpc_amqp_bridge_replies_dropped_total")
        returns = total("grpc_amqp_bridge_broker_returns_total")
        # The server answers after the deadline: its reply finds no call.
        self.fails(grpc.StatusCode.DEADLINE_EXCEEDED, self.call, "SnapshotInstance",
                   self.m.SnapshotInstanceRequest(instance_uuid="vm-1", seconds=1),
                   "Snapshot", timeout=0.3)
        harness.wait_until(
            lambda: total("grpc_amqp_bridge_replies_dropped_total") == dropped + 1, 10,
            "the late reply to be counted")
        # A cast to a server that has no queue comes back from the broker.
        self.fails(grpc.StatusCode.UNAVAILABLE, self.call, "RebootInstance",
                   self.m.RebootInstanceRequest(instance_uuid="vm-1"), "Empty",
                   metadata=[("x-amqp-server", "nohost")])
        self.assertEqual(total("grpc_amqp_bridge_broker_returns_total"), returns + 1)

    def test_subscribe_messages_sent_and_dropped_are_counted(self):
        watch = self.path("WatchEvents")
        before = self.scrape()
        received = bh.watch_events(self.bridge, self.m, self.topic, [
            ("instance_event", {"instance_uuid": ["not", "a string"]}),
            ("instance_event", {"instance_uuid": "vm-1", "event": "started", "host": "host9"})],
            url=self.url)
        self.assertEqual([e.instance_uuid for e in received], ["vm-1"])

        def streamed_counted():
            # Counted once handed to gRPC: a moment after the client may read it.
            samples = self.scrape()
            sent = "grpc_amqp_bridge_subscribe_messages_total"
            moved = value(samples, sent, method=watch) > value(before, sent, method=watch)
            return samples if moved else None

        after = harness.wait_until(streamed_counted, 10, "the streamed cast counted")
        for name, moved in (("grpc_amqp_bridge_subscribe_messages_total", 1),
                            ("grpc_amqp_bridge_subscribe_dropped_total", 1)):
            self.assertEqual(value(after, name, method=watch)
                             - value(before, name, method=watch), moved, name)
        harness.wait_until(
            lambda: value(self.scrape(), "grpc_amqp_bridge_calls_total", method=watch,
                          kind="subscribe", code="CANCELLED")
            == value(before, "grpc_amqp_bridge_calls_total", method=watch, kind="subscribe",
                     code="CANCELLED") + 1, 10, "the cancelled stream to be counted")

    def test_unusable_metrics_port_or_access_log_stops_the_bridge(self):
        base = [harness.runfile("bridge/grpc_amqp_bridge"),
                f"--descriptor_set={self.api.descriptor_set}", "--listen=127.0.0.1:0",
                f"--transport_url={self.url}"]
        for flag, error in (
                (f"--metrics_listen=127.0.0.1:{self.metrics_port}",
                 f"--metrics_listen: cannot listen for metrics on 127.0.0.1:{self.metrics_port}"),
                ("--metrics_listen=localhost", "is not HOST:PORT"),
                (f"--access_log={self.workdir}/no/such/dir/access.log",
                 "cannot open the access log")):
            done = subprocess.run(base + [flag], capture_output=True, text=True, timeout=30)
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn(error, done.stderr)
            self.assertNotIn(self.password, done.stdout + done.stderr)

    def test_z_connection_gauge_follows_a_broker_outage(self):
        def connected():
            samples = self.scrape()
            return [v for (n, _), v in sorted(samples.items())
                    if n == "grpc_amqp_bridge_broker_connected"]

        def reconnects():
            return sum(v for (n, _), v in self.scrape().items()
                       if n == "grpc_amqp_bridge_broker_reconnects_total")
        self.assertEqual(connected(), [1, 1])
        self.assertEqual(reconnects(), 0)
        self.node.ctl("stop_app")
        try:
            harness.wait_until(lambda: connected() == [0, 0], 30, "the gauge to drop to 0")
        finally:
            self.node.ctl("start_app")
        harness.wait_until(lambda: connected() == [1, 1], 60, "the gauge to come back to 1")
        self.assertGreaterEqual(reconnects(), 2)
        # Calls work again (the server reconnects too).
        harness.wait_until(lambda: self._ping_ok(), 60, "a call through the bridge")

    def _ping_ok(self):
        try:
            self.call("Ping", self.m.PingRequest(payload="p"), "PingReply", timeout=3)
            return True
        except grpc.RpcError:
            return False


if __name__ == "__main__":
    harness.run([MetricsTest])
