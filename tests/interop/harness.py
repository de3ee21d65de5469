"""Shared pieces of the interop tests: the broker check, processes started and
stopped by PID, oslo.messaging transports, and a JUnit report for Bazel.

Runs under /usr/bin/python3 (Debian's python3-oslo.messaging).
"""
import json
import logging
import os
import signal
import subprocess
import sys
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

import amqp
from oslo_config import cfg
import oslo_messaging
from oslo_messaging._metrics import client as metrics_client

BROKER_HOST = "127.0.0.1"
BROKER_PORT = 5672
TRANSPORT_URL = f"rabbit://guest:guest@{BROKER_HOST}:{BROKER_PORT}/"


def broker_login(timeout=3):
    """Logs in to RabbitMQ as guest and out again; raises why it could not."""
    conn = amqp.Connection(f"{BROKER_HOST}:{BROKER_PORT}", userid="guest",
                           password="guest", connect_timeout=timeout)
    try:
        conn.connect()
    finally:
        conn.collect()


def broker_accepts_login(timeout=3):
    try:
        broker_login(timeout)
        return True
    except Exception:  # any failure means "not now"
        return False


def require_broker():
    """Fails the whole test with a clear message when RabbitMQ is not there."""
    try:
        broker_login()
    except Exception as e:  # the reason goes into the message
        sys.exit(f"FAIL: this test needs RabbitMQ on {BROKER_HOST}:{BROKER_PORT} "
                 f"(run tools/setup.sh): {e}")


def unique(prefix):
    """A topic name no other test run uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def runfile(path):
    """A file of the Bazel runfiles tree (the test's working directory)."""
    full = os.path.join(os.environ.get("TEST_SRCDIR", "."),
                        os.environ.get("TEST_WORKSPACE", "grpc_amqp_bridge"), path)
    if not os.path.exists(full):
        full = os.path.abspath(path)
    return full


class Process:
    """A child process that is always stopped by its PID, never by name."""

    def __init__(self, argv, name):
        self.name = name
        self.log_path = os.path.join(os.environ.get("TEST_TMPDIR", "/tmp"),
                                     f"{name}-{uuid.uuid4().hex[:6]}.log")
        self._log = open(self.log_path, "w+")
        self.popen = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT)

    def output(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_for_output(self, text, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not print {text!r} within {timeout}s; "
                             f"output:\n{self.output()}")

    def stop(self):
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()
        return self.popen.returncode


def make_transport(allowed_remote_exmods=None, url=None, **query):
    """An oslo RPC transport to `url`, else to TRANSPORT_URL as it is now."""
    conf = cfg.ConfigOpts()
    conf([])
    # RPCClient reads these, but oslo.messaging registers them on cfg.CONF only.
    conf.register_opts(metrics_client.oslo_messaging_metrics,
                       group="oslo_messaging_metrics")
    # Its (disabled) sender thread would hold up the exit for 10 s.
    conf.set_override("metrics_thread_stop_timeout", 1, group="oslo_messaging_metrics")
    url = url or TRANSPORT_URL
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return oslo_messaging.get_rpc_transport(
        conf, url=url, allowed_remote_exmods=allowed_remote_exmods)


RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
BROKER_START_SECONDS = 60


def rabbitmqctl(*args, node="", timeout=120):
    """Runs rabbitmqctl on `node` (default: the system broker) with the
    broker's Erlang cookie; fails with its output; returns the seconds it took.
    Tests that call it need the Bazel tag "no-sandbox"."""
    started = time.monotonic()
    done = subprocess.run([RABBITMQCTL, *(["-n", node] if node else []), *args],
                          env=dict(os.environ, HOME="/var/lib/rabbitmq"),
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"rabbitmqctl {' '.join(args)} exited {done.returncode}:\n"
                             f"{done.stdout}{done.stderr}")
    return time.monotonic() - started


def start_broker(node=""):
    """start_app (harmless when running), then waits until AMQP logins work;
    returns the seconds it took."""
    started = time.monotonic()
    rabbitmqctl("start_app", node=node)
    wait_until(broker_accepts_login, BROKER_START_SECONDS,
               "an AMQP login after rabbitmqctl start_app")
    return time.monotonic() - started


def wait_until(predicate, timeout, what):
    """Polls `predicate` until it is true; fails saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.05)


class PythonServer:
    """An in-process oslo_messaging RPCServer (threading executor) on
    `topic`.`server`, started on creation and stopped by stop()."""

    def __init__(self, transport, topic, server, endpoints):
        target = oslo_messaging.Target(topic=topic, server=server)
        self.server = oslo_messaging.get_rpc_server(transport, target, endpoints,
                                                    executor="threading")
        self.server.start()  # declares and consumes its queues before returning

    def stop(self):
        self.server.stop()
        self.server.wait()


class OsloRpcResult:
    def __init__(self, argv, returncode, stdout, stderr, seconds):
        self.argv, self.returncode = argv, returncode
        self.stdout, self.stderr, self.seconds = stdout, stderr, seconds

    def json(self):
        return json.loads(self.stdout)

    def __str__(self):
        return (f"{' '.join(self.argv)}\n  exit {self.returncode} after "
                f"{self.seconds:.2f}s\n  stdout: {self.stdout!r}\n  stderr: {self.stderr!r}")


def oslo_rpc_binary():
    return runfile("bridge/oslo_rpc")


def oslo_rpc(command, topic, *args, limit=30, **flags):
    """Runs the C++ CLI `oslo_rpc COMMAND --topic=TOPIC --flag=value... ARGS`
    and waits at most `limit` seconds for it. Non-string `args` are sent as JSON."""
    argv = [oslo_rpc_binary(), command, f"--transport_url={TRANSPORT_URL}",
            f"--topic={topic}"]
    argv += [f"--{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in flags.items()]
    argv += [a if isinstance(a, str) else json.dumps(a) for a in args]
    started = time.monotonic()
    try:
        done = subprocess.run(argv, capture_output=True, timeout=limit)
    except subprocess.TimeoutExpired as e:  # run() killed it by PID
        raise AssertionError(f"{' '.join(argv)} still ran after {limit}s; "
                             f"stderr: {e.stderr!r}")
    return OsloRpcResult(argv, done.returncode, done.stdout.decode("utf-8", "replace"),
                         done.stderr.decode("utf-8", "replace"),
                         time.monotonic() - started)


def serve_process(topic, server, name, *flags):
    """`oslo_rpc serve` (the C++ echo server) as a Process, once it serves."""
    process = Process([oslo_rpc_binary(), "serve", f"--transport_url={TRANSPORT_URL}",
                       f"--topic={topic}", f"--server={server}", *flags], name)
    try:
        process.wait_for_output("serving topic")
    except Exception:
        process.stop()
        raise
    return process


def run(test_cases):
    """Runs the unittest cases, writes Bazel's JUnit XML, exits non-zero on failure."""
    require_broker()
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    for case in test_cases:
        suite.addTests(loader.loadTestsFromTestCase(case))
    result = _RecordingResult(unittest.runner._WritelnDecorator(sys.stderr), True, 2)
    suite.run(result)
    result.printErrors()
    _write_junit(result)
    print(f"{result.passed} passed, {len(result.failures) + len(result.errors)} failed")
    sys.exit(0 if result.wasSuccessful() and result.testsRun else 1)


class _RecordingResult(unittest.TextTestResult):
    def __init__(self, *args):
        super().__init__(*args)
        self.passed = 0
        self.outcomes = []
        self._started = 0.0

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def _record(self, test, kind, detail=""):
        self.outcomes.append((test.id(), kind, detail, time.monotonic() - self._started))

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self._record(test, "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failure", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "error", self._exc_info_to_string(err, test))


def _write_junit(result):
    path = os.environ.get("XML_OUTPUT_FILE")
    if not path:
        return
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name=os.environ.get("TEST_TARGET", "interop"),
                          tests=str(len(result.outcomes)))
    for test_id, kind, detail, seconds in result.outcomes:
        case = ET.SubElement(suite, "testcase", name=test_id, time=f"{seconds:.3f}")
        if kind != "ok":
            ET.SubElement(case, kind, message=detail.splitlines()[-1] if detail else "").text = detail
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
