#!/usr/bin/python3
"""nova's own compute RPC client (nova.compute.rpcapi.ComputeAPI, python3-nova
26, [upgrade_levels] compute = 6.0) calling a gRPC server through the bridge's
reverse direction (docs/reverse.md), with nova's objects both ways: the
Instance nova sends reaches the gRPC backend as an (amqp.object) message of
proto/examples/nova_compute.proto, the backend's Diagnostics message reaches
nova's client as a nova.objects.Diagnostics, a reboot cast arrives, and the
backend's ErrorInfo makes nova's client raise nova.exception.InstanceNotFound.
"""
import json
import os
import sys
import tempfile
import threading
from concurrent import futures

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reverse"))
import nova_harness  # noqa: E402
from nova_harness import bridge_harness, harness  # noqa: E402
import reverse_harness  # noqa: E402

import grpc  # noqa: E402

UUID = "6c2f3d1e-0000-4000-8000-000000000007"
UNKNOWN = "4d2f0000-0000-4000-8000-00000000dead"
SERVICE = "examples.nova_compute.ComputeAPI"


class ComputeBackend:
    """A python3-grpcio server of examples.nova_compute.ComputeAPI that
    knows one instance and records the requests it got."""

    def __init__(self, m):
        self.m = m
        self.requests = []
        self.rebooted = threading.Event()
        enum = m.pool.FindEnumTypeByName
        self.running = enum("nova.objects.InstancePowerState").values_by_name[
            "INSTANCE_POWER_STATE_RUNNING"].number
        self.libvirt = enum("nova.objects.HypervisorDriver").values_by_name[
            "HYPERVISOR_DRIVER_LIBVIRT"].number

        def handler(request_class, function):
            return grpc.unary_unary_rpc_method_handler(
                function, request_deserializer=request_class.FromString,
                response_serializer=lambda r: r.SerializeToString())

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, {
            "GetConsoleOutput": handler(m.GetConsoleOutputRequest, self.console),
            "GetInstanceDiagnostics": handler(m.GetInstanceDiagnosticsRequest,
                                              self.diagnostics),
            "RebootInstance": handler(m.RebootInstanceRequest, self.reboot)}),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def console(self, request, context):
        self.requests.append(("GetConsoleOutput", request, dict(context.invocation_metadata())))
        instance = request.instance
        return self.m.ConsoleOutput(
            output=f"{instance.display_name} ({instance.uuid}) on {request.host}: "
                   f"{instance.vcpus} vcpus, {instance.memory_mb} MB, "
                   f"last {request.tail_length} lines")

    def diagnostics(self, request, context):
        self.requests.append(("GetInstanceDiagnostics", request, None))
        if request.instance.uuid != UUID:
            reverse_harness.abort_with_error_info(
                context, grpc.StatusCode.NOT_FOUND,
                f"Instance {request.instance.uuid} could not be found.",
                "InstanceNotFound", "nova.exception", {"instance_id": request.instance.uuid})
        m = self.m
        cpus = request.instance.vcpus
        return getattr(m, "nova.objects.Diagnostics")(
            state=self.running, driver=self.libvirt, hypervisor="kvm", uptime=3600,
            config_drive=True, num_cpus=cpus,
            cpu_details=[getattr(m, "nova.objects.CpuDiagnostics")(id=n, time=1000 + n,
                                                                    utilisation=15)
                         for n in range(cpus)],
            memory_details=getattr(m, "nova.objects.MemoryDiagnostics")(
                maximum=request.instance.memory_mb, used=1024))

    def reboot(self, request, context):
        self.requests.append(("RebootInstance", request, None))
        self.rebooted.set()
        return self.m.Empty()

    def stop(self):
        self.server.stop(0).wait()


class NovaBackendTest(harness.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("nova_backend")
        cls.host = harness.unique("grpc-compute")
        workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        descriptor_set, cls.m = nova_harness.compile_api(
            workdir, "proto/examples/nova_compute.proto", cls.topic, "examples.nova_compute")
        cls.backend = ComputeBackend(cls.m)
        cls.bridge = bridge_harness.Bridge(
            descriptor_set, f"--backend={SERVICE}=127.0.0.1:{cls.backend.port}",
            f"--server_name={cls.host}", name="bridge-nova-backend")
        cls.nova = nova_harness.NovaClient(cls.topic)

    @classmethod
    def tearDownClass(cls):
        cls.nova.stop()
        cls.bridge.stop()
        cls.backend.stop()

    def instance(self, **fields):
        """nova.objects.Instance fields as nova-api would have them."""
        return dict({"uuid": UUID, "host": self.host, "display_name": "web-7",
                     "vm_state": "active", "memory_mb": 4096, "vcpus": 2}, **fields)

    def last_request(self, method):
        return [r for r in self.backend.requests if r[0] == method][-1]

    def test_the_instance_nova_sends_reaches_the_backend_as_a_message(self):
        answer = self.nova.call("get_console_output", instance=self.instance(), tail_length=5)
        self.assertEqual(answer["ver"], "6.0")
        self.assertEqual(answer.get("result"),
                         f"web-7 ({UUID}) on {self.host}: 2 vcpus, 4096 MB, last 5 lines", answer)
        _, request, metadata = self.last_request("GetConsoleOutput")
        self.assertEqual((request.instance.uuid, request.instance.host,
                          request.instance.display_name, request.instance.memory_mb),
                         (UUID, self.host, "web-7", 4096))
        self.assertTrue(request.HasField("tail_length"))
        # nova's request context, as the gRPC metadata.
        self.assertEqual(metadata.get("x-request-id"), "req-00000000-0000-4000-8000-000000000042")
        self.assertEqual(json.loads(metadata["x-oslo-context"])["user_id"], "alice")

    def test_the_backends_diagnostics_arrive_as_nova_objects(self):
        answer = self.nova.call("get_instance_diagnostics", instance=self.instance(vcpus=3))
        data = nova_harness.diagnostics_data(self, answer, num_cpus=3)
        self.assertEqual(data["memory_details"]["nova_object.data"],
                         {"maximum": 4096, "used": 1024})
        self.assertEqual([c["nova_object.data"] for c in data["cpu_details"]],
                         [{"id": n, "time": 1000 + n, "utilisation": 15} for n in range(3)])

    def test_a_reboot_cast_reaches_the_backend(self):
        self.backend.rebooted.clear()
        answer = self.nova.call("reboot_instance", instance=self.instance(), reboot_type="HARD")
        self.assertIsNone(answer.get("result"), answer)
        self.assertNotIn("exception", answer)
        self.assertTrue(self.backend.rebooted.wait(30))
        _, request, _ = self.last_request("RebootInstance")
        self.assertEqual(request.instance.uuid, UUID)
        reboot_type = request.DESCRIPTOR.fields_by_name["reboot_type"].enum_type
        self.assertEqual(reboot_type.values_by_number[request.reboot_type].name, "HARD")
        self.assertEqual(request.block_device_info.WhichOneof("kind"), "null_value")

    def test_the_backends_error_info_raises_novas_instance_not_found(self):
        answer = self.nova.call("get_instance_diagnostics", instance=self.instance(uuid=UNKNOWN))
        self.assertEqual((answer.get("exception"), answer.get("module")),
                         ("InstanceNotFound_Remote", "nova.exception_Remote"), answer)
        self.assertEqual(answer["message"], f"Instance {UNKNOWN} could not be found.")
        self.assertEqual(answer["kwargs"], {"instance_id": UNKNOWN, "code": 404})
        # And the bridge keeps serving.
        answer = self.nova.call("get_console_output", instance=self.instance(), tail_length=1)
        self.assertIn("last 1 lines", answer.get("result", ""), answer)


if __name__ == "__main__":
    harness.run([NovaBackendTest])
