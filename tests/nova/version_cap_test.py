#!/usr/bin/python3
"""Version caps as nova uses them, mirrored by the bridge. nova's compute
client sends most methods as `_ver(ctxt, '5.0')`: "6.0" when
`can_send_version('6.0')` under [upgrade_levels] compute, else "5.0"; the
example API says the same with `version: "6.0"` and `fallback_version:
"5.0"`. Against one C++ compute host that serves 6.0 only
(examples/nova/nova_compute_server), nova's own client pinned at each level
and the bridge capped at the same level (--version_cap, or [upgrade_levels]
in its INI file like nova.conf) must end the same way: answered at 6.0,
refused by the server for 5.0, or refused before sending when not even 5.0
is allowed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nova_harness  # noqa: E402
from nova_harness import bridge_harness, harness  # noqa: E402

import grpc  # noqa: E402

SERVICE = "examples.nova_compute.ComputeAPI"


class VersionCapTest(nova_harness.ComputeTestCase):
    TOPIC_PREFIX = "nova_caps"

    def bridge_uptime(self, *flags):
        """GetHostUptime through a bridge started with `flags`: the uptime, or
        the grpc.RpcError."""
        bridge = bridge_harness.Bridge(self.descriptor_set, "--rpc_response_timeout=20", *flags)
        try:
            return bridge.unary("GetHostUptime", self.m.HostUptime, service=SERVICE)(
                self.m.GetHostUptimeRequest(host=self.host), timeout=20).uptime
        except grpc.RpcError as e:
            return e
        finally:
            bridge.stop()

    def assert_answered(self, level, *flags):
        nova = self.nova.call("get_host_uptime", level=level, host=self.host)
        self.assertEqual(nova["ver"], "6.0")
        self.assertRegex(nova.get("result", ""), rf"^{self.host} up \d+ seconds$", nova)
        uptime = self.bridge_uptime(*flags)
        self.assertNotIsInstance(uptime, grpc.RpcError)
        self.assertRegex(uptime, rf"^{self.host} up \d+ seconds$")

    def assert_refused_by_the_server_at_5_0(self, level, *flags):
        nova = self.nova.call("get_host_uptime", level=level, host=self.host)
        self.assertEqual(nova["ver"], "5.0")
        refusal = ("Endpoint does not support RPC version 5.0. "
                   "Attempted method: get_host_uptime")
        self.assertIn(f"UnsupportedVersion {refusal}", nova.get("message", ""), nova)
        error = self.bridge_uptime(*flags)
        self.assertIsInstance(error, grpc.RpcError)
        self.assertEqual(error.code(), grpc.StatusCode.UNIMPLEMENTED, error.details())
        self.assertEqual(error.details(), refusal)
        self.assertEqual(bridge_harness.error_details(error),
                         ("UnsupportedVersion", "oslo_messaging.rpc.dispatcher"))

    def test_no_cap_sends_6_0(self):
        self.assert_answered("6.0")

    def test_capped_at_6_0_sends_6_0(self):
        self.assert_answered("6.0", f"--version_cap={self.topic}=6.0")

    def test_capped_at_6_1_like_zed_sends_6_0(self):
        self.assert_answered("6.1", f"--version_cap={self.topic}=6.1")

    def test_capped_at_5_0_falls_back_to_5_0(self):
        self.assert_refused_by_the_server_at_5_0("5.0", f"--version_cap={self.topic}=5.0")

    def test_upgrade_levels_in_the_config_file_like_nova_conf(self):
        conf = os.path.join(self.workdir, "bridge.conf")
        with open(conf, "w") as f:
            f.write(f"[upgrade_levels]\n{self.topic} = 5.11\n")
        self.assert_refused_by_the_server_at_5_0("5.11", f"--config={conf}")

    def test_capped_below_5_0_nothing_is_sent(self):
        nova = self.nova.call("get_host_uptime", level="4.0", host=self.host)
        self.assertEqual(nova.get("exception"), "RPCVersionCapError", nova)
        self.assertIn("5.0 is incompatible", nova["message"])
        error = self.bridge_uptime(f"--version_cap={self.topic}=4.0")
        self.assertIsInstance(error, grpc.RpcError)
        self.assertEqual(error.code(), grpc.StatusCode.FAILED_PRECONDITION, error.details())
        self.assertEqual(bridge_harness.error_details(error)[0], "VERSION_CAPPED")
        for part in ("get_host_uptime", "6.0", "4.0"):
            self.assertIn(part, error.details())


if __name__ == "__main__":
    harness.run([VersionCapTest])
