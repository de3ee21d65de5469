#!/usr/bin/python3
"""oslo notifications through the bridge, with real peers: oslo_messaging
Notifiers (drivers messagingv2 and messaging) feeding NOTIFICATIONS streams
filtered by event type and priority, nova's own versioned notification
objects arriving as proto messages, a `notify` call received by an
oslo_messaging notification listener, oslo's shared <topic>.<priority>
queue left alone, malformed notifications skipped, a slow reader ended with
RESOURCE_EXHAUSTED, and a stream across a restart of a RabbitMQ node of the
test's own (it resumes).
"""
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "reliability"))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402
import rabbit_nodes  # noqa: E402

import amqp  # noqa: E402
import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_context import context as oslo_context  # noqa: E402
import oslo_messaging  # noqa: E402
import oslo_messaging.opts  # noqa: E402

PACKAGE = "notifytest"
SERVICE = f"{PACKAGE}.Events"

PROTO = """
syntax = "proto3";
package notifytest;

import "amqp/options.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";

message WatchRequest {}

message InstancePayload {
  string instance_id = 1;
  int64 memory_mb = 2;
  string state = 3;
}

// Every field a notification fills.
message InstanceEvent {
  string event_type = 1;
  string publisher_id = 2;
  string priority = 3;
  google.protobuf.Timestamp timestamp = 4;
  string message_id = 5;
  InstancePayload payload = 6;
  google.protobuf.Struct context = 7;
}

// Any payload, the timestamp as oslo sends it.
message AnyEvent {
  string event_type = 1;
  string priority = 2;
  google.protobuf.Value payload = 3;
  string timestamp = 4;
  string publisher_id = 5;
}

// nova's ServiceStatusPayload 1.1 as a proto message: an
// oslo.versionedobjects object (amqp.object).
message ServiceStatusPayload {
  option (amqp.object) = { namespace: "nova" version: "1.1" serial_namespace: "nova_object" };
  string host = 1;
  string binary = 2;
  string topic = 3;
  int32 report_count = 4;
  bool disabled = 5;
  optional string disabled_reason = 6;
  optional string availability_zone = 7;
  bool forced_down = 8;
  int32 version = 9;
  string uuid = 10;
}

message ServiceEvent {
  string event_type = 1;
  string publisher_id = 2;
  ServiceStatusPayload payload = 3;
}

service Events {
  option (amqp.service) = { topic: "unused" exchange: "EXCHANGE" };
  rpc WatchAll(WatchRequest) returns (stream AnyEvent) {
    option (amqp.method) = { stream: NOTIFICATIONS notification_topic: "TOPIC" };
  }
  rpc WatchInstanceErrors(WatchRequest) returns (stream InstanceEvent) {
    option (amqp.method) = {
      stream: NOTIFICATIONS
      event_type: "compute.instance.*"
      priority: "error,critical"
      notification_topic: "TOPIC"
    };
  }
  rpc WatchInstances(WatchRequest) returns (stream InstanceEvent) {
    option (amqp.method) = {
      stream: NOTIFICATIONS event_type: "compute.instance.*" notification_topic: "TOPIC"
    };
  }
  rpc WatchServices(WatchRequest) returns (stream ServiceEvent) {
    option (amqp.method) = {
      stream: NOTIFICATIONS event_type: "service.*" notification_topic: "TOPIC"
    };
  }
  rpc InstanceCreated(InstancePayload) returns (google.protobuf.Empty) {
    option (amqp.method) = {
      notify: true event_type: "compute.instance.create.end" notification_topic: "TOPIC"
    };
  }
  rpc InstanceFailed(InstancePayload) returns (google.protobuf.Empty) {
    option (amqp.method) = {
      notify: true
      event_type: "compute.instance.create.error"
      priority: "ERROR"
      notification_topic: "TOPIC"
    };
  }
  rpc NobodyListens(InstancePayload) returns (google.protobuf.Empty) {
    option (amqp.method) = {
      notify: true event_type: "nobody.hears" notification_topic: "TOPIC_unheard"
    };
  }
}
"""


class EventsApi:
    """The test service with an exchange and notification topic of its own."""

    def __init__(self, workdir):
        self.exchange = harness.unique("notify_exchange")
        self.topic = harness.unique("notifications")
        source = PROTO.replace("EXCHANGE", self.exchange).replace("TOPIC", self.topic)
        os.makedirs(os.path.join(workdir, PACKAGE), exist_ok=True)
        with open(os.path.join(workdir, PACKAGE, "events.proto"), "w") as f:
            f.write(source)
        self.descriptor_set = os.path.join(workdir, "events.pb")
        bh.protoc(self.descriptor_set,
                  [workdir, os.path.dirname(harness.runfile("proto/amqp/options.proto")) + "/.."],
                  [f"{PACKAGE}/events.proto"])
        self.messages = bh.Messages(self.descriptor_set, PACKAGE)


def notification_transport(exchange, url=harness.TRANSPORT_URL):
    """A notification transport whose control_exchange is `exchange` (read
    when the transport is made)."""
    conf = cfg.ConfigOpts()
    conf([])
    for group, options in oslo_messaging.opts.list_opts():
        conf.register_opts(options, group=group)
    conf.set_override("control_exchange", exchange)
    return oslo_messaging.get_notification_transport(conf, url=url)


def oslo_notifier(transport, driver, topic, publisher_id="compute.host1"):
    return oslo_messaging.Notifier(transport, publisher_id=publisher_id, driver=driver,
                                   topics=[topic])


class Stream:
    """A NOTIFICATIONS stream read by a thread of its own into a queue."""

    def __init__(self, bridge, method, response, request, timeout=120, start_reading=True):
        self.call = bridge.stream(method, response, service=SERVICE)(request, timeout=timeout)
        self.call.initial_metadata()  # the bridge's queue is bound from now on
        self.messages = queue.Queue()
        self.error = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        if start_reading:
            self.thread.start()

    def _read(self):
        try:
            for message in self.call:
                self.messages.put(message)
        except grpc.RpcError as e:
            self.error = e
        self.messages.put(None)

    def take(self, count, timeout=15):
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            try:
                message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{len(got)} of {count} notifications within {timeout}s: "
                                     f"{got}") from None
            if message is None:
                raise AssertionError(f"the stream ended after {len(got)} of {count}: "
                                     f"{self.error}")
            got.append(message)
        return got

    def assert_quiet(self, seconds=1.0):
        try:
            message = self.messages.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected notification: {message}")

    def cancel(self):
        self.call.cancel()
        if self.thread.is_alive():
            self.thread.join(timeout=10)


def broker_channel(port=harness.BROKER_PORT):
    connection = amqp.Connection(f"{harness.BROKER_HOST}:{port}", userid="guest",
                                 password="guest")
    connection.connect()
    return connection, connection.channel()


def publish_raw(channel, exchange, key, body):
    channel.basic_publish(amqp.Message(body, content_type="application/json"),
                          exchange=exchange, routing_key=key)


def oslo_body(event_type, payload, priority="INFO", envelope=True):
    message = {"message_id": str(uuid.uuid4()), "publisher_id": "raw.test",
               "event_type": event_type, "priority": priority, "payload": payload,
               "timestamp": "2026-12-07 10:00:00.000001", "_unique_id": uuid.uuid4().hex}
    if envelope:
        message = {"oslo.version": "2.0", "oslo.message": json.dumps(message)}
    return json.dumps(message)


def queue_depth(connection, name):
    """Messages ready in queue `name`, 0 when there is no such queue (a
    passive declare on a channel of its own: NOT_FOUND closes it)."""
    channel = connection.channel()
    try:
        return channel.queue_declare(name, passive=True).message_count
    except amqp.exceptions.NotFound:
        return 0
    finally:
        if channel.is_open:
            channel.close()


class ListenerEndpoint:
    """An oslo_messaging notification endpoint that keeps what it gets."""

    def __init__(self):
        self.received = queue.Queue()

    def _keep(self, priority, ctxt, publisher_id, event_type, payload, metadata):
        self.received.put((priority, ctxt, publisher_id, event_type, payload, metadata))

    def info(self, *args):
        self._keep("info", *args)

    def error(self, *args):
        self._keep("error", *args)

    def take(self, event_type, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = self.received.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no '{event_type}' notification within {timeout}s") from None
            if got[3] == event_type:
                return got


class NotificationsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.api = EventsApi(cls.workdir)
        cls.m = cls.api.messages
        cls.bridge = bh.Bridge(cls.api.descriptor_set, "--publisher_id=api.bridge-test",
                               "--metrics_listen=127.0.0.1:0")
        cls.connection, cls.channel = broker_channel()
        cls.transport = notification_transport(cls.api.exchange)
        cls.queues = []  # made by oslo for this test: deleted at the end

    @classmethod
    def tearDownClass(cls):
        try:
            cls.bridge.stop()
            for name in cls.queues:
                cls.channel.queue_delete(name)
            cls.channel.exchange_delete(cls.api.exchange)
        finally:
            cls.connection.collect()
            cls.transport.cleanup()

    def stream(self, method, response, bridge=None, **kwargs):
        stream = Stream(bridge or self.bridge, method, getattr(self.m, response),
                        self.m.WatchRequest(), **kwargs)
        self.addCleanup(stream.cancel)
        return stream

    def publish(self, body, priority="info"):
        publish_raw(self.channel, self.api.exchange, f"{self.api.topic}.{priority}", body)

    # Receiving -------------------------------------------------------------

    def test_oslo_notifiers_feed_filtered_streams(self):
        shared = {p: f"{self.api.topic}.{p}" for p in ("info", "error", "warn")}
        self.queues += shared.values()
        before = {p: queue_depth(self.connection, name) for p, name in shared.items()}
        for driver in ("messagingv2", "messaging"):
            with self.subTest(driver=driver):
                everything = self.stream("WatchAll", "AnyEvent")
                errors = self.stream("WatchInstanceErrors", "InstanceEvent")
                notifier = oslo_notifier(self.transport, driver, self.api.topic)
                ctxt = oslo_context.RequestContext(user_id="u1", project_id="p1",
                                                   request_id="req-notify-test")
                sent_at = time.time()
                notifier.info(ctxt, "compute.instance.create.end",
                              {"instance_id": "i1", "memory_mb": 2 ** 40, "state": "active"})
                notifier.error(ctxt, "compute.instance.create.error",
                               {"instance_id": "i2", "memory_mb": 512, "state": "error"})
                notifier.error(ctxt, "volume.delete.error", {"volume_id": "v1"})
                notifier.warn(ctxt, "compute.instance.slow", {"instance_id": "i3"})

                got = everything.take(4)
                self.assertEqual([(e.event_type, e.priority) for e in got],
                                 [("compute.instance.create.end", "INFO"),
                                  ("compute.instance.create.error", "ERROR"),
                                  ("volume.delete.error", "ERROR"),
                                  ("compute.instance.slow", "WARN")])
                first = got[0]
                self.assertEqual(first.publisher_id, "compute.host1")
                self.assertEqual(json_format.MessageToDict(first.payload),
                                 {"instance_id": "i1", "memory_mb": 2 ** 40, "state": "active"})
                self.assertRegex(first.timestamp,
                                 r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$")

                [error] = errors.take(1)
                self.assertEqual(error.event_type, "compute.instance.create.error")
                self.assertEqual(error.priority, "ERROR")
                self.assertEqual(error.publisher_id, "compute.host1")
                self.assertEqual(error.payload.instance_id, "i2")
                self.assertEqual(error.payload.memory_mb, 512)
                self.assertEqual(error.payload.state, "error")
                self.assertEqual(len(error.message_id), 36)
                self.assertAlmostEqual(error.timestamp.ToSeconds(), sent_at, delta=30)
                context = json_format.MessageToDict(error.context)
                self.assertEqual(context["user"], "u1")  # RequestContext.to_dict()
                self.assertEqual(context["project_id"], "p1")
                self.assertEqual(context["request_id"], "req-notify-test")
                # volume.* fails the event type pattern, WARN the priorities.
                errors.assert_quiet()
                everything.assert_quiet(0.2)
        # oslo's own queues kept every notification while the streams ran:
        # the bridge consumed none of them.
        expected = {"info": before["info"] + 2, "error": before["error"] + 4,
                    "warn": before["warn"] + 2}
        harness.wait_until(
            lambda: all(queue_depth(self.connection, shared[p]) == n
                        for p, n in expected.items()),
            10, f"oslo's shared queues holding {expected} messages")

    def test_nova_versioned_notification_arrives_as_proto(self):
        import nova.conf
        from nova import context as nova_context, objects, rpc
        from nova.notifications.objects import base as notification_base
        from nova.notifications.objects import service as service_notification
        from nova.objects import fields
        objects.register_all()
        nova.conf.CONF([], project="nova", default_config_files=[])
        nova.conf.CONF.set_override("notification_format", "versioned", group="notifications")
        self.queues.append(f"{self.api.topic}.info")
        rpc.NOTIFIER = oslo_notifier(self.transport, "messagingv2", self.api.topic)
        self.addCleanup(setattr, rpc, "NOTIFIER", None)
        stream = self.stream("WatchAll", "AnyEvent")
        typed = self.stream("WatchServices", "ServiceEvent")
        service = objects.Service(
            host="host7", binary="nova-compute", topic="compute", report_count=3,
            disabled=True, disabled_reason="maintenance", availability_zone=None,
            last_seen_up=None, forced_down=False, uuid=str(uuid.uuid4()))
        notification = service_notification.ServiceStatusNotification(
            publisher=notification_base.NotificationPublisher(
                host="host7", source=fields.NotificationSource.COMPUTE),
            event_type=notification_base.EventType(
                object="service", action=fields.NotificationAction.UPDATE),
            priority=fields.NotificationPriority.INFO,
            payload=service_notification.ServiceStatusPayload(service))
        notification.emit(nova_context.RequestContext(user_id="u7", project_id="p7"))

        [event] = stream.take(1)
        self.assertEqual(event.event_type, "service.update")
        self.assertEqual(event.publisher_id, "nova-compute:host7")
        payload = json_format.MessageToDict(event.payload)
        self.assertEqual(payload["nova_object.name"], "ServiceStatusPayload")
        self.assertEqual(payload["nova_object.namespace"], "nova")
        data = payload["nova_object.data"]
        self.assertEqual((data["host"], data["disabled"], data["disabled_reason"],
                          data["report_count"]), ("host7", True, "maintenance", 3))
        self.assertEqual(data["uuid"], service.uuid)

        # The same notification as a typed message: the object's primitive
        # decoded by the (amqp.object) rules.
        [event] = typed.take(1)
        self.assertEqual((event.event_type, event.publisher_id),
                         ("service.update", "nova-compute:host7"))
        payload = event.payload
        self.assertEqual((payload.host, payload.binary, payload.topic, payload.report_count,
                          payload.disabled, payload.disabled_reason, payload.uuid),
                         ("host7", "nova-compute", "compute", 3, True, "maintenance",
                          service.uuid))
        self.assertFalse(payload.HasField("availability_zone"))  # null in nova
        self.assertGreater(payload.version, 0)

    def test_malformed_notifications_are_skipped(self):
        stream = self.stream("WatchAll", "AnyEvent")
        before = self.bridge.output().count("is no notification")
        self.publish("not json at all")
        self.publish(json.dumps({"oslo.version": "2.0",
                                 "oslo.message": json.dumps({"payload": {}})}))
        self.publish(oslo_body("after.malformed", {"n": 1}, envelope=False))
        [event] = stream.take(1)
        self.assertEqual(event.event_type, "after.malformed")
        self.assertEqual(json_format.MessageToDict(event.payload), {"n": 1})
        harness.wait_until(lambda: self.bridge.output().count("is no notification") == before + 2,
                           5, "one log line per malformed notification")
        # The bridge counts a notification once it handed it to gRPC, which
        # may be a moment after the client already read it.
        def streamed_counted():
            metrics = self.metrics()
            return metrics if metrics["grpc_amqp_bridge_notifications_streamed_total"] >= 1 else None

        metrics = harness.wait_until(streamed_counted, 5,
                                     "the streamed notification counted on /metrics")
        self.assertGreaterEqual(metrics["grpc_amqp_bridge_notifications_malformed_total"], 2)

    def metrics(self):
        """The bridge's /metrics samples without labels, by name."""
        port = re.search(r"metrics on [^\s:]+:(\d+)", self.bridge.output()).group(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
            text = reply.read().decode()
        return {name: float(value) for name, value in
                re.findall(r"^([a-z_]+) ([0-9.e+-]+)$", text, re.M)}

    def test_streams_bind_private_queues_only(self):
        stream = self.stream("WatchAll", "AnyEvent")
        # The bridge's queue is named after the exchange, with a uuid.
        queues = harness.wait_until(lambda: [
            q for q in rabbit_queues() if q.startswith(f"{self.api.exchange}_notifications_")],
            5, "the stream's queue")
        self.assertEqual(len(queues), 1)
        stream.cancel()
        harness.wait_until(lambda: queues[0] not in rabbit_queues(), 10,
                           "the stream's queue deleted with the stream")

    # Sending ---------------------------------------------------------------

    def test_notify_call_reaches_an_oslo_listener(self):
        endpoint = ListenerEndpoint()
        pool = harness.unique("pool")  # a queue of its own, not oslo's shared one
        listener = oslo_messaging.get_notification_listener(
            self.transport, [oslo_messaging.Target(topic=self.api.topic)], [endpoint],
            executor="threading", pool=pool)
        listener.start()
        self.queues.append(pool)
        try:
            created = self.bridge.unary("InstanceCreated", self.m.Empty, service=SERVICE)
            created(self.m.InstancePayload(instance_id="i9", memory_mb=2 ** 40 + 3,
                                           state="building"),
                    metadata=[("x-amqp-publisher-id", "api.host9"),
                              ("x-oslo-context-user-id", "u9"),
                              ("x-request-id", "req-grpc-notify")],
                    timeout=10)
            priority, ctxt, publisher, _, payload, metadata = endpoint.take(
                "compute.instance.create.end")
            self.assertEqual(priority, "info")
            self.assertEqual(publisher, "api.host9")
            self.assertEqual(payload, {"instance_id": "i9", "memory_mb": 2 ** 40 + 3,
                                       "state": "building"})
            self.assertIsInstance(payload["memory_mb"], int)
            self.assertEqual(ctxt["user_id"], "u9")
            self.assertEqual(ctxt["request_id"], "req-grpc-notify")
            self.assertEqual(len(metadata["message_id"]), 36)
            self.assertTrue(metadata["timestamp"])

            failed = self.bridge.unary("InstanceFailed", self.m.Empty, service=SERVICE)
            failed(self.m.InstancePayload(instance_id="i10"), timeout=10)
            priority, _, publisher, _, payload, _ = endpoint.take(
                "compute.instance.create.error")
            self.assertEqual((priority, publisher), ("error", "api.bridge-test"))
            self.assertEqual(payload["instance_id"], "i10")
        finally:
            listener.stop()
            listener.wait()

    def test_notify_nobody_listens_is_unavailable(self):
        unheard = self.bridge.unary("NobodyListens", self.m.Empty, service=SERVICE)
        with self.assertRaises(grpc.RpcError) as caught:
            unheard(self.m.InstancePayload(instance_id="x"), timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE,
                         caught.exception.details())
        self.assertIn(f"{self.api.topic}_unheard.info", caught.exception.details())

    def test_bad_publisher_id_header_is_invalid_argument(self):
        created = self.bridge.unary("InstanceCreated", self.m.Empty, service=SERVICE)
        with self.assertRaises(grpc.RpcError) as caught:
            created(self.m.InstancePayload(), metadata=[("x-amqp-publisher-id", "a b")],
                    timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("x-amqp-publisher-id", caught.exception.details())

    def test_without_a_broker_streams_and_notify_are_unavailable(self):
        port = rabbit_nodes.free_port()  # nothing listens there
        bridge = bh.Bridge(self.api.descriptor_set,
                           f"--transport_url=rabbit://guest:guest@127.0.0.1:{port}/",
                           name="bridge-no-broker")
        self.addCleanup(bridge.stop)
        call = bridge.stream("WatchAll", self.m.AnyEvent, service=SERVICE)(
            self.m.WatchRequest(), timeout=10)
        with self.assertRaises(grpc.RpcError) as caught:
            next(call)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertIn("cannot listen for notifications", caught.exception.details())
        created = bridge.unary("InstanceCreated", self.m.Empty, service=SERVICE)
        with self.assertRaises(grpc.RpcError) as caught:
            created(self.m.InstancePayload(), timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE)

    # A slow reader ---------------------------------------------------------

    def test_slow_reader_ends_with_resource_exhausted(self):
        bridge = bh.Bridge(self.api.descriptor_set, "--notification_buffer=20",
                           name="bridge-small-buffer")
        self.addCleanup(bridge.stop)
        stream = self.stream("WatchAll", "AnyEvent", bridge=bridge, start_reading=False)
        filler = "x" * 2000
        sent = 3000
        # With publisher confirms: every message is routed when this ends,
        # so none of them reaches the stream subscribed again below.
        confirmed = self.connection.channel()
        for i in range(sent):
            confirmed.basic_publish_confirm(
                amqp.Message(oslo_body("flood", {"i": i, "filler": filler}),
                             content_type="application/json"),
                exchange=self.api.exchange, routing_key=f"{self.api.topic}.info")
        confirmed.close()
        bridge.wait_for_output("reads too slowly", timeout=30)
        stream.thread.start()
        received = 0
        while stream.messages.get(timeout=30) is not None:
            received += 1
        self.assertIsNotNone(stream.error)
        self.assertEqual(stream.error.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("20 notifications were buffered", stream.error.details())
        self.assertLess(received, sent)
        print(f"slow reader: {received} of {sent} notifications of 2 KB read before "
              f"RESOURCE_EXHAUSTED with --notification_buffer=20")
        # The client can subscribe again.
        again = self.stream("WatchAll", "AnyEvent", bridge=bridge)
        self.publish(oslo_body("after.overflow", {}))
        self.assertEqual(again.take(1)[0].event_type, "after.overflow")


def rabbit_queues():
    """The system broker's queue names (rabbitmqctl, hence no-sandbox)."""
    done = subprocess.run([harness.RABBITMQCTL, "list_queues", "-q", "--no-table-headers",
                           "name"], env=dict(os.environ, HOME="/var/lib/rabbitmq"),
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.split()


class BrokerRestartTest(unittest.TestCase):
    """A stream across a restart of the broker (a node of the test's own):
    the bridge reconnects, declares the stream's queue again and the stream
    goes on; notifications sent while no queue was bound are lost."""

    def test_stream_resumes_after_broker_restart(self):
        workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        node = rabbit_nodes.RabbitNode("notify", workdir)
        node.start()
        self.addCleanup(node.remove)
        api = EventsApi(workdir)
        bridge = bh.Bridge(api.descriptor_set,
                           f"--transport_url=rabbit://guest:guest@127.0.0.1:{node.port}/",
                           name="bridge-own-node")
        self.addCleanup(bridge.stop)
        stream = Stream(bridge, "WatchAll", api.messages.AnyEvent, api.messages.WatchRequest())
        self.addCleanup(stream.cancel)

        def publish(event_type):
            connection, channel = broker_channel(node.port)
            try:
                publish_raw(channel, api.exchange, f"{api.topic}.info",
                            oslo_body(event_type, {}))
            finally:
                connection.collect()

        publish("before.restart")
        self.assertEqual(stream.take(1)[0].event_type, "before.restart")
        node.stop()
        node.start()
        restarted = time.monotonic()
        # Until the bridge has declared the queue again, notifications are
        # unroutable (or the exchange missing): send until one arrives.
        deadline = time.monotonic() + 60
        while True:
            try:
                publish("after.restart")
            except Exception:  # the exchange is not declared again yet
                pass
            try:
                event = stream.messages.get(timeout=1)
                break
            except queue.Empty:
                self.assertLess(time.monotonic(), deadline,
                                "no notification within 60 s of the restart")
        self.assertIsNotNone(event, f"the stream ended: {stream.error}")
        self.assertEqual(event.event_type, "after.restart")
        self.assertIsNone(stream.error)
        print(f"broker restart: the same stream received again "
              f"{time.monotonic() - restarted:.1f} s after the node was back")


if __name__ == "__main__":
    harness.run([NotificationsTest, BrokerRestartTest])
