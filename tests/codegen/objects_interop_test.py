#!/usr/bin/python3
"""Versioned objects between the generated C++ code (objects_api.proto, whose
messages carry (amqp.object)) and Python peers that use oslo.versionedobjects
with a real VersionedObjectSerializer, both ways:

- the generated ObjectsApiEndpoint (objects_peer --mode=serve) answering a
  Python RPCClient: Python gets real objects with exactly the fields and
  changes the C++ code set, and the objects Python sends fill the C++
  messages (the endpoint sends them back);
- the generated ObjectsApiClient (objects_peer --mode=call) calling a Python
  RPCServer: the server sees real objects with exactly the fields and changes
  the C++ code set, and its objects fill the C++ responses;
- bad primitives get a ValueError naming the field, and the next call works.
"""
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from ovo_objects import (UTC, CpuDiagnostics, Diagnostics, Flavor, Instance,  # noqa: E402
                         MemoryDiagnostics, NovaSerializer, Tag, TagList, data,
                         set_fields)

import oslo_messaging  # noqa: E402


def sent_instance():
    return Instance(
        uuid="vm-9", vm_state="stopped", vcpus=4, display_name="from python",
        locked=True, memory_mb=0, power_state=4,
        launched_at=datetime.datetime(2026, 11, 24, 8, 0, 0, tzinfo=UTC),
        flavor=Flavor(name="m1.large", vcpus=4, extra_specs={"hw:numa_nodes": "2"},
                      projects=["p1", "p2"], rxtx_factor=1.5, disabled=False),
        tags=TagList(objects=[Tag(tag="x", resource_id="vm-9"), Tag(tag="y")]),
        metadata={"k": "v"}, task_state=None)


def primitive(name, version, data, changes=None, namespace="nova"):
    p = {"nova_object.name": name, "nova_object.namespace": namespace,
         "nova_object.version": version, "nova_object.data": data}
    if changes is not None:
        p["nova_object.changes"] = changes
    return p


class CppEndpointTest(harness.unittest.TestCase):
    """The generated endpoint, called by Python with objects."""

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("objects_cpp")
        cls.peer = harness.Process(
            [harness.runfile("tests/codegen/objects_peer"), "--mode=serve",
             f"--transport_url={harness.TRANSPORT_URL}", f"--topic={cls.topic}",
             f"--max_message_bytes={64 << 20}"], "objects-cpp")
        try:
            cls.peer.wait_for_output("ready")
        except Exception:
            cls.peer.stop()
            raise
        cls.transport = harness.make_transport()
        target = oslo_messaging.Target(topic=cls.topic, version="6.0")
        cls.client = oslo_messaging.get_rpc_client(
            cls.transport, target, serializer=NovaSerializer(), timeout=20)
        # Without a serializer: to send primitives as they are.
        cls.raw = oslo_messaging.get_rpc_client(cls.transport, target, timeout=20)

    @classmethod
    def tearDownClass(cls):
        cls.peer.stop()
        cls.transport.cleanup()

    def test_python_gets_real_objects_with_the_fields_and_changes_set(self):
        instance = self.client.call({}, "get_instance", instance_uuid="vm-1")
        self.assertIsInstance(instance, Instance)
        expected = {"uuid", "display_name", "vm_state", "power_state", "memory_mb",
                    "vcpus", "host", "locked", "launched_at", "flavor", "tags",
                    "metadata"}
        self.assertEqual(set_fields(instance), expected)
        self.assertEqual(instance.obj_what_changed(), expected)
        self.assertEqual(instance.vm_state, "active")  # (amqp.value) spelling
        self.assertEqual(instance.power_state, 1)
        self.assertIs(instance.locked, False)  # optional: sent although false
        self.assertEqual(instance.launched_at, datetime.datetime(2026, 11, 24, 8, tzinfo=UTC))
        self.assertEqual(instance.metadata, {"backup": "yes"})
        self.assertIsInstance(instance.flavor, Flavor)
        self.assertEqual(set_fields(instance.flavor),
                         {"name", "memory_mb", "vcpus", "root_gb", "extra_specs"})
        self.assertEqual(instance.flavor.obj_what_changed(), set_fields(instance.flavor))
        self.assertEqual(instance.flavor.extra_specs, {"hw:cpu_policy": "dedicated"})
        self.assertIsInstance(instance.tags, TagList)
        self.assertIsInstance(instance.tags[0], Tag)
        self.assertEqual([t.tag for t in instance.tags], ["frontend"])

    def test_python_objects_fill_the_cpp_messages(self):
        sent = sent_instance()
        got = self.client.call({}, "update_instance", instance=sent, host="cpp-moved")
        self.assertIsInstance(got, Instance)
        # task_state was None: unset in the message, so not sent back.
        expected = (set_fields(sent) - {"task_state"}) | {"host"}
        self.assertEqual(set_fields(got), expected)
        self.assertEqual(got.obj_what_changed(), expected)
        self.assertEqual(got.host, "cpp-moved")
        want = data(sent)
        del want["task_state"]
        want["host"] = "cpp-moved"
        self.assertEqual(data(got), want)
        self.assertIsInstance(got.flavor, Flavor)
        self.assertEqual(got.flavor.rxtx_factor, 1.5)
        self.assertIs(got.flavor.disabled, False)
        self.assertEqual([(type(t).__name__, t.tag) for t in got.tags],
                         [("Tag", "x"), ("Tag", "y")])

    def test_object_lists_and_enum_fields(self):
        diagnostics = self.client.call({}, "get_instance_diagnostics",
                                       instance=sent_instance())
        self.assertIsInstance(diagnostics, Diagnostics)
        self.assertEqual(diagnostics.state, "running")  # EnumField took it
        self.assertEqual(diagnostics.driver, "libvirt")
        self.assertEqual([(type(c).__name__, c.id) for c in diagnostics.cpu_details],
                         [("CpuDiagnostics", i) for i in range(4)])
        self.assertEqual(diagnostics.memory_details.maximum, 0)
        self.assertEqual(diagnostics.num_nics, 0)
        self.assertIs(diagnostics.config_drive, False)
        tags = self.client.call({}, "collect_tags", instances=[
            sent_instance(), Instance(uuid="vm-2", tags=TagList(objects=[Tag(tag="z")]))])
        self.assertIsInstance(tags, TagList)
        self.assertEqual([t.tag for t in tags], ["x", "y", "z"])

    def test_bad_primitives_are_value_errors_naming_the_field(self):
        good = data(sent_instance())
        cases = [
            ("wrong name", primitive("Flavor", "1.2", {}),
             ["field 'instance'", "Instance 2.7", "Flavor"]),
            ("wrong major", primitive("Instance", "3.0", good),
             ["field 'instance'", "version 3.0", "major versions must match"]),
            ("data not an object", primitive("Instance", "2.7", [1]),
             ["nova_object.data", "expected an object, got an array"]),
            ("changes not a list", primitive("Instance", "2.7", good, "uuid"),
             ["nova_object.changes", "expected a list, got a string"]),
            ("wrong type deep inside", primitive("Instance", "2.7", dict(
                good, flavor=primitive("Flavor", "1.2", {"extra_specs": {"a": 5}}))),
             ["field 'instance.flavor.extra_specs.a'", "expected a string, got a number"]),
            ("not an object", "Instance vm-9", ["field 'instance'", "got a string"]),
        ]
        for what, instance, says in cases:
            with self.subTest(what):
                with self.assertRaises(ValueError) as raised:
                    self.raw.call({}, "update_instance", instance=instance, host="h")
                message = str(raised.exception)
                for part in says:
                    self.assertIn(part, message)
                # The next call works.
                self.assertEqual(self.client.call({}, "update_instance",
                                                  instance=sent_instance(), host="h").host, "h")

    def test_a_sixteen_mebibyte_object(self):
        big = sent_instance()
        big.display_description = "x" * (16 << 20)
        got = self.client.call({}, "update_instance", instance=big, host="big")
        self.assertEqual(len(got.display_description), 16 << 20)
        self.assertEqual(got.host, "big")


class PythonServerEndpoint:
    """A Python RPC server's endpoint, like nova-compute's: records what it got."""

    target = oslo_messaging.Target(version="6.0")

    def __init__(self):
        self.seen = []

    def record(self, method, obj):
        self.seen.append({
            "method": method, "class": type(obj).__name__, "set": sorted(set_fields(obj)),
            "changed": sorted(obj.obj_what_changed()), "data": data(obj),
            "flavor": type(obj.flavor).__name__ if obj.obj_attr_is_set("flavor") else None,
            "tags": [type(t).__name__ for t in obj.tags] if obj.obj_attr_is_set("tags")
            else None,
            "launched_at": obj.launched_at.isoformat()
            if obj.obj_attr_is_set("launched_at") else None,
        })

    def get_instance(self, ctxt, instance_uuid):
        if instance_uuid == "flavor-instead":
            return Flavor(name="not an instance")
        return Instance(uuid=instance_uuid, vm_state="error", power_state=0, locked=False,
                        flavor=Flavor(name="m1.xlarge", vcpus=8, extra_specs={}),
                        tags=TagList(objects=[]), task_state=None,
                        launched_at=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))

    def update_instance(self, ctxt, instance, host):
        self.record("update_instance", instance)
        instance.host = host
        return instance

    def get_instance_diagnostics(self, ctxt, instance):
        self.record("get_instance_diagnostics", instance)
        return Diagnostics(state="paused", driver="fake", config_drive=True,
                           memory_details=MemoryDiagnostics(maximum=instance.memory_mb),
                           cpu_details=[CpuDiagnostics(id=i) for i in range(instance.vcpus)],
                           num_cpus=instance.vcpus, num_nics=0)

    def collect_tags(self, ctxt, instances):
        for instance in instances:
            self.record("collect_tags", instance)
        return TagList(objects=[t for i in instances if i.obj_attr_is_set("tags")
                                for t in i.tags])


class CppClientTest(harness.unittest.TestCase):
    """The generated typed client, calling a Python server with objects."""

    def test_typed_client_sends_and_receives_objects(self):
        topic = harness.unique("objects_py")
        transport = harness.make_transport()
        endpoint = PythonServerEndpoint()
        target = oslo_messaging.Target(topic=topic, server="py")
        server = oslo_messaging.get_rpc_server(transport, target, [endpoint],
                                               executor="threading",
                                               serializer=NovaSerializer())
        server.start()
        try:
            done = subprocess.run(
                [harness.runfile("tests/codegen/objects_peer"), "--mode=call",
                 f"--transport_url={harness.TRANSPORT_URL}", f"--topic={topic}"],
                capture_output=True, timeout=120, text=True)
        finally:
            server.stop()
            server.wait()
            transport.cleanup()
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = [line.split(" ", 1) for line in done.stdout.splitlines()]
        self.assertEqual([m for m, _ in lines], [
            "get_instance", "update_instance", "get_instance_diagnostics",
            "collect_tags", "get_instance"])
        results = [json.loads(rest) if not rest.startswith("ERROR") else rest
                   for _, rest in lines]

        # Python's objects filled the C++ messages (printed as proto3 JSON).
        got = results[0]
        self.assertEqual(got["vm_state"], "ERROR")  # "error" read as ERROR
        self.assertEqual(got["power_state"], "0")  # optional: set though 0
        self.assertIs(got["locked"], False)
        self.assertNotIn("task_state", got)  # None
        self.assertEqual(got["launched_at"], "2026-01-02T03:04:05Z")
        self.assertEqual(got["flavor"], {"name": "m1.xlarge", "vcpus": "8"})
        self.assertEqual(got["tags"], {})

        # The Python server saw real objects with what the C++ client set.
        sent_fields = ["display_name", "flavor", "launched_at", "locked", "memory_mb",
                       "metadata", "tags", "uuid", "vcpus", "vm_state"]
        update = endpoint.seen[0]
        self.assertEqual(update["method"], "update_instance")
        self.assertEqual(update["class"], "Instance")
        self.assertEqual(update["set"], sent_fields)
        self.assertEqual(update["changed"], sent_fields)
        self.assertEqual(update["flavor"], "Flavor")
        self.assertEqual(update["tags"], ["Tag", "Tag"])
        self.assertEqual(update["launched_at"], "2026-11-24T08:00:00.123456+00:00")
        self.assertEqual(update["data"]["vm_state"], "building")
        self.assertEqual(update["data"]["memory_mb"], 0)
        self.assertEqual(update["data"]["flavor"]["nova_object.data"],
                         {"vcpus": 3, "name": "m1.tiny",
                          "extra_specs": {"hw:mem_page_size": "large"}, "projects": ["p1"]})
        # ...and the C++ client got it back, moved.
        self.assertEqual(results[1]["host"], "py-host")
        self.assertEqual(results[1]["uuid"], "vm-7")
        # oslo.versionedobjects writes datetimes without their fraction.
        self.assertEqual(results[1]["launched_at"], "2026-11-24T08:00:00Z")
        self.assertEqual([t["tag"] for t in results[1]["tags"]["objects"]], ["a", "b"])

        diagnostics = results[2]
        self.assertEqual(diagnostics["state"], "PAUSED")
        self.assertEqual(diagnostics["driver"], "FAKE")
        self.assertIs(diagnostics["config_drive"], True)
        self.assertEqual(len(diagnostics["cpu_details"]), 3)
        self.assertEqual(diagnostics["memory_details"], {"maximum": "0"})

        self.assertEqual([t["tag"] for t in results[3]["objects"]], ["a", "b", "c"])
        self.assertEqual([s["method"] for s in endpoint.seen[2:]], ["collect_tags"] * 2)
        self.assertEqual(endpoint.seen[3]["set"], ["tags"])

        # A result of the wrong object: INTERNAL naming the method and both names.
        self.assertTrue(results[4].startswith("ERROR INTERNAL"), results[4])
        for part in ("get_instance", "Instance", "Flavor"):
            self.assertIn(part, results[4])


if __name__ == "__main__":
    harness.run([CppEndpointTest, CppClientTest])
