#!/usr/bin/python3
"""The bridge through a broker outage: a C++ example server and the bridge
keep running while RabbitMQ's AMQP side stops (rabbitmqctl stop_app) and
starts again. During the outage every call fails fast with UNAVAILABLE (not
at its deadline), the health check says NOT_SERVING and the bridge stays up;
afterwards calls succeed again, without restarting anything, and health is
SERVING again.

Stops the broker for every client on this machine: tagged "exclusive" and
"broker", and always starts it again (and waits for logins) before it ends.
rabbitmqctl runs directly with the broker's Erlang cookie (HOME), which needs
the "no-sandbox" tag. Prints the timings it measures.
"""
import os
import signal
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402

import grpc  # noqa: E402

SERVING = b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}
NOT_SERVING = b"\x08\x02"
# How long the broker may take to accept logins again after start_app.
# How long after that the bridge (and the server) may take to serve again:
# oslo's reconnect backoff (1 s, +2 s per failed attempt) bounds it.
RECOVERY_SECONDS = 15
# Calls in a row that count as "recovered".
RECOVERED_STREAK = 5
# A call during the outage must fail this much sooner than its deadline.
CALL_TIMEOUT = 10
FAIL_FAST_SECONDS = 2


def report(what, seconds):
    print(f"timing: {what}: {seconds:.3f}s", flush=True)


def _stop_on_sigterm(signum, frame):
    # Bazel's timeout sends SIGTERM: unwind, so that `finally` restarts the
    # broker.
    raise KeyboardInterrupt(f"signal {signum}")


class BrokerRestartTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique("bridge_restart")
        cls.api = bh.Api(cls.topic, tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR")))
        cls.m = cls.api.messages
        [cls.server] = bh.start_servers([("cpp", "host1")], cls.topic)
        try:
            cls.bridge = bh.Bridge(cls.api.descriptor_set, "--rpc_response_timeout=10")
        except Exception:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()
        cls.server.stop()
        # What the two saw of the outage, for the test log.
        for process in (cls.bridge, cls.server):
            for line in process.output().splitlines():
                if any(word in line for word in ("connect", "SERVING", "retrying")):
                    print(f"{process.name}: {line}", flush=True)

    # Calls -----------------------------------------------------------------

    def health(self):
        check = self.bridge.channel.unary_unary("/grpc.health.v1.Health/Check")
        return check(b"", timeout=5)

    def get_instance(self, **kwargs):
        kwargs.setdefault("timeout", CALL_TIMEOUT)
        return self.bridge.unary("GetInstance", self.m.Instance)(
            self.m.GetInstanceRequest(instance_uuid="vm-1"), **kwargs)

    def gather(self, **kwargs):
        kwargs.setdefault("timeout", CALL_TIMEOUT)
        return list(self.bridge.stream("PingAll", self.m.PingReply)(
            self.m.PingRequest(payload="p"), metadata=[("x-amqp-expect", "1")], **kwargs))

    def cast(self, request_id, **kwargs):
        kwargs.setdefault("timeout", CALL_TIMEOUT)
        return self.bridge.unary("RebootInstance", self.m.Empty)(
            self.m.RebootInstanceRequest(host="host1", instance_uuid="vm-1", reboot_type=1),
            metadata=[("x-request-id", request_id)], **kwargs)

    def subscribe(self, **kwargs):
        kwargs.setdefault("timeout", CALL_TIMEOUT)
        return self.bridge.stream("WatchEvents", self.m.InstanceEvent)(
            self.m.WatchEventsRequest(), **kwargs)

    def send_event(self, event):
        """An "instance_event" fanout cast from an oslo client (oslo_rpc)."""
        result = harness.oslo_rpc("fanout", self.topic, "instance_event",
                                  {"instance_uuid": "vm-1", "event": event, "host": "h"})
        self.assertEqual(result.returncode, 0, str(result))

    def assert_works(self):
        self.assertEqual(self.get_instance().name, "web")
        self.assertEqual([r.host for r in self.gather()], ["host1"])
        request_id = f"req-{uuid.uuid4()}"
        self.cast(request_id)
        self.server.wait_for_output(f"cast reboot_instance vm-1 HARD (request {request_id})",
                                    timeout=10)
        # Health is SERVING from "listening on" (tests/bridge/health_test.py).
        harness.wait_until(lambda: self.health() == SERVING, 2, "health SERVING")

    def assert_fails_fast(self, what, fn, *args, **kwargs):
        started = time.monotonic()
        with self.assertRaises(grpc.RpcError, msg=what) as caught:
            fn(*args, **kwargs)
        seconds = time.monotonic() - started
        report(f"{what} failed during the outage after", seconds)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE,
                         f"{what}: {caught.exception.details()}")
        self.assertLess(seconds, FAIL_FAST_SECONDS, f"{what} waited for its deadline")
        return caught.exception

    def assert_alive(self):
        self.assertIsNone(self.bridge.popen.poll(),
                          f"the bridge exited:\n{self.bridge.output()}")
        self.assertIsNone(self.server.popen.poll(),
                          f"the server exited:\n{self.server.output()}")

    # The test --------------------------------------------------------------

    def test_outage_fails_fast_and_the_bridge_recovers(self):
        self.assert_works()
        previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
        broker_stopped = False
        try:
            # A call in flight when the broker goes: its reply can never come,
            # but it must end by its deadline, not hang. The work outlasts the
            # deadline, so no reply makes it in time even when stop_app is
            # slow to close the connections (it took 2.2 s once, and a 2 s
            # snapshot's reply got through).
            in_flight = self.bridge.unary("SnapshotInstance", self.m.Snapshot).future(
                self.m.SnapshotInstanceRequest(instance_uuid="vm-1", seconds=6), timeout=4)
            in_flight_started = time.monotonic()
            # A SUBSCRIBE stream open across the outage: its queue is declared
            # again on reconnect and it receives casts again.
            watch = self.subscribe(timeout=120)
            watch.initial_metadata()  # subscribed
            events, ended = [], []

            def read_events():
                try:
                    events.extend(e.event for e in watch)
                    ended.append("OK")
                except grpc.RpcError as e:  # CANCELLED by the test, else a bug
                    ended.append(e.code().name)
            reader = threading.Thread(target=read_events, daemon=True)
            reader.start()
            self.send_event("before")
            harness.wait_until(lambda: "before" in events, 10, "an event before the outage")
            time.sleep(0.3)  # the server has the call in flight

            broker_stopped = True
            report("rabbitmqctl stop_app", harness.rabbitmqctl("stop_app"))
            stopped_at = time.monotonic()
            self.assertFalse(harness.broker_accepts_login(timeout=2))

            # Calls fail fast, even right after the broker went.
            error = self.assert_fails_fast("a call", self.get_instance)
            self.assertIn("broker", error.details())
            harness.wait_until(lambda: self.health() == NOT_SERVING, 5,
                               "health NOT_SERVING during the outage")
            report("health NOT_SERVING after stop_app", time.monotonic() - stopped_at)
            self.assert_fails_fast("a call", self.get_instance)
            self.assert_fails_fast("a call without a deadline", self.get_instance, timeout=None)
            self.assert_fails_fast("a GATHER", self.gather)
            self.assert_fails_fast("a cast", self.cast, "req-during-outage")
            self.assert_fails_fast("a SUBSCRIBE", lambda: list(self.subscribe()))

            with self.assertRaises(grpc.RpcError) as caught:
                in_flight.result()
            seconds = time.monotonic() - in_flight_started
            report(f"the call in flight ended ({caught.exception.code().name}) after", seconds)
            self.assertIn(caught.exception.code(), (grpc.StatusCode.DEADLINE_EXCEEDED,
                                                     grpc.StatusCode.UNAVAILABLE))
            self.assertLess(seconds, 4 + 1, "the call in flight outlived its deadline")

            self.assertEqual(self.health(), NOT_SERVING)
            self.assert_alive()
            report("outage before start_app", time.monotonic() - stopped_at)

            report("rabbitmqctl start_app until AMQP logins work", harness.start_broker())
            broker_stopped = False
            up_at = time.monotonic()

            # Calls work again without restarting the bridge or the server.
            # Until the server has re-declared and consumes its queues some
            # calls still fail, and a publisher may trust a zero consumer
            # count for up to 1 s (the design's cache): wait for a run of
            # successes.
            first_success, streak, last_error = None, 0, None
            while streak < RECOVERED_STREAK:
                try:
                    self.assertEqual(self.get_instance(timeout=5).name, "web")
                    first_success = first_success or time.monotonic()
                    streak += 1
                except grpc.RpcError as e:
                    streak, last_error = 0, e
                    if time.monotonic() - up_at > RECOVERY_SECONDS:
                        self.fail(f"calls still fail {RECOVERY_SECONDS}s after the broker came "
                                  f"back: {e.code().name} {e.details()}")
                    time.sleep(0.05)
            report("first successful call after the broker came back", first_success - up_at)
            report(f"{RECOVERED_STREAK} successful calls in a row after the broker came back",
                   time.monotonic() - up_at)
            if last_error is not None:
                print(f"last failure while recovering: {last_error.code().name} "
                      f"{last_error.details()}", flush=True)
            harness.wait_until(lambda: self.health() == SERVING, RECOVERY_SECONDS,
                               "health SERVING after the broker came back")
            report("health SERVING after the broker came back", time.monotonic() - up_at)
            # Every call works now, through every AMQP connection of the bridge.
            for _ in range(6):
                self.assert_works()
            self.send_event("after")
            harness.wait_until(lambda: "after" in events, 10,
                               "an event after the outage on the stream opened before it")
            self.assertEqual(ended, [], "the SUBSCRIBE stream ended")
            watch.cancel()
            reader.join(5)
            self.assertEqual(events, ["before", "after"])
            self.assertEqual(ended, ["CANCELLED"])
            self.assert_alive()
        finally:
            try:
                if broker_stopped:
                    report("rabbitmqctl start_app (cleanup)", harness.start_broker())
            finally:
                signal.signal(signal.SIGTERM, previous)
        self.assertIn("NOT_SERVING", self.bridge.output())


def main():
    try:
        harness.run([BrokerRestartTest])
    finally:
        # Whatever happened, leave RabbitMQ running for everyone else.
        if not harness.broker_accepts_login():
            print("restarting RabbitMQ, which does not accept logins", flush=True)
            harness.start_broker()


if __name__ == "__main__":
    main()
