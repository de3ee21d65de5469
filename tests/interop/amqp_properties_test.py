#!/usr/bin/python3
"""What the C++ runtime publishes, read off the broker: the AMQP properties
of a call, a cast and a fanout cast (`oslo_rpc`, on bridge/rpc) compared with
the ones oslo.messaging 14.0.3 sent in the captured vectors
(tests/oslo/testdata/vectors), and a call request that waits in its queue
past its deadline is dropped by the broker: the server that comes later
never runs it.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import amqp  # noqa: E402

# The properties docs/mapping.md promises, by their py-amqp names.
COMPARED = ("delivery_mode", "content_encoding", "content_type", "priority", "expiration")


def vector_properties(case, kind):
    path = harness.runfile(f"tests/oslo/testdata/vectors/{case}.json")
    with open(path) as f:
        [message] = [m for m in json.load(f)["messages"] if m["kind"] == kind]
    return {k: message["properties"].get(k) for k in COMPARED}


class Recorder:
    def __init__(self):
        self.calls = []

    def work(self, ctxt, marker):
        self.calls.append(marker)
        return marker


class AmqpPropertiesTest(harness.unittest.TestCase):
    def setUp(self):
        self.topic = harness.unique("properties")
        self.conn = amqp.Connection(f"{harness.BROKER_HOST}:{harness.BROKER_PORT}",
                                    userid="guest", password="guest")
        self.conn.connect()
        self.addCleanup(self.conn.collect)
        self.channel = self.conn.channel()
        # oslo's defaults: a non-durable topic exchange and fanout exchange.
        self.channel.exchange_declare("openstack", "topic", durable=False, auto_delete=False)
        self.channel.exchange_declare(f"{self.topic}_fanout", "fanout", durable=False,
                                      auto_delete=True)
        # Tap queues where oslo servers' queues would be; nobody consumes them.
        self.tap = self.declare_queue(self.topic, "openstack", self.topic)
        self.fanout_tap = self.declare_queue(f"{self.topic}_fanout_tap", f"{self.topic}_fanout", "")

    def declare_queue(self, name, exchange, key):
        self.channel.queue_declare(name, durable=False, auto_delete=False)
        self.addCleanup(lambda: self.conn.channel().queue_delete(name))
        self.channel.queue_bind(name, exchange, key)
        return name

    def published(self, queue):
        """The first message in `queue`, once it is there (at most 10 s)."""
        return harness.wait_until(lambda: self.channel.basic_get(queue, no_ack=True), 10,
                                  f"a message in {queue}")

    def assert_properties(self, message, case, kind):
        got = {k: message.properties.get(k) for k in COMPARED}
        self.assertEqual(got, vector_properties(case, kind))

    def test_a_call_is_published_as_oslo_publishes_one(self):
        # The vector's call had timeout=7: expiration "7000".
        call = harness.Process([harness.oslo_rpc_binary(), "call",
                                f"--transport_url={harness.TRANSPORT_URL}",
                                f"--topic={self.topic}", "--timeout=7", "work", '{"marker": 1}'],
                               "oslo_rpc-call")
        try:
            message = self.published(self.tap)
        finally:
            call.stop()
        self.assert_properties(message, "call_custom_timeout", "call_request")
        self.assertEqual(message.properties["expiration"], "7000")

    def test_a_cast_is_published_as_oslo_publishes_one(self):
        result = harness.oslo_rpc("cast", self.topic, "work", {"marker": 2})
        self.assertEqual(result.returncode, 0, result)
        message = self.published(self.tap)
        self.assert_properties(message, "cast", "cast_request")
        self.assertNotIn("expiration", message.properties)

    def test_a_fanout_cast_is_published_as_oslo_publishes_one(self):
        result = harness.oslo_rpc("fanout", self.topic, "work", {"marker": 3})
        self.assertEqual(result.returncode, 0, result)
        self.assert_properties(self.published(self.fanout_tap), "fanout_cast", "fanout_request")

    def test_a_call_that_waited_past_its_deadline_is_never_run(self):
        queue = self.declare_queue(f"{self.topic}.late", "openstack", f"{self.topic}.late")
        started = time.monotonic()
        result = harness.oslo_rpc("call", self.topic, "work", {"marker": "expired"},
                                  server="late", timeout="1")
        self.assertEqual(result.returncode, 2, result)  # timed out: nobody consumed
        self.assertLess(time.monotonic() - started, 5)
        # A cast waits in the same queue: it has no expiration and must be run,
        # which shows the server below does consume what it finds there.
        result = harness.oslo_rpc("cast", self.topic, "work", {"marker": "cast"}, server="late")
        self.assertEqual(result.returncode, 0, result)
        time.sleep(0.5)
        recorder = Recorder()
        transport = harness.make_transport()
        server = harness.PythonServer(transport, self.topic, "late", [recorder])
        try:
            harness.wait_until(lambda: "cast" in recorder.calls, 10, "the waiting cast's run")
            time.sleep(0.5)
        finally:
            server.stop()
            transport.cleanup()
        self.assertEqual(recorder.calls, ["cast"])
        self.assertEqual(self.channel.queue_declare(queue, passive=True).message_count, 0)


if __name__ == "__main__":
    harness.run([AmqpPropertiesTest])
