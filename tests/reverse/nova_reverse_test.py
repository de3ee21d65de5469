#!/usr/bin/python3
"""nova's own compute RPC client against a gRPC server through the bridge
(docs/reverse.md): nova.compute.rpcapi.ComputeAPI from python3-nova, with
[upgrade_levels] compute = 6.0 so that it needs no database, calls
get_host_uptime, set_host_enabled and host_power_action on a host; a
python3-grpcio server answers, and its google.rpc.ErrorInfo makes nova's
client raise nova.exception.ComputeHostNotFound.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
from concurrent import futures

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reverse_harness as rh  # noqa: E402
from reverse_harness import harness, bh  # noqa: E402

import grpc  # noqa: E402

PROTO = """
syntax = "proto3";
package novarev.compute;
import "amqp/options.proto";

service ComputeManager {
  option (amqp.service) = { topic: "%(topic)s" exchange: "nova" version: "6.0" };
  rpc GetHostUptime(HostRequest) returns (Text) {
    option (amqp.method) = { server_field: "host" result_field: "text" };
  }
  rpc SetHostEnabled(SetHostEnabledRequest) returns (Text) {
    option (amqp.method) = { server_field: "host" result_field: "text" };
  }
  rpc HostPowerAction(HostPowerActionRequest) returns (Text) {
    option (amqp.method) = { server_field: "host" result_field: "text" };
  }
}
message HostRequest { string host = 1; }
message SetHostEnabledRequest { string host = 1; bool enabled = 2; }
message HostPowerActionRequest { string host = 1; string action = 2; }
message Text { string text = 1; }
"""


class NovaReverseTest(unittest.TestCase):
    def test_novas_compute_client_calls_a_grpc_server(self):
        workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        topic, host = harness.unique("nova_reverse"), harness.unique("grpc-compute")
        os.makedirs(os.path.join(workdir, "novarev"))
        with open(os.path.join(workdir, "novarev", "compute.proto"), "w") as f:
            f.write(PROTO % {"topic": topic})
        descriptor_set = os.path.join(workdir, "novarev.pb")
        bh.protoc(descriptor_set, [workdir, os.path.dirname(
            harness.runfile("proto/amqp/options.proto")) + "/.."], ["novarev/compute.proto"])
        m = bh.Messages(descriptor_set, "novarev.compute")
        seen = []

        def uptime(request, context):
            seen.append(("GetHostUptime", request.host, dict(context.invocation_metadata())))
            return m.Text(text=f"{request.host} up 42 days")

        def enable(request, context):
            seen.append(("SetHostEnabled", request.host, request.enabled))
            return m.Text(text="enabled" if request.enabled else "disabled")

        def power(request, context):
            rh.abort_with_error_info(
                context, grpc.StatusCode.NOT_FOUND,
                f"Compute host {request.host} could not be found.",
                "ComputeHostNotFound", "nova.exception", {"host": request.host})

        def handler(request_class, function):
            return grpc.unary_unary_rpc_method_handler(
                function, request_deserializer=request_class.FromString,
                response_serializer=lambda r: r.SerializeToString())

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
            "novarev.compute.ComputeManager", {
                "GetHostUptime": handler(m.HostRequest, uptime),
                "SetHostEnabled": handler(m.SetHostEnabledRequest, enable),
                "HostPowerAction": handler(m.HostPowerActionRequest, power)}),))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self.addCleanup(lambda: server.stop(0).wait())
        bridge = bh.Bridge(descriptor_set,
                           f"--backend=novarev.compute.ComputeManager=127.0.0.1:{port}",
                           f"--server_name={host}", name="bridge-nova")
        self.addCleanup(bridge.stop)
        self.assertIn(f"<- oslo exchange 'nova' topic '{topic}' server '{host}' version 6.0",
                      bridge.output())
        done = subprocess.run(["/usr/bin/python3", harness.runfile("tests/reverse/nova_client.py"),
                               "--transport_url", harness.TRANSPORT_URL, "--topic", topic,
                               "--host", host], capture_output=True, text=True, timeout=240)
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        got = json.loads(done.stdout.strip().splitlines()[-1])
        self.assertEqual(got["uptime"], f"{host} up 42 days")
        self.assertEqual(got["enabled"], "disabled")
        self.assertEqual(got["power"]["exception"], "ComputeHostNotFound_Remote")
        self.assertTrue(got["power"]["is_nova"])
        self.assertIn(f"Compute host {host} could not be found.", got["power"]["message"])
        # The server field came from the targeted queue; the context from nova's.
        self.assertEqual(seen[0][:2], ("GetHostUptime", host))
        self.assertEqual(seen[0][2].get("x-request-id"), "req-nova-reverse")
        self.assertEqual(json.loads(seen[0][2]["x-oslo-context"])["user_id"], "nova-user")
        self.assertEqual(seen[1], ("SetHostEnabled", host, False))


if __name__ == "__main__":
    harness.run([NovaReverseTest])
