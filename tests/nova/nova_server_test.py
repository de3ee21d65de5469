#!/usr/bin/python3
"""gRPC clients call nova's own RPC server through the bridge: a server built
from nova's pieces (nova.rpc.get_server with NovaObjectSerializer, nova's
baserpc.BaseRPCAPI, methods taking and returning real nova.objects.Instance,
Flavor and TagList; see nova_peer.py) behind tests/nova/objects_api.proto,
whose object messages are tools/objects_to_proto.py's output
(proto/examples/nova_objects.proto). nova must see real objects with exactly
the fields and changes sent, and its objects must fill the responses; a real
nova Instance goes through the generated messages and back unchanged, also
with the messages of nova's whole registry (generated at run time) and
nested objects of many kinds.
"""
import datetime
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nova_harness  # noqa: E402
from nova_harness import bridge_harness, harness  # noqa: E402

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402

UUID = "6c2f3d1e-0000-4000-8000-000000000001"
FULL_UUID = "6c2f3d1e-0000-4000-8000-0000000000ff"  # nova_peer.full_instance()
SERVICE = "novatest.ObjectsAPI"


class NovaServerTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("nova_objects")
        cls.host = harness.unique("compute-host")
        workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        descriptor_set, cls.m = nova_harness.compile_api(
            workdir, "tests/nova/objects_api.proto", cls.topic, "novatest")
        # The same API on the messages of nova's whole registry, every
        # scalar optional: a second bridge serves it.
        full_workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        full_objects = os.path.join(full_workdir, "all_objects.proto")
        nova_harness.generate_objects(full_objects, "--all_optional")
        full_set, cls.full = nova_harness.compile_api(
            full_workdir, "tests/nova/objects_api.proto", cls.topic, "novatest", full_objects)
        cls.nova = nova_harness.nova_server(cls.topic, cls.host)
        cls.bridge = cls.full_bridge = None
        try:
            cls.bridge = bridge_harness.Bridge(descriptor_set, "--rpc_response_timeout=30")
            cls.full_bridge = bridge_harness.Bridge(full_set, "--rpc_response_timeout=30",
                                                    name="full-bridge")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for process in (cls.full_bridge, cls.bridge, cls.nova):
            if process:
                process.stop()

    def call(self, method, response, service=SERVICE, **fields):
        request = getattr(self.m, f"{method}Request")(host=self.host, **fields)
        response_class = getattr(self.m, response)
        return self.bridge.unary(method, response_class, service=service)(request, timeout=30)

    def assert_fails(self, code, method, response, **fields):
        with self.assertRaises(grpc.RpcError) as caught:
            self.call(method, response, **fields)
        self.assertEqual(caught.exception.code(), code, caught.exception.details())
        return caught.exception

    def test_novas_baseapi_ping(self):
        answer = self.call("Ping", "Struct", service="novatest.BaseAPI",
                           arg=json_format.ParseDict("hello", self.m.Value()))
        self.assertEqual(json_format.MessageToDict(answer),
                         {"service": "nova-objects-test", "arg": "hello"})

    def test_a_nova_instance_fills_the_response(self):
        instance = self.call("GetInstance", "nova.objects.Instance", instance_uuid=UUID)
        self.assertEqual((instance.uuid, instance.host, instance.vm_state, instance.display_name),
                         (UUID, self.host, "active", "web-1"))
        self.assertEqual((instance.power_state, instance.memory_mb, instance.vcpus), (1, 2048, 2))
        self.assertFalse(instance.HasField("task_state"))  # nova's None
        self.assertTrue(instance.HasField("locked"))  # nova's False, sent
        self.assertFalse(instance.locked)
        self.assertEqual(instance.launched_at.ToDatetime(), datetime.datetime(2026, 11, 24, 8))
        self.assertEqual((instance.flavor.name, instance.flavor.memory_mb, instance.flavor.vcpus,
                          instance.flavor.root_gb), ("m1.small", 2048, 2, 20))
        self.assertEqual(dict(instance.flavor.extra_specs), {"hw:cpu_policy": "dedicated"})
        self.assertEqual([(t.resource_id, t.tag) for t in instance.tags.objects],
                         [(UUID, "frontend"), (UUID, "web")])
        self.assertEqual(dict(instance.metadata), {"role": "frontend"})
        self.assertEqual(json_format.MessageToDict(instance.system_metadata),
                         {"image_min_ram": "0", "owner_user_name": None})

    def test_a_nova_instance_goes_through_the_messages_and_back(self):
        instance = self.call("GetInstance", "nova.objects.Instance", instance_uuid=UUID)
        seen = json_format.MessageToDict(
            self.call("InspectInstance", "Struct", instance=instance))
        self.assertEqual(seen["class"], "nova.objects.instance.Instance")
        self.assertEqual(seen["version"], "2.7")
        self.assertTrue(seen["equals_reference"], seen)
        self.assertEqual(seen["changes"], seen["set"])
        self.assertEqual(seen["flavor"]["class"], "Flavor")
        self.assertEqual(seen["flavor"]["extra_specs"], {"hw:cpu_policy": "dedicated"})
        self.assertEqual(seen["tags"], {"class": "TagList",
                                        "items": [["Tag", "frontend"], ["Tag", "web"]]})
        self.assertEqual(seen["launched_at"], "2026-11-24T08:00:00+00:00")

    def test_a_full_instance_through_the_whole_registrys_messages_and_back(self):
        def call(method, response, **fields):
            request = getattr(self.full, f"{method}Request")(host=self.host, **fields)
            return self.full_bridge.unary(method, getattr(self.full, response), service=SERVICE)(
                request, timeout=30)

        instance = call("GetInstance", "nova.objects.Instance", instance_uuid=FULL_UUID)
        cell = instance.numa_topology.cells[0]
        self.assertTrue(cell.HasField("id"))  # nova's 0, kept by --all_optional
        self.assertEqual((cell.id, list(cell.cpuset), list(cell.pcpuset), cell.memory),
                         (0, [], [0, 1], 1024))
        self.assertEqual(dict(cell.cpu_pinning_raw), {"0": 4, "1": 5})
        enum = self.full.pool.FindEnumTypeByName
        self.assertEqual(enum("nova.objects.CPUAllocationPolicy").values_by_number[
            cell.cpu_policy].name, "CPU_ALLOCATION_POLICY_DEDICATED")
        self.assertEqual(enum("nova.objects.Architecture").values_by_number[
            instance.vcpu_model.arch].name, "ARCHITECTURE_X86_64")
        self.assertEqual(enum("nova.objects.CPUMode").values_by_number[
            instance.vcpu_model.mode].name, "CPU_MODE_HOST_MODEL")
        self.assertEqual(instance.vcpu_model.topology.cores, 2)
        self.assertEqual([f.name for f in instance.vcpu_model.features], ["vmx"])
        self.assertEqual((instance.fault.code, instance.fault.created_at.ToDatetime()),
                         (500, datetime.datetime(2026, 11, 24, 9, 30)))
        self.assertEqual(json_format.MessageToDict(instance.info_cache.network_info), "[]")
        self.assertEqual(json_format.MessageToDict(instance.pci_requests.requests[0].spec),
                         [{"vendor_id": "8086", "product_id": None}])
        self.assertEqual([k.name for k in instance.keypairs.objects], ["k1"])
        self.assertEqual(instance.ec2_ids.instance_id, "i-00000001")

        seen = json_format.MessageToDict(call("InspectInstance", "Struct", instance=instance))
        self.assertTrue(seen["equals_reference"], seen)
        self.assertEqual(seen["changes"], seen["set"])

    def test_nova_sees_exactly_the_fields_sent(self):
        instance = self.m.__getattr__("nova.objects.Instance")(
            uuid=UUID, display_name="db-1", vcpus=0,  # optional: a zero is sent
            flavor=self.m.__getattr__("nova.objects.Flavor")(name="m1.tiny", memory_mb=512))
        seen = json_format.MessageToDict(
            self.call("InspectInstance", "Struct", instance=instance))
        self.assertEqual(seen["class"], "nova.objects.instance.Instance")
        self.assertEqual(seen["set"], ["display_name", "flavor", "uuid", "vcpus"])
        self.assertEqual(seen["changes"], seen["set"])
        self.assertEqual(seen["flavor"], {"class": "Flavor", "changes": ["memory_mb", "name"]})
        self.assertFalse(seen["equals_reference"])
        self.assertNotIn("tags", seen)

    def test_a_tag_list_in_and_out(self):
        Tag = self.m.__getattr__("nova.objects.Tag")
        tags = self.m.__getattr__("nova.objects.TagList")(objects=[Tag(tag="b"), Tag(tag="a")])
        answer = self.call("SetTags", "nova.objects.TagList", instance_uuid=UUID, tags=tags)
        self.assertEqual([(t.resource_id, t.tag) for t in answer.objects],
                         [(UUID, "a"), (UUID, "b"), (UUID, "seen-by-nova")])

    def test_a_flavor(self):
        flavor = self.call("GetFlavor", "nova.objects.Flavor", flavorid="42")
        self.assertEqual((flavor.id, flavor.flavorid, flavor.name, flavor.memory_mb, flavor.vcpus,
                          flavor.root_gb, flavor.rxtx_factor, flavor.is_public, flavor.disabled),
                         (7, "42", "m1.large", 8192, 4, 80, 1.5, True, False))
        self.assertEqual(list(flavor.projects), ["p1", "p2"])
        self.assertEqual(dict(flavor.extra_specs), {"hw:mem_page_size": "large"})

    def test_novas_exception_is_not_found_with_its_class(self):
        error = self.assert_fails(grpc.StatusCode.NOT_FOUND, "GetInstance",
                                  "nova.objects.Instance", instance_uuid="missing")
        self.assertEqual(error.details(), "Instance missing could not be found.")
        self.assertEqual(bridge_harness.error_details(error),
                         ("InstanceNotFound", "nova.exception"))

    def test_the_wrong_object_is_an_internal_error_naming_the_method(self):
        error = self.assert_fails(grpc.StatusCode.INTERNAL, "GetInstance",
                                  "nova.objects.Instance", instance_uuid="a-flavor")
        for part in ("get_instance", "Flavor", "Instance"):
            self.assertIn(part, error.details())
        instance = self.call("GetInstance", "nova.objects.Instance", instance_uuid=UUID)
        self.assertEqual(instance.uuid, UUID)


if __name__ == "__main__":
    harness.run([NovaServerTest])
