"""What the robustness tests share: the example API, servers and the bridge
(through tests/bridge/bridge_harness.py), per-process thread and memory
readings from /proc, a raw AMQP publisher (py-amqp) for messages no oslo
client would send, and counting a process's log lines.

Runs under /usr/bin/python3 (python3-grpcio, py-amqp, oslo.messaging).
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bridge"))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402

import amqp  # noqa: E402  (py-amqp, Debian's python3-amqp)

LOG_LINE = re.compile(r"^[IWEF]\d{8} ", re.M)  # glog's line prefix


def proc_stats(pid):
    """(threads, VmRSS in KiB) of a live process."""
    threads = rss = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                threads = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return threads, rss


def describe_stats(name, stats):
    threads, rss = stats
    return f"{name}: {threads} threads, {rss / 1024:.1f} MiB RSS"


def cpp_server(topic, server, *flags, transport_url=None, name=None):
    """examples/cpp/compute_server with extra flags, once it consumes."""
    process = harness.Process(
        [harness.runfile("examples/cpp/compute_server"),
         f"--transport_url={transport_url or harness.TRANSPORT_URL}",
         f"--topic={topic}", f"--server={server}", *flags], name or f"cpp-{server}")
    try:
        process.wait_for_output("ready", timeout=30)
    except Exception:
        process.stop()
        raise
    return process


def reply_queue(bridge):
    """The bridge's reply queue, from its start-up log."""
    harness.wait_until(lambda: re.search(r"reply queue (reply_[0-9a-f]+)", bridge.output()),
                       10, "the bridge logging its reply queue")
    return re.search(r"reply queue (reply_[0-9a-f]+)", bridge.output()).group(1)


def log_lines(process):
    """The glog lines a process wrote so far."""
    return [line for line in process.output().splitlines() if LOG_LINE.match(line)]


class RawAmqp:
    """A py-amqp connection with publisher confirms, for raw bodies."""

    def __init__(self, host=None, port=None):
        self.conn = amqp.Connection(f"{host or harness.BROKER_HOST}:{port or harness.BROKER_PORT}",
                                    userid="guest", password="guest", confirm_publish=True)
        self.conn.connect()
        self.channel = self.conn.channel()

    def publish(self, exchange, routing_key, body, content_type="application/json",
                **properties):
        """Publishes `body` (bytes or str) and waits for the broker's confirm.
        content_type=None sends no content type at all."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        if content_type is not None:
            properties["content_type"] = content_type
            properties.setdefault("content_encoding", "utf-8")
        properties.setdefault("delivery_mode", 2)
        self.channel.basic_publish(amqp.Message(body, **properties), exchange=exchange,
                                   routing_key=routing_key, mandatory=True)

    def depth(self, queue):
        """Ready messages in `queue` (passive declare)."""
        _, count, _ = self.channel.queue_declare(queue, passive=True)
        return count

    def wait_empty(self, queue, timeout=10):
        harness.wait_until(lambda: self.depth(queue) == 0, timeout, f"queue {queue} drained")

    def close(self):
        try:
            self.conn.close()
        except Exception:  # the broker may be gone; nothing to clean then
            pass


def quiet_log_length(process, quiet=0.3, timeout=5):
    """The number of log lines once `process` wrote nothing for `quiet`
    seconds, so that late lines of earlier traffic are not counted later."""
    deadline = time.monotonic() + timeout
    count = len(log_lines(process))
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = len(log_lines(process))
        if now == count:
            break
        count = now
    return count


def wait_for_new_lines(process, before, count, timeout=5, settle=0.3):
    """Waits until `process` wrote at least `count` log lines after the
    `before` first ones, then `settle` seconds more; returns the new lines."""
    deadline = time.monotonic() + timeout
    while len(log_lines(process)) - before < count and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(settle)
    return log_lines(process)[before:]
