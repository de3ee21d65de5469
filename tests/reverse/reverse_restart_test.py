#!/usr/bin/python3
"""The reverse direction across a broker restart, on a RabbitMQ node of the
test's own (tests/reliability/rabbit_nodes.py, never the shared broker): the
bridge's oslo servers declare and consume their queues again once the node
is back, python3-oslo.messaging callers reach the gRPC backend again, no
call hangs past its timeout meanwhile, and the metrics show the reverse
server's connection going down and coming back.
"""
import os
import re
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reliability"))
import reverse_harness as rh  # noqa: E402
from reverse_harness import harness, bh  # noqa: E402
import rabbit_nodes  # noqa: E402

import oslo_messaging  # noqa: E402

CONTEXT = {"request_id": "req-restart"}


def connection_series(bridge, topic):
    """{series: value} of the reverse server's grpc_amqp_bridge_broker_*
    series on the bridge's metrics page."""
    port = re.search(r"metrics on [^\s:]+:(\d+)", bridge.output()).group(1)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
        text = page.read().decode()
    return {m.group(1): float(m.group(2)) for m in re.finditer(
        r'^grpc_amqp_bridge_broker_(\w+)\{connection="reverse %s"\} (\S+)$'
        % re.escape(topic), text, re.M)}


class ReverseRestartTest(unittest.TestCase):
    def test_callers_reach_the_backend_again_after_a_broker_restart(self):
        workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        node = rabbit_nodes.RabbitNode("reverse", workdir)
        self.addCleanup(node.remove)
        node.start()
        url = f"rabbit://guest:guest@127.0.0.1:{node.port}/"
        topic = harness.unique("reverse_restart")
        descriptor_set, m = rh.compile_api(topic, workdir)
        backend = rh.Backend(m)
        self.addCleanup(backend.stop)
        # The later --transport_url wins over the harness's.
        bridge = bh.Bridge(descriptor_set, f"--backend={rh.INVENTORY}={backend.address}",
                           "--server_name=restarthost",
                           f"--transport_url={url}?rabbit_retry_backoff=0",
                           "--metrics_listen=127.0.0.1:0", name="bridge-restart")
        self.addCleanup(bridge.stop)
        transport = harness.make_transport(url=url)
        self.addCleanup(transport.cleanup)
        client = oslo_messaging.get_rpc_client(
            transport, oslo_messaging.Target(topic=topic, version="2.0"), timeout=3)

        self.assertEqual(client.call(CONTEXT, "get_instance", uuid="before")["uuid"], "before")
        self.assertEqual(connection_series(bridge, topic),
                         {"connected": 1, "reconnects_total": 0, "returns_total": 0,
                          "confirms_outstanding": 0})
        node.ctl("stop_app")
        harness.wait_until(lambda: connection_series(bridge, topic)["connected"] == 0, 10,
                           "the reverse server's connection gauge at 0")
        node.ctl("start_app")
        # Until the bridge consumes again a call may fail, but within its
        # timeout; then the calls go through.
        deadline = time.monotonic() + 60
        while True:
            started = time.monotonic()
            try:
                result = client.call(CONTEXT, "get_instance", uuid="after")
                break
            except (oslo_messaging.MessagingTimeout, oslo_messaging.MessageDeliveryFailure,
                    oslo_messaging.MessagingException):
                self.assertLess(time.monotonic() - started, 3 + 10, "a call hung")
                self.assertLess(time.monotonic(), deadline,
                                f"no call went through after the restart:\n{bridge.output()}")
        self.assertEqual(result["uuid"], "after")
        # A targeted call too: the <topic>.<server> queue is back.
        self.assertEqual(client.prepare(server="restarthost", version="2.3").call(
            CONTEXT, "get_console", uuid="t"), "console of t on 'restarthost'")
        series = connection_series(bridge, topic)
        self.assertEqual(series["connected"], 1)
        self.assertGreaterEqual(series["reconnects_total"], 1)


if __name__ == "__main__":
    harness.run([ReverseRestartTest])
