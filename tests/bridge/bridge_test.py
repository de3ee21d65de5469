#!/usr/bin/python3
"""The bridge end to end: a python3-grpcio client -> grpc_amqp_bridge ->
RabbitMQ -> example compute servers, once with Python oslo.messaging servers
and once with the generated C++ ones. Every mapping rule and error case of
the design, plus GATHER across servers of both languages and SUBSCRIBE fed by
a Python oslo.messaging client.
"""
import os
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402

import grpc  # noqa: E402


class BridgeTestBase:
    """The tests, run against servers of one language (KIND)."""

    KIND = None

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique(f"bridge_{cls.KIND}")
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.api = bh.Api(cls.topic, cls.workdir)
        cls.m = cls.api.messages
        cls.servers = bh.start_servers([(cls.KIND, "host1"), (cls.KIND, "host2")], cls.topic)
        try:
            cls.bridge = bh.Bridge(cls.api.descriptor_set, "--rpc_response_timeout=10")
        except Exception:
            for server in cls.servers:
                server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()
        for server in cls.servers:
            server.stop()

    def call(self, method, request, response, **kwargs):
        kwargs.setdefault("timeout", 10)
        return self.bridge.unary(method, getattr(self.m, response))(request, **kwargs)

    def assert_fails(self, code, fn, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as caught:
            fn(*args, **kwargs)
        self.assertEqual(caught.exception.code(), code, caught.exception.details())
        return caught.exception

    # Arguments and results ------------------------------------------------

    def test_unary_call_maps_the_result_onto_the_response(self):
        instance = self.call("GetInstance", self.m.GetInstanceRequest(instance_uuid="vm-2"),
                             "Instance")
        self.assertEqual(instance.name, "db")
        self.assertEqual(instance.power_state, 4)  # "SHUTDOWN" by name on the wire
        self.assertEqual(instance.flavor.memory_mb, 8192)
        self.assertEqual(dict(instance.flavor.extra_specs), {"hw:cpu_policy": "dedicated"})
        self.assertTrue(instance.metadata.fields["backup"].bool_value)
        self.assertIn(instance.host, ("host1", "host2"))
        instance = self.call("GetInstance", self.m.GetInstanceRequest(instance_uuid="vm-1"),
                             "Instance")
        self.assertEqual(instance.launched_at.seconds, 1795507200)  # 2026-11-24T08:00:00Z
        self.assertEqual(list(instance.tags), ["frontend"])

    def test_result_field_takes_a_list_and_optional_fields_filter(self):
        everything = self.call("ListInstances", self.m.ListInstancesRequest(),
                               "ListInstancesResponse")
        self.assertEqual(sorted(i.uuid for i in everything.instances), ["vm-1", "vm-2"])
        running = self.call("ListInstances", self.m.ListInstancesRequest(power_state=1),
                            "ListInstancesResponse")
        self.assertEqual([i.name for i in running.instances], ["web"])

    def test_versioned_method_and_64_bit_integers(self):
        diagnostics = self.call("GetDiagnostics",
                                self.m.GetDiagnosticsRequest(instance_uuid="vm-1"), "Diagnostics")
        self.assertEqual(diagnostics.uptime_seconds, 3600)
        self.assertEqual(diagnostics.nics[0].rx_octets, 2 ** 40)
        self.assertAlmostEqual(diagnostics.cpu_utilisation, 0.25)

    def test_context_comes_from_metadata_and_the_request_id_goes_back(self):
        struct, call = self.bridge.unary("GetCallerContext", self.m.Struct).with_call(
            self.m.Empty(), timeout=10,
            metadata=[("x-oslo-context", '{"user_id": "u1", "roles": ["admin", "member"]}'),
                      ("x-oslo-context-project-id", "p-42"),
                      ("x-request-id", "req-from-client")])
        context = {k: v for k, v in struct.fields.items()}
        self.assertEqual(context["user_id"].string_value, "u1")
        self.assertEqual([v.string_value for v in context["roles"].list_value.values],
                         ["admin", "member"])
        self.assertEqual(context["project_id"].string_value, "p-42")
        self.assertEqual(context["request_id"].string_value, "req-from-client")
        headers = dict(call.initial_metadata())
        self.assertEqual(headers["x-openstack-request-id"], "req-from-client")

        struct, call = self.bridge.unary("GetCallerContext", self.m.Struct).with_call(
            self.m.Empty(), timeout=10)
        generated = dict(call.initial_metadata())["x-openstack-request-id"]
        self.assertRegex(generated, r"^req-[0-9a-f]{8}-[0-9a-f]{4}-")
        self.assertEqual(struct.fields["request_id"].string_value, generated)

    # Routing -------------------------------------------------------------

    def test_server_field_and_x_amqp_server_route_to_one_server(self):
        for _ in range(6):
            instance = self.call("GetInstance", self.m.GetInstanceRequest(instance_uuid="vm-1"),
                                 "Instance", metadata=[("x-amqp-server", "host2")])
            self.assertEqual(instance.host, "host2")
        output = self.call("GetConsoleOutput",
                           self.m.GetConsoleOutputRequest(host="host1", instance_uuid="vm-1",
                                                          tail_length=2), "ConsoleOutput")
        self.assertEqual(output.output.splitlines(),
                         ["[    0.03] web boot line 3", "[    0.04] web boot line 4"])

    def test_cast_returns_at_once_and_reaches_the_named_server(self):
        request_id = f"req-{uuid.uuid4()}"
        self.call("RebootInstance",
                  self.m.RebootInstanceRequest(host="host2", instance_uuid="vm-1", reboot_type=1),
                  "Empty", metadata=[("x-request-id", request_id)])
        self.servers[1].wait_for_output(f"cast reboot_instance vm-1 HARD (request {request_id})",
                                        timeout=10)
        self.assertNotIn(request_id, self.servers[0].output())

    def test_fanout_cast_reaches_every_server(self):
        reason = f"test-{uuid.uuid4().hex}"
        self.call("RefreshCache", self.m.RefreshCacheRequest(reason=reason), "Empty")
        for server in self.servers:
            server.wait_for_output(reason, timeout=10)

    # Errors ----------------------------------------------------------------

    def test_remote_not_found_is_not_found_with_error_info(self):
        error = self.assert_fails(grpc.StatusCode.NOT_FOUND, self.call, "GetInstance",
                                  self.m.GetInstanceRequest(instance_uuid="vm-404"), "Instance")
        self.assertIn("vm-404", error.details())
        self.assertNotIn("Traceback", error.details())
        reason, domain = bh.error_details(error)
        self.assertTrue(reason.endswith("NotFound"), reason)
        self.assertTrue(domain, "ErrorInfo.domain names the exception's module")

    def test_unknown_and_client_streaming_methods_are_unimplemented(self):
        error = self.assert_fails(grpc.StatusCode.UNIMPLEMENTED,
                                  self.bridge.unary("NoSuchMethod", self.m.Empty),
                                  self.m.Empty(), timeout=5)
        self.assertIn("unknown method", error.details())
        upload = self.bridge.channel.stream_unary(
            f"/{bh.PACKAGE}.Uploads/Upload", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=self.m.PingReply.FromString)
        error = self.assert_fails(grpc.StatusCode.UNIMPLEMENTED, upload,
                                  iter([self.m.PingRequest()]), timeout=5)
        self.assertIn("client streaming", error.details())
        self.assertIn("unsupported /examples.compute.Uploads/Upload", self.bridge.output())

    def test_bad_request_bytes_and_bad_metadata_are_invalid_argument(self):
        raw = self.bridge.channel.unary_unary(f"/{bh.SERVICE}/GetInstance")
        self.assert_fails(grpc.StatusCode.INVALID_ARGUMENT, raw, b"\xff\xff\xff", timeout=5)
        error = self.assert_fails(grpc.StatusCode.INVALID_ARGUMENT, self.call, "GetInstance",
                                  self.m.GetInstanceRequest(instance_uuid="vm-1"), "Instance",
                                  metadata=[("x-oslo-context", "{not json")])
        self.assertIn("x-oslo-context", error.details())
        # The bridge keeps serving.
        self.call("GetInstance", self.m.GetInstanceRequest(instance_uuid="vm-1"), "Instance")

    def test_no_listener_is_unavailable_at_once(self):
        started = time.monotonic()
        error = self.assert_fails(grpc.StatusCode.UNAVAILABLE, self.call, "GetConsoleOutput",
                                  self.m.GetConsoleOutputRequest(host="nohost", instance_uuid="x"),
                                  "ConsoleOutput", timeout=30)
        self.assertLess(time.monotonic() - started, 5)
        self.assertIn(f"{self.topic}.nohost", error.details())
        self.assertEqual(bh.error_details(error), ("UNAVAILABLE", "grpc-amqp-bridge"))

    def test_a_queue_whose_server_stopped_is_unavailable_at_once(self):
        [gone] = bh.start_servers([(self.KIND, "gone")], self.topic)
        gone.stop()  # its queue <topic>.gone stays, like a dead compute host's
        started = time.monotonic()
        error = self.assert_fails(grpc.StatusCode.UNAVAILABLE, self.call, "GetConsoleOutput",
                                  self.m.GetConsoleOutputRequest(host="gone", instance_uuid="vm-1"),
                                  "ConsoleOutput", timeout=30)
        self.assertLess(time.monotonic() - started, 5)
        self.assertIn("no consumer", error.details())

    # Deadlines -------------------------------------------------------------

    def test_deadline_shorter_than_the_work_is_deadline_exceeded(self):
        started = time.monotonic()
        self.assert_fails(grpc.StatusCode.DEADLINE_EXCEEDED, self.call, "SnapshotInstance",
                          self.m.SnapshotInstanceRequest(instance_uuid="vm-1", seconds=3),
                          "Snapshot", timeout=0.5)
        self.assertLess(time.monotonic() - started, 2)
        snapshot = self.call("SnapshotInstance",
                             self.m.SnapshotInstanceRequest(instance_uuid="vm-1", seconds=0.2),
                             "Snapshot", timeout=10)
        self.assertEqual(snapshot.image_id, "snap-vm-1")

    def test_cancelled_calls_free_their_slot(self):
        # A bridge of its own with one slot: while a call is in progress the
        # next one is refused, a cancelled call gives its slot back long
        # before its reply could have (the bridge learns of the cancellation
        # a moment after the client), and that late reply is dropped.
        bridge = bh.Bridge(self.api.descriptor_set, "--max_inflight=1", name="bridge-one-slot")
        try:
            snapshot = bridge.unary("SnapshotInstance", self.m.Snapshot)
            get = bridge.unary("GetInstance", self.m.Instance)
            request = self.m.GetInstanceRequest(instance_uuid="vm-1")

            def get_once_the_slot_is_free(within):
                deadline = time.monotonic() + within
                while True:
                    try:
                        return get(request, timeout=5)
                    except grpc.RpcError as e:
                        if (e.code() != grpc.StatusCode.RESOURCE_EXHAUSTED
                                or time.monotonic() > deadline):
                            raise
                    time.sleep(0.02)

            busy = snapshot.future(
                self.m.SnapshotInstanceRequest(instance_uuid="vm-1", seconds=1), timeout=10)
            time.sleep(0.2)
            error = self.assert_fails(grpc.StatusCode.RESOURCE_EXHAUSTED, get, request, timeout=5)
            self.assertIn("--max_inflight", error.details())
            self.assertEqual(busy.result().image_id, "snap-vm-1")
            get_once_the_slot_is_free(within=2)

            cancelled = snapshot.future(
                self.m.SnapshotInstanceRequest(instance_uuid="vm-1", seconds=3), timeout=10)
            time.sleep(0.2)
            self.assertFalse(cancelled.done())
            self.assertTrue(cancelled.cancel())
            cancelled_at = time.monotonic()
            self.assertEqual(get_once_the_slot_is_free(within=1).uuid, "vm-1")
            self.assertLess(time.monotonic() - cancelled_at, 1.5)  # the reply comes at ~2.8 s
            bridge.wait_for_output("no call waits for msg_id", timeout=10)
            self.assertEqual(get(request, timeout=5).uuid, "vm-1")
        finally:
            bridge.stop()

    def test_the_request_id_comes_back_on_errors_too(self):
        # An exception of the server, with the caller's id...
        error = self.assert_fails(grpc.StatusCode.NOT_FOUND, self.call, "GetInstance",
                                  self.m.GetInstanceRequest(instance_uuid="vm-none"), "Instance",
                                  metadata=[("x-request-id", "req-error-1")])
        self.assertEqual(dict(error.initial_metadata())["x-openstack-request-id"], "req-error-1")
        # ...the bridge's own error, with the id it made...
        error = self.assert_fails(grpc.StatusCode.UNAVAILABLE, self.call, "GetConsoleOutput",
                                  self.m.GetConsoleOutputRequest(host="nohost", instance_uuid="x"),
                                  "ConsoleOutput")
        self.assertRegex(dict(error.initial_metadata())["x-openstack-request-id"],
                         r"^req-[0-9a-f]{8}-[0-9a-f]{4}-")
        # ...but not when the headers were refused: no id was taken.
        error = self.assert_fails(grpc.StatusCode.INVALID_ARGUMENT, self.call, "GetInstance",
                                  self.m.GetInstanceRequest(instance_uuid="vm-1"), "Instance",
                                  metadata=[("x-request-id", "req-error-2"),
                                            ("x-oslo-context", "{not json")])
        self.assertNotIn("x-openstack-request-id", dict(error.initial_metadata()))

    def test_ping_returns_the_payload_from_one_server(self):
        payload = "p" * 4096  # the benchmarks' large request
        reply = self.call("Ping", self.m.PingRequest(payload=payload), "PingReply")
        self.assertEqual(reply.payload, payload)
        self.assertIn(reply.host, ("host1", "host2"))

    # Streaming -------------------------------------------------------------

    def test_gather_streams_one_reply_per_server(self):
        stream = self.bridge.stream("PingAll", self.m.PingReply)(
            self.m.PingRequest(payload="hi"), timeout=10, metadata=[("x-amqp-expect", "2")])
        started = time.monotonic()
        replies = list(stream)
        self.assertLess(time.monotonic() - started, 0.9)  # ended at 2 replies, not the window
        self.assertEqual(sorted(r.host for r in replies), ["host1", "host2"])
        self.assertEqual({r.payload for r in replies}, {"hi"})
        trailers = dict(stream.trailing_metadata())
        self.assertEqual(trailers["x-amqp-replies"], "2")
        self.assertEqual(trailers["x-amqp-failures"], "0")
        self.assertEqual(stream.code(), grpc.StatusCode.OK)

    def test_gather_window_closes_before_the_deadline(self):
        stream = self.bridge.stream("PingAll", self.m.PingReply)(
            self.m.PingRequest(payload="w"), timeout=0.6)  # default window 1 s
        replies = list(stream)
        self.assertEqual(stream.code(), grpc.StatusCode.OK)
        self.assertEqual(len(replies), 2)
        stream = self.bridge.stream("PingAll", self.m.PingReply)(
            self.m.PingRequest(payload="w"), timeout=10,
            metadata=[("x-amqp-gather-window-ms", "300")])
        started = time.monotonic()
        self.assertEqual(len(list(stream)), 2)
        self.assertLess(time.monotonic() - started, 0.9)

    def test_subscribe_streams_fanout_casts_from_a_python_client(self):
        received = bh.watch_events(self.bridge, self.m, self.topic, [
            ("other_event", {"instance_uuid": "ignored"}),
            ("instance_event", {"instance_uuid": "vm-1", "event": "started", "host": "host9"})])
        self.assertEqual([(e.instance_uuid, e.event, e.host) for e in received],
                         [("vm-1", "started", "host9")])

    def test_one_oslo_method_reached_every_way(self):
        # Five gRPC methods name oslo "set_host_enabled"; each goes as its kind
        # says, and every server runs its one set_host_enabled for each.
        request = self.m.SetHostEnabledRequest
        enabled = self.call("SetHostEnabled", request(enabled=False, reason="call"),
                            "HostEnabled", metadata=[("x-amqp-server", "host2")])
        self.assertEqual((enabled.host, enabled.enabled), ("host2", False))
        each = self.bridge.stream("SetHostEnabledEach", self.m.HostEnabled)(
            request(enabled=True, reason="each"), timeout=10,
            metadata=[("x-amqp-expect", "2")])
        self.assertEqual(sorted((r.host, r.enabled) for r in each),
                         [("host1", True), ("host2", True)])
        watch = self.bridge.stream("WatchHostEnabled", request)(
            self.m.WatchEventsRequest(), timeout=20)
        watch.initial_metadata()  # the subscription is live
        events = []
        reader = threading.Thread(target=lambda: events.extend(watch), daemon=True)
        reader.start()
        cast_id, fanout_id = f"req-{uuid.uuid4()}", f"req-{uuid.uuid4()}"
        self.call("SetHostEnabledCast", request(enabled=False, reason="cast"), "Empty",
                  metadata=[("x-amqp-server", "host1"), ("x-request-id", cast_id)])
        self.call("SetHostEnabledFanout", request(enabled=True, reason="fanout"), "Empty",
                  metadata=[("x-request-id", fanout_id)])
        self.servers[0].wait_for_output(f"set_host_enabled false 'cast' (request {cast_id})",
                                        timeout=10)
        for server in self.servers:
            server.wait_for_output(f"set_host_enabled true 'fanout' (request {fanout_id})",
                                   timeout=10)
        self.assertNotIn(cast_id, self.servers[1].output())
        harness.wait_until(lambda: events, 10, "the fanout cast on the stream")
        watch.cancel()
        reader.join(5)
        # The stream sees the fanout cast, not the cast to one server's queue.
        self.assertEqual([(e.enabled, e.reason) for e in events], [(True, "fanout")])

    def test_health_and_reflection_are_served(self):
        check = self.bridge.channel.unary_unary("/grpc.health.v1.Health/Check")
        self.assertEqual(check(b"", timeout=5), b"\x08\x01")  # status: SERVING
        service = bh.SERVICE.encode()  # HealthCheckRequest{service = 1}
        self.assertEqual(check(b"\x0a" + bytes([len(service)]) + service, timeout=5),
                         b"\x08\x01")
        self.assert_fails(grpc.StatusCode.NOT_FOUND, check, b"\x0a\x03x.Y", timeout=5)
        reflect = self.bridge.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
        answers = list(reflect(iter([b"\x3a\x00"]), timeout=5))  # list_services: ""
        self.assertIn(bh.SERVICE.encode(), answers[0])


class PythonServersTest(BridgeTestBase, harness.unittest.TestCase):
    KIND = "python"


class CppServersTest(BridgeTestBase, harness.unittest.TestCase):
    KIND = "cpp"


class MixedGatherTest(harness.unittest.TestCase):
    """GATHER across three servers of two languages."""

    def test_gather_across_languages(self):
        topic = harness.unique("bridge_mixed")
        api = bh.Api(topic, tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR")))
        servers = bh.start_servers([("cpp", "c1"), ("python", "p1"), ("cpp", "c2")], topic)
        bridge = None
        try:
            bridge = bh.Bridge(api.descriptor_set)
            stream = bridge.stream("PingAll", api.messages.PingReply)(
                api.messages.PingRequest(payload="all"), timeout=10,
                metadata=[("x-amqp-expect", "3")])
            self.assertEqual(sorted(r.host for r in stream), ["c1", "c2", "p1"])
            self.assertEqual(dict(stream.trailing_metadata())["x-amqp-replies"], "3")
        finally:
            if bridge:
                bridge.stop()
            for server in servers:
                server.stop()


if __name__ == "__main__":
    harness.run([PythonServersTest, CppServersTest, MixedGatherTest])
