#!/usr/bin/python3
"""`oslo_rpc queues` against queues that real Python oslo.messaging servers
declared: the counts of a topic's queues, and --delete_unused removing the
queue a stopped server left behind (with the casts waiting in it) while the
queues a live server consumes stay.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import amqp  # noqa: E402
import oslo_messaging  # noqa: E402


class Endpoint:
    def ping(self, ctxt):
        return "pong"


def queue_exists(name):
    conn = amqp.Connection(f"{harness.BROKER_HOST}:{harness.BROKER_PORT}",
                           userid="guest", password="guest")
    conn.connect()
    try:
        channel = conn.channel()
        channel.queue_declare(name, passive=True)
        return True
    except amqp.exceptions.NotFound:
        return False
    finally:
        conn.collect()


class QueuesTest(harness.unittest.TestCase):
    def setUp(self):
        self.topic = harness.unique("queues")
        self.transport = harness.make_transport()
        self.live = harness.PythonServer(self.transport, self.topic, "live", [Endpoint()])
        gone = harness.PythonServer(self.transport, self.topic, "gone", [Endpoint()])
        gone.stop()  # its queue topic.gone stays, with no consumer
        client = oslo_messaging.RPCClient(self.transport, oslo_messaging.Target(topic=self.topic))
        for _ in range(2):  # casts that wait for a server that will not come back
            client.prepare(server="gone").cast({}, "ping")
        self.addCleanup(self.cleanup)

    def cleanup(self):
        self.live.stop()
        self.transport.cleanup()
        # oslo's topic queues outlive their servers: remove this test's own.
        conn = amqp.Connection(f"{harness.BROKER_HOST}:{harness.BROKER_PORT}",
                               userid="guest", password="guest")
        conn.connect()
        try:
            for name in (self.topic, f"{self.topic}.live", f"{self.topic}.gone"):
                conn.channel().queue_delete(name)
        finally:
            conn.collect()

    def queues(self, *flags):
        result = harness.oslo_rpc("queues", self.topic, *flags, server="live,gone,never")
        self.assertEqual(result.returncode, 0, result)
        return [line.split() for line in result.stdout.splitlines()]

    def test_reports_counts_and_missing_queues(self):
        t = self.topic
        self.assertEqual(self.queues(), [
            [t, "consumers=1", "messages=0"],
            [f"{t}.live", "consumers=1", "messages=0"],
            [f"{t}.gone", "consumers=0", "messages=2", "no", "consumer"],
            [f"{t}.never", "missing"],
        ])

    def test_delete_unused_removes_only_queues_without_consumer(self):
        t = self.topic
        self.assertEqual(self.queues("--delete_unused"), [
            [t, "consumers=1", "messages=0"],
            [f"{t}.live", "consumers=1", "messages=0"],
            [f"{t}.gone", "consumers=0", "messages=2", "deleted", "(dropped", "messages=2)"],
            [f"{t}.never", "missing"],
        ])
        self.assertFalse(queue_exists(f"{t}.gone"))
        self.assertTrue(queue_exists(f"{t}.live"))
        # The live server still answers through its queues.
        call = harness.oslo_rpc("call", t, "ping", server="live")
        self.assertEqual((call.returncode, call.stdout), (0, '"pong"\n'), call)

    def test_bad_usage(self):
        result = harness.oslo_rpc("queues", self.topic, "extra")
        self.assertEqual(result.returncode, 64, result)
        self.assertIn("queues takes no arguments", result.stderr)


if __name__ == "__main__":
    harness.run([QueuesTest])
