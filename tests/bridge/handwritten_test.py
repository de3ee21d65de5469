#!/usr/bin/python3
"""The worked example of docs/worked-example.md, end to end: volumed (an
existing Python oslo.messaging service, examples/handwritten/volumed) started
from its own config file, its hand-written volume.proto compiled with protoc,
the bridge reading the same config file, and python3-grpcio calls, both
direct and through examples/python/grpc_call.py as the doc runs it.

The only changes from the doc: a topic of the test's own (so parallel runs
and leftover queues never meet) and a free port.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402

import grpc  # noqa: E402

PACKAGE = "volumed.v1"
SERVICE = f"{PACKAGE}.VolumeManager"


class HandwrittenProtoTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("volume")
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        example = os.path.dirname(harness.runfile("examples/handwritten/volume.proto"))

        # volume.proto and volume.conf as the doc has them, with our topic.
        with open(os.path.join(example, "volume.proto")) as f:
            proto, count = re.subn(r'topic: "volume"', f'topic: "{cls.topic}"', f.read())
        assert count == 1, 'volume.proto no longer sets topic: "volume"'
        with open(os.path.join(cls.workdir, "volume.proto"), "w") as f:
            f.write(proto)
        with open(os.path.join(example, "volume.conf")) as f:
            conf, count = re.subn(r"(?m)^volume_topic = volume$", f"volume_topic = {cls.topic}",
                                  f.read())
        assert count == 1, "volume.conf no longer sets volume_topic = volume"
        cls.conf = os.path.join(cls.workdir, "volume.conf")
        with open(cls.conf, "w") as f:
            f.write(conf)

        cls.descriptor_set = os.path.join(cls.workdir, "volume.pb")
        bh.protoc(cls.descriptor_set,
                  [cls.workdir, os.path.dirname(harness.runfile("proto/amqp/options.proto")) + "/.."],
                  ["volume.proto"])
        cls.m = bh.Messages(cls.descriptor_set, PACKAGE)

        # python3 -m volumed.service --config-file volume.conf, from its folder.
        os.environ["PYTHONPATH"] = example
        cls.volumed = harness.Process(["/usr/bin/python3", "-m", "volumed.service",
                                       "--config-file", cls.conf], "volumed")
        try:
            cls.volumed.wait_for_output("volumed: serving", timeout=30)
            # The flags replace the file's descriptor_set and listen; the
            # error_map comes from the file.
            cls.bridge = bh.Bridge(cls.descriptor_set, f"--config={cls.conf}",
                                   "--rpc_response_timeout=10")
        except Exception:
            cls.volumed.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()
        cls.volumed.stop()

    def call(self, method, request, response, **kwargs):
        kwargs.setdefault("timeout", 10)
        return self.bridge.unary(method, getattr(self.m, response), service=SERVICE)(
            request, **kwargs)

    def create(self, **fields):
        return self.call("CreateVolume", self.m.CreateVolumeRequest(**fields), "Volume")

    def assert_fails(self, code, method, request, response="Volume"):
        with self.assertRaises(grpc.RpcError) as caught:
            self.call(method, request, response)
        self.assertEqual(caught.exception.code(), code, caught.exception.details())
        return caught.exception

    def test_the_bridge_logs_the_routes(self):
        output = self.bridge.output()
        self.assertIn(f"route /{SERVICE}/ListVolumes -> call 'get_all' on exchange 'storage' "
                      f"key '{self.topic}', version 3.0", output)
        self.assertIn(f"route /{SERVICE}/ExtendVolume -> call 'extend_volume' on exchange "
                      f"'storage' key '{self.topic}', version 3.1", output)
        self.assertIn(f"route /{SERVICE}/DeleteVolume -> cast 'delete_volume'", output)
        self.assertIn("error_map=VolumeSizeExceedsAvailableQuota=RESOURCE_EXHAUSTED", output)

    def test_keyword_arguments_context_and_a_dict_result(self):
        volume, call = self.bridge.unary("CreateVolume", self.m.Volume, service=SERVICE).with_call(
            self.m.CreateVolumeRequest(size=10, name="data", metadata={"purpose": "db"}),
            timeout=10, metadata=[("x-oslo-context-project-id", "proj-a"),
                                  ("x-request-id", "req-worked-example")])
        self.assertTrue(volume.id)
        self.assertEqual((volume.name, volume.size, volume.status), ("data", 10, "available"))
        self.assertEqual(volume.volume_type, "standard")  # unset `optional`: volumed's default
        self.assertEqual(dict(volume.metadata), {"purpose": "db"})
        self.assertEqual(volume.project_id, "proj-a")  # from the oslo context
        self.assertEqual(volume.host, "node1")
        # A naive isoformat() time, read as UTC.
        self.assertLess(abs(volume.created_at.ToSeconds() - time.time()), 300)
        self.assertEqual(dict(call.initial_metadata())["x-openstack-request-id"],
                         "req-worked-example")
        again = self.call("GetVolume", self.m.GetVolumeRequest(volume_id=volume.id), "Volume")
        self.assertEqual(again, volume)
        self.assertEqual(self.create(size=1, volume_type="ssd").volume_type, "ssd")

    def test_a_list_result_goes_into_result_field(self):
        volume = self.create(size=2, name="listed")
        listed = self.call("ListVolumes", self.m.ListVolumesRequest(filters={"status": "available"}),
                           "ListVolumesResponse")
        self.assertIn(volume.id, [v.id for v in listed.volumes])
        none = self.call("ListVolumes", self.m.ListVolumesRequest(filters={"status": "error"}),
                         "ListVolumesResponse")
        self.assertEqual(list(none.volumes), [])

    def test_exceptions_become_statuses_with_error_info(self):
        error = self.assert_fails(grpc.StatusCode.NOT_FOUND, "GetVolume",
                                  self.m.GetVolumeRequest(volume_id="no-such-volume"))
        self.assertEqual(error.details(), "Volume no-such-volume could not be found.")
        self.assertEqual(bh.error_details(error), ("VolumeNotFound", "volumed.exception"))

        volume = self.create(size=3)
        error = self.assert_fails(grpc.StatusCode.INVALID_ARGUMENT, "ExtendVolume",
                                  self.m.ExtendVolumeRequest(volume_id=volume.id, new_size=2))
        self.assertEqual(error.details(),
                         "Invalid input received: new size 2 must be larger than the current 3")
        self.assertEqual(bh.error_details(error), ("InvalidInput", "volumed.exception"))

        # UNKNOWN by the default table; volume.conf's error_map makes it this.
        error = self.assert_fails(grpc.StatusCode.RESOURCE_EXHAUSTED, "ExtendVolume",
                                  self.m.ExtendVolumeRequest(volume_id=volume.id, new_size=100000))
        self.assertIn("exceeds allowed gigabytes quota", error.details())
        self.assertEqual(bh.error_details(error),
                         ("VolumeSizeExceedsAvailableQuota", "volumed.exception"))
        self.assertNotIn("Traceback", error.details())

    def test_a_method_of_a_later_version(self):
        volume = self.create(size=4)
        extended = self.call("ExtendVolume",
                             self.m.ExtendVolumeRequest(volume_id=volume.id, new_size=6), "Volume")
        self.assertEqual(extended.size, 6)

    def test_a_cast_returns_at_once_and_takes_effect(self):
        volume = self.create(size=1, name="doomed")
        self.call("DeleteVolume", self.m.DeleteVolumeRequest(volume_id=volume.id), "Empty")
        self.volumed.wait_for_output(f"deleted volume {volume.id}", timeout=10)
        self.assert_fails(grpc.StatusCode.NOT_FOUND, "GetVolume",
                          self.m.GetVolumeRequest(volume_id=volume.id))

    def test_server_field_routes_to_one_node(self):
        stats = self.call("GetBackendStats", self.m.GetBackendStatsRequest(host="node1"),
                          "BackendStats")
        self.assertEqual((stats.host, stats.volume_backend_name), ("node1", "lvm"))
        self.assertEqual(stats.total_capacity_gb, 100.0)  # quota_gigabytes in volume.conf
        started = time.monotonic()
        error = self.assert_fails(grpc.StatusCode.UNAVAILABLE, "GetBackendStats",
                                  self.m.GetBackendStatsRequest(host="node2"), "BackendStats")
        self.assertLess(time.monotonic() - started, 5)
        self.assertIn(f"routing key '{self.topic}.node2'", error.details())

    def test_the_documented_grpc_call_commands(self):
        def grpc_call(method, request, *metadata):
            return subprocess.run(
                ["/usr/bin/python3", harness.runfile("examples/python/grpc_call.py"),
                 f"--target=127.0.0.1:{self.bridge.port}",
                 f"--descriptor_set={self.descriptor_set}"]
                + [f"--metadata={m}" for m in metadata] + [f"{SERVICE}/{method}", request],
                capture_output=True, text=True, timeout=30)

        done = grpc_call("CreateVolume", '{"size": 10, "name": "data"}',
                         "x-oslo-context-project-id=proj-a")
        self.assertEqual(done.returncode, 0, done.stderr)
        volume = json.loads(done.stdout)
        self.assertEqual((volume["name"], volume["size"], volume["project_id"]),
                         ("data", "10", "proj-a"))  # proto3 JSON: int64 as a string
        self.assertRegex(volume["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        self.assertRegex(done.stderr, r"x-openstack-request-id: req-")

        done = grpc_call("GetVolume", '{"volume_id": "nope"}')
        self.assertEqual(done.returncode, 1)
        self.assertIn("ERROR NOT_FOUND: Volume nope could not be found.", done.stderr)
        self.assertIn("ErrorInfo: reason=VolumeNotFound domain=volumed.exception", done.stderr)

    def test_unknown_result_keys_are_ignored_and_counted(self):
        # A bridge of its own: the count is reported when the bridge stops.
        bridge = bh.Bridge(self.descriptor_set, f"--config={self.conf}")
        try:
            bridge.unary("CreateVolume", self.m.Volume, service=SERVICE)(
                self.m.CreateVolumeRequest(size=1), timeout=10)
        finally:
            bridge.stop()
        # user_id, bootable and attach_status are not in Volume.
        self.assertRegex(bridge.output(),
                         r"stopped after 1 calls \(0 failed, .*\b3 unknown result keys ignored\)")


if __name__ == "__main__":
    harness.run([HandwrittenProtoTest])
