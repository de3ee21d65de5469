"""What the nova tests share: nova's own code as processes (nova_peer.py: an
RPC server of nova's pieces, nova's compute RPC client), the C++
nova-compute of examples/nova, and the nova example API compiled at run time
with a topic of the test's own. Everything started here is stopped by PID.

Runs under /usr/bin/python3 (python3-nova, python3-grpcio, python3-protobuf).
"""
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bridge"))
import bridge_harness  # noqa: E402
from bridge_harness import harness  # noqa: E402

# nova imports, registers its objects and sets up eventlet: slow on a busy
# machine.
NOVA_START_SECONDS = 90
NOVA_CALL_SECONDS = 60


def nova_peer():
    return harness.runfile("tests/nova/nova_peer.py")


def nova_server(topic, host):
    """nova's RPC server (nova.rpc.get_server, NovaObjectSerializer,
    baserpc.BaseRPCAPI and nova_peer's ObjectsEndpoint) on topic.host."""
    server = harness.Process(["/usr/bin/python3", nova_peer(), "serve", "--transport_url",
                              harness.TRANSPORT_URL, "--topic", topic, "--host", host],
                             f"nova-server-{host}")
    try:
        server.wait_for_output("ready", timeout=NOVA_START_SECONDS)
    except Exception:
        server.stop()
        raise
    return server


def cpp_nova_compute(topic, host, instances):
    """examples/nova/nova_compute_server serving compute API 6.0 on topic.host."""
    server = harness.Process([harness.runfile("examples/nova/nova_compute_server"),
                              f"--transport_url={harness.TRANSPORT_URL}", f"--topic={topic}",
                              f"--server={host}", f"--instances={','.join(instances)}"],
                             f"cpp-nova-{host}")
    try:
        server.wait_for_output("ready", timeout=30)
    except Exception:
        server.stop()
        raise
    return server


class NovaClient:
    """nova.compute.rpcapi.ComputeAPI in a process of its own (nova_peer.py
    client), one JSON request and answer per line."""

    def __init__(self, topic):
        self._stderr = open(os.path.join(os.environ.get("TEST_TMPDIR", "/tmp"),
                                         f"nova-client-{topic}.log"), "w+")
        self.popen = subprocess.Popen(
            ["/usr/bin/python3", nova_peer(), "client", "--transport_url",
             harness.TRANSPORT_URL, "--topic", topic],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True)

    def call(self, method, level="6.0", instance=None, timeout=None, **args):
        """What nova's client got: {"ver", "result"} or {"ver", "exception",
        "module", "message", "kwargs"}."""
        self.popen.stdin.write(json.dumps({"level": level, "method": method,
                                           "instance": instance, "args": args}) + "\n")
        self.popen.stdin.flush()
        # The first call waits for nova's imports too.
        ready, _, _ = select.select([self.popen.stdout], [], [],
                                    timeout or NOVA_START_SECONDS + NOVA_CALL_SECONDS)
        line = self.popen.stdout.readline() if ready else ""
        if not line:
            self._stderr.flush()
            self._stderr.seek(0)
            raise AssertionError(f"nova's client gave no answer to {method}; its log:\n"
                                 f"{self._stderr.read()[-3000:]}")
        return json.loads(line)

    def stop(self):
        if self.popen.poll() is None:
            self.popen.stdin.close()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self.popen.stdout.close()
        self._stderr.close()


def generate_objects(out, *flags):
    """tools/objects_to_proto.py --module nova.objects --out `out` `flags`."""
    done = subprocess.run(["/usr/bin/python3", harness.runfile("tools/objects_to_proto.py"),
                           "--module", "nova.objects", "--out", out, *flags],
                          capture_output=True, text=True, timeout=NOVA_START_SECONDS)
    assert done.returncode == 0, f"objects_to_proto.py failed:\n{done.stderr}"


def compile_api(workdir, proto, topic, package, objects_proto=None):
    """`proto` (a runfile path whose service has topic "compute" or
    "nova_objects") compiled with proto/examples/nova_objects.proto (or the
    file `objects_proto`), with `topic` instead; returns (descriptor set
    path, Messages of `package`)."""
    examples = os.path.join(workdir, "examples")
    os.makedirs(examples, exist_ok=True)
    with open(objects_proto or harness.runfile("proto/examples/nova_objects.proto")) as f:
        objects = f.read()
    with open(os.path.join(examples, "nova_objects.proto"), "w") as f:
        f.write(objects)
    with open(harness.runfile(proto)) as f:
        source, count = re.subn(r'topic: "(compute|nova_objects)"', f'topic: "{topic}"', f.read())
    assert count >= 1, f"{proto} no longer sets its topic"
    name = os.path.basename(proto)
    with open(os.path.join(examples, name), "w") as f:
        f.write(source)
    descriptor_set = os.path.join(workdir, f"{name}.pb")
    try:
        bridge_harness.protoc(descriptor_set,
                              [workdir, os.path.dirname(harness.runfile("proto/amqp/options.proto"))
                               + "/.."], [f"examples/{name}"])
    except subprocess.CalledProcessError as e:
        raise AssertionError(f"protoc refused {proto}:\n{e.stderr.decode()}") from None
    return descriptor_set, bridge_harness.Messages(descriptor_set, package)


def diagnostics_data(test, answer, num_cpus):
    """Checks that nova's client got a nova.objects.diagnostics.Diagnostics
    (1.0) with `num_cpus` CpuDiagnostics and a MemoryDiagnostics inside,
    running on libvirt/kvm, up 3600 s, with a config drive (what the
    example hosts answer); returns its primitive's data."""
    test.assertNotIn("exception", answer)
    test.assertEqual(answer["class"], "nova.objects.diagnostics.Diagnostics")
    test.assertEqual(answer["cpu_classes"], ["CpuDiagnostics"] * num_cpus)
    test.assertEqual(answer["memory_class"], "MemoryDiagnostics")
    primitive = answer["result"]
    test.assertEqual((primitive["nova_object.name"], primitive["nova_object.namespace"],
                      primitive["nova_object.version"]), ("Diagnostics", "nova", "1.0"))
    data = primitive["nova_object.data"]
    test.assertEqual((data["state"], data["driver"], data["hypervisor"], data["uptime"],
                      data["config_drive"], data["num_cpus"]),
                     ("running", "libvirt", "kvm", 3600, True, num_cpus))
    return data


class ComputeTestCase(harness.unittest.TestCase):
    """A test class with a C++ compute host (`server`, serving INSTANCES) on
    a topic of its own, nova's compute client for that topic (`nova`), and
    proto/examples/nova_compute.proto compiled for it (`descriptor_set`,
    messages `m`)."""

    TOPIC_PREFIX = "nova_compute"
    INSTANCES = []

    @classmethod
    def setUpClass(cls):
        cls.topic = harness.unique(cls.TOPIC_PREFIX)
        cls.host = harness.unique("compute-host")
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.descriptor_set, cls.m = compile_api(
            cls.workdir, "proto/examples/nova_compute.proto", cls.topic, "examples.nova_compute")
        cls.server = cpp_nova_compute(cls.topic, cls.host, cls.INSTANCES)
        cls.nova = NovaClient(cls.topic)

    @classmethod
    def tearDownClass(cls):
        cls.nova.stop()
        cls.server.stop()
