#!/usr/bin/python3
"""The generated C++ ComputeEndpoint (examples/cpp/compute_server) answering
the real Python oslo_messaging.RPCClient: calls, casts, server-targeted casts,
fanout, versions and errors, as a Python client of nova-compute would see them.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import harness  # noqa: E402

import oslo_messaging  # noqa: E402


class EndpointInteropTest(harness.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("gen_endpoint")
        cls.servers = [
            harness.Process([harness.runfile("examples/cpp/compute_server"),
                             f"--transport_url={harness.TRANSPORT_URL}",
                             f"--topic={cls.topic}", f"--server={name}"], name)
            for name in ("host1", "host2")]
        try:
            for server in cls.servers:
                server.wait_for_output("ready")
        except Exception:
            cls.tearDownClass()
            raise
        cls.transport = harness.make_transport()
        target = oslo_messaging.Target(topic=cls.topic, version="5.0")
        cls.client = oslo_messaging.get_rpc_client(cls.transport, target, timeout=10)

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers:
            server.stop()
        if hasattr(cls, "transport"):
            cls.transport.cleanup()

    def test_call_returns_the_message_as_a_dict(self):
        instance = self.client.call({}, "get_instance", instance_uuid="vm-2")
        self.assertEqual(instance["name"], "db")
        self.assertEqual(instance["power_state"], "SHUTDOWN")
        self.assertEqual(instance["flavor"]["memory_mb"], 8192)  # a number, not "8192"
        self.assertEqual(instance["flavor"]["extra_specs"], {"hw:cpu_policy": "dedicated"})
        self.assertEqual(instance["metadata"], {"backup": True})
        self.assertIn(instance["host"], ("host1", "host2"))

    def test_result_field_gives_a_list_and_a_string(self):
        running = self.client.call({}, "get_instances", power_state="RUNNING")
        self.assertEqual([i["uuid"] for i in running], ["vm-1"])
        output = self.client.prepare(server="host2").call(
            {}, "get_console_output", instance_uuid="vm-1", tail_length=2)
        self.assertEqual(output, "[    0.03] web boot line 3\n[    0.04] web boot line 4")

    def test_server_targeted_and_versions(self):
        pong = self.client.prepare(server="host2", version="5.1").call(
            {}, "ping_all", payload="x")
        self.assertEqual(pong, {"host": "host2", "payload": "x"})
        diagnostics = self.client.prepare(version="5.1").call(
            {}, "get_diagnostics", instance_uuid="vm-1")
        self.assertEqual(diagnostics["nics"][0]["rx_octets"], 2 ** 40)
        with self.assertRaises(oslo_messaging.RemoteError) as raised:
            self.client.prepare(version="5.2").call({}, "get_diagnostics", instance_uuid="vm-1")
        self.assertEqual(raised.exception.exc_type, "UnsupportedVersion")

    def test_errors(self):
        with self.assertRaises(oslo_messaging.RemoteError) as raised:
            self.client.call({}, "get_instance", instance_uuid="vm-404")
        self.assertIn("Instance vm-404 could not be found.", raised.exception.value)
        with self.assertRaises(oslo_messaging.RemoteError) as raised:
            self.client.call({}, "no_such_method")
        self.assertEqual(raised.exception.exc_type, "NoSuchMethod")
        # Bad arguments: a ValueError, as a Python endpoint raises.
        with self.assertRaises(ValueError) as raised:
            self.client.call({}, "get_instance", instance_uuid=["not", "a", "string"])
        self.assertIn("instance_uuid", str(raised.exception))
        # The servers keep serving after each error.
        self.assertEqual(self.client.call({}, "get_instance", instance_uuid="vm-1")["name"], "web")

    def test_casts_targeted_and_fanout(self):
        self.client.prepare(server="host1").cast(
            {"request_id": "req-py"}, "reboot_instance", instance_uuid="vm-2", reboot_type="HARD")
        self.servers[0].wait_for_output("cast reboot_instance vm-2 HARD (request req-py)")
        self.assertNotIn("cast reboot_instance vm-2 HARD (request req-py)", self.servers[1].output())
        self.client.prepare(fanout=True).cast({}, "refresh_cache", reason="py fanout")
        for server in self.servers:
            server.wait_for_output("fanout refresh_cache 'py fanout'")

    def test_one_handler_whether_called_cast_or_fanout(self):
        # ComputeEndpoint has one method for oslo "set_host_enabled", however
        # many gRPC methods name it: a Python client reaches it every way.
        host1 = self.client.prepare(server="host1")
        self.assertEqual(host1.call({"request_id": "req-call"}, "set_host_enabled",
                                    enabled=False, reason="by call"),
                         {"host": "host1", "enabled": False})
        self.servers[0].wait_for_output("set_host_enabled false 'by call' (request req-call)")
        host1.cast({"request_id": "req-cast"}, "set_host_enabled", enabled=True,
                   reason="by cast")
        self.servers[0].wait_for_output("set_host_enabled true 'by cast' (request req-cast)")
        self.client.prepare(fanout=True).cast({"request_id": "req-fanout"}, "set_host_enabled",
                                              enabled=False, reason="by fanout")
        for server in self.servers:
            server.wait_for_output("set_host_enabled false 'by fanout' (request req-fanout)")
        for text in ("by call", "by cast"):
            self.assertNotIn(text, self.servers[1].output())


if __name__ == "__main__":
    harness.run([EndpointInteropTest])
