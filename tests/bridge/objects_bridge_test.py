#!/usr/bin/python3
"""Versioned objects through the bridge (its wire walker, both ways): gRPC
clients call Python oslo.messaging servers whose endpoints take and return
oslo.versionedobjects (tests/codegen/ovo_objects.py, serialized by a real
VersionedObjectSerializer), with the messages of tests/transcode/objects.proto:
a unary call, a GATHER to every server and a SUBSCRIBE to fanout casts; a
result of the wrong object is INTERNAL naming the method, and the next call
works.
"""
import os
import queue
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402
sys.path.insert(0, os.path.dirname(harness.runfile("tests/codegen/ovo_objects.py")))
from ovo_objects import (UTC, Diagnostics, Flavor, MemoryDiagnostics,  # noqa: E402
                         CpuDiagnostics, Instance, NovaSerializer, Tag, TagList,
                         data, set_fields)

import datetime  # noqa: E402
import grpc  # noqa: E402
import oslo_messaging  # noqa: E402

PACKAGE = "tests.objects_bridge"
SERVICE = f"{PACKAGE}.ObjectsBridge"
API = """
syntax = "proto3";
package tests.objects_bridge;
import "amqp/options.proto";
import "google/protobuf/empty.proto";
import "tests/transcode/objects.proto";

service ObjectsBridge {
  option (amqp.service) = { topic: "%s" version: "6.0" };
  rpc UpdateInstance(UpdateInstanceRequest) returns (tests.objects.Instance);
  // Every server's diagnostics.
  rpc GatherDiagnostics(tests.objects.GetInstanceDiagnosticsRequest)
      returns (stream tests.objects.Diagnostics);
  // Every instance_update fanout cast.
  rpc WatchUpdates(google.protobuf.Empty) returns (stream UpdateInstanceRequest) {
    option (amqp.method) = { name: "instance_update" stream: SUBSCRIBE };
  }
}

message UpdateInstanceRequest {
  tests.objects.Instance instance = 1;
  string host = 2;
}
"""


class Endpoint:
    target = oslo_messaging.Target(version="6.0")

    def __init__(self, name):
        self.name = name
        self.seen = []

    def update_instance(self, ctxt, instance, host):
        self.seen.append((type(instance).__name__, set_fields(instance),
                          instance.obj_what_changed(), data(instance)))
        if host == "wrong":
            return Flavor(name="not an instance")
        instance.host = host
        return instance

    def instance_update(self, ctxt, instance, host):
        """The fanout casts the subscription watches reach the servers too."""

    def gather_diagnostics(self, ctxt, instance):
        return Diagnostics(state="running", driver="fake", config_drive=False,
                           memory_details=MemoryDiagnostics(maximum=instance.memory_mb),
                           cpu_details=[CpuDiagnostics(id=i, time=i * 10)
                                        for i in range(instance.vcpus)],
                           hypervisor=self.name, num_cpus=instance.vcpus, num_nics=0)


class ObjectsBridgeTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("objects_bridge")
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        os.makedirs(os.path.join(cls.workdir, "tests", "transcode"))
        shutil.copy(harness.runfile("tests/transcode/objects.proto"),
                    os.path.join(cls.workdir, "tests", "transcode", "objects.proto"))
        with open(os.path.join(cls.workdir, "api.proto"), "w") as f:
            f.write(API % cls.topic)
        cls.descriptor_set = os.path.join(cls.workdir, "api.pb")
        bh.protoc(cls.descriptor_set,
                  [cls.workdir, os.path.dirname(harness.runfile("proto/amqp/options.proto")) + "/.."],
                  ["api.proto"])
        cls.m = bh.Messages(cls.descriptor_set, PACKAGE)
        cls.transport = harness.make_transport()
        cls.endpoints = [Endpoint("py1"), Endpoint("py2")]
        cls.servers = []
        for endpoint in cls.endpoints:
            server = oslo_messaging.get_rpc_server(
                cls.transport, oslo_messaging.Target(topic=cls.topic, server=endpoint.name),
                [endpoint], executor="threading", serializer=NovaSerializer())
            server.start()
            cls.servers.append(server)
        try:
            cls.bridge = bh.Bridge(cls.descriptor_set, "--rpc_response_timeout=10")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "bridge"):
            cls.bridge.stop()
        for server in cls.servers:
            server.stop()
            server.wait()
        cls.transport.cleanup()

    def instance(self):
        i = self.m.__getattr__("tests.objects.Instance")()
        i.uuid = "vm-5"
        i.vm_state = 1  # ACTIVE, sent as "active"
        i.vcpus = 2
        i.memory_mb = 0  # optional: sent although 0
        i.locked = False
        i.launched_at.FromDatetime(datetime.datetime(2026, 11, 24, 8, 0, 0))
        i.flavor.name = "m1.small"
        i.flavor.extra_specs["hw:cpu_policy"] = "dedicated"
        tag = i.tags.objects.add()
        tag.tag = "web"
        return i

    def test_unary_call_with_objects_both_ways(self):
        request = self.m.UpdateInstanceRequest(host="moved")
        request.instance.CopyFrom(self.instance())
        got = self.bridge.unary("UpdateInstance", self.m.__getattr__("tests.objects.Instance"),
                                service=SERVICE)(request, timeout=10)
        self.assertEqual(got.host, "moved")
        self.assertEqual(got.uuid, "vm-5")
        self.assertEqual(got.vm_state, 1)
        self.assertTrue(got.HasField("memory_mb"))
        self.assertTrue(got.HasField("locked"))
        self.assertEqual(got.flavor.extra_specs["hw:cpu_policy"], "dedicated")
        self.assertEqual([t.tag for t in got.tags.objects], ["web"])
        self.assertEqual(got.launched_at.seconds, 1795507200)
        seen = [s for e in self.endpoints for s in e.seen if s[3]["uuid"] == "vm-5"]
        self.assertEqual(len(seen), 1)
        name, fields_set, changed, values = seen[0]
        sent = {"uuid", "vm_state", "vcpus", "memory_mb", "locked", "launched_at", "flavor",
                "tags"}
        self.assertEqual((name, fields_set, changed), ("Instance", sent, sent))
        self.assertEqual(values["vm_state"], "active")
        self.assertEqual(values["launched_at"], "2026-11-24T08:00:00Z")
        self.assertEqual(values["flavor"]["nova_object.name"], "Flavor")

    def test_gather_gives_every_servers_object(self):
        request = self.m.__getattr__("tests.objects.GetInstanceDiagnosticsRequest")()
        request.instance.CopyFrom(self.instance())
        replies = list(self.bridge.stream(
            "GatherDiagnostics", self.m.__getattr__("tests.objects.Diagnostics"),
            service=SERVICE)(request, timeout=10, metadata=[("x-amqp-expect", "2")]))
        self.assertEqual(sorted(r.hypervisor for r in replies), ["py1", "py2"])
        for reply in replies:
            self.assertEqual(reply.state, 2)  # "running" is RUNNING
            self.assertEqual(reply.driver, 3)  # "fake" is FAKE
            self.assertEqual([c.id for c in reply.cpu_details], [0, 1])
            self.assertTrue(reply.cpu_details[0].HasField("id"))  # 0, and sent
            self.assertTrue(reply.memory_details.HasField("maximum"))
            self.assertTrue(reply.HasField("config_drive"))

    def test_subscribe_streams_casts_of_objects(self):
        stream = self.bridge.stream("WatchUpdates", self.m.UpdateInstanceRequest,
                                    service=SERVICE)(self.m.Empty(), timeout=30)
        got = queue.Queue()
        threading.Thread(target=lambda: got.put(next(stream)), daemon=True).start()
        client = oslo_messaging.get_rpc_client(
            self.transport, oslo_messaging.Target(topic=self.topic, fanout=True, version="6.0"),
            serializer=NovaSerializer())
        instance = Instance(uuid="vm-cast", vm_state="active", power_state=1,
                            tags=TagList(objects=[Tag(tag="t")]),
                            launched_at=datetime.datetime(2026, 1, 1, tzinfo=UTC))
        # The subscription binds its queue after the call starts: cast until
        # one arrives.
        update = None
        deadline = time.monotonic() + 20
        while update is None and time.monotonic() < deadline:
            client.cast({}, "instance_update", instance=instance, host="h-cast")
            try:
                update = got.get(timeout=0.5)
            except queue.Empty:
                pass
        stream.cancel()
        self.assertIsNotNone(update, "no cast reached the subscription")
        self.assertEqual(update.host, "h-cast")
        self.assertEqual(update.instance.uuid, "vm-cast")
        self.assertEqual(update.instance.vm_state, 1)
        self.assertEqual(update.instance.power_state, 1)
        self.assertEqual([t.tag for t in update.instance.tags.objects], ["t"])

    def test_a_result_of_the_wrong_object(self):
        request = self.m.UpdateInstanceRequest(host="wrong")
        request.instance.uuid = "vm-wrong"
        call = self.bridge.unary("UpdateInstance", self.m.__getattr__("tests.objects.Instance"),
                                 service=SERVICE)
        with self.assertRaises(grpc.RpcError) as raised:
            call(request, timeout=10)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.INTERNAL)
        for part in ("update_instance", "tests.objects.Instance", "Flavor"):
            self.assertIn(part, raised.exception.details())
        # The next call works.
        request.host = "right"
        self.assertEqual(call(request, timeout=10).host, "right")


if __name__ == "__main__":
    harness.run([ObjectsBridgeTest])
