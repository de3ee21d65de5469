"""What the bridge's end-to-end tests share: the example API compiled at run
time with a topic of the test's own (so parallel tests and leftover queues of
earlier runs never meet), message classes built from its descriptor set (no
generated Python code, which would clash with py-amqp's `amqp` package), the
bridge and example servers as processes stopped by PID, and decoding of the
google.rpc.Status error details.

Runs under /usr/bin/python3 (python3-grpcio, python3-protobuf, oslo.messaging).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import harness  # noqa: E402

import grpc  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402

GOOGLEAPIS = "/usr/share/gocode/src/github.com/gogo/googleapis"
PACKAGE = "examples.compute"
SERVICE = f"{PACKAGE}.Compute"

# Appended to the example API: a service whose client-streaming method the
# bridge must list as unsupported and answer UNIMPLEMENTED.
UPLOADS_SERVICE = """
service Uploads {
  option (amqp.service) = { topic: "%s_uploads" };
  rpc Upload(stream PingRequest) returns (PingReply);
  rpc Ping(PingRequest) returns (PingReply);
}
"""


def protoc(out_set, includes, files):
    subprocess.run(["/usr/bin/protoc", "--include_imports", f"--descriptor_set_out={out_set}"]
                   + [f"-I{i}" for i in includes] + ["-I/usr/include"] + files,
                   check=True, capture_output=True, timeout=60)


class Messages:
    """Message classes of a descriptor set, by short or full name."""

    def __init__(self, set_path, package):
        with open(set_path, "rb") as f:
            files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.Add(file)
        self._factory = message_factory.MessageFactory(self.pool)
        self._package = package

    def __getattr__(self, name):
        """A message of the package, else a well-known type ("Empty")."""
        if "." in name:
            full = name
        else:
            full = f"{self._package}.{name}"
            try:
                self.pool.FindMessageTypeByName(full)
            except KeyError:
                full = f"google.protobuf.{name}"
        return self._factory.GetPrototype(self.pool.FindMessageTypeByName(full))


class Api:
    """The example compute API with topic `topic`, as a descriptor set file."""

    def __init__(self, topic, workdir):
        with open(harness.runfile("proto/examples/compute.proto")) as f:
            source = f.read()
        source, count = re.subn(r'topic: "compute"', f'topic: "{topic}"', source)
        assert count == 1, "compute.proto no longer sets topic: \"compute\""
        source += UPLOADS_SERVICE % topic
        os.makedirs(os.path.join(workdir, "examples"), exist_ok=True)
        with open(os.path.join(workdir, "examples", "compute.proto"), "w") as f:
            f.write(source)
        self.descriptor_set = os.path.join(workdir, "api.pb")
        protoc(self.descriptor_set,
               [workdir, os.path.dirname(harness.runfile("proto/amqp/options.proto")) + "/.."],
               ["examples/compute.proto"])
        self.messages = Messages(self.descriptor_set, PACKAGE)


_status_messages = None


def error_details(error):
    """(reason, domain) of the google.rpc.ErrorInfo in a failed call's trailers."""
    global _status_messages
    if _status_messages is None:
        path = os.path.join(tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR")), "rpc.pb")
        protoc(path, [GOOGLEAPIS], ["google/rpc/status.proto", "google/rpc/error_details.proto"])
        _status_messages = Messages(path, "google.rpc")
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = _status_messages.Status.FromString(value)
            for detail in status.details:
                if detail.type_url.endswith("/google.rpc.ErrorInfo"):
                    info = _status_messages.ErrorInfo.FromString(detail.value)
                    return info.reason, info.domain
    return None


class Bridge(harness.Process):
    """grpc_amqp_bridge on a free port, serving `descriptor_set`."""

    def __init__(self, descriptor_set, *flags, name="bridge"):
        super().__init__([harness.runfile("bridge/grpc_amqp_bridge"),
                          f"--descriptor_set={descriptor_set}", "--listen=127.0.0.1:0",
                          f"--transport_url={harness.TRANSPORT_URL}", *flags], name)
        self.wait_for_output("listening on")
        self.port = int(re.search(r"listening on [^\s:]+:(\d+)", self.output()).group(1))
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")

    def unary(self, method, response_class, service=SERVICE):
        return self.channel.unary_unary(f"/{service}/{method}",
                                        request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=response_class.FromString)

    def stream(self, method, response_class, service=SERVICE):
        return self.channel.unary_stream(f"/{service}/{method}",
                                         request_serializer=lambda m: m.SerializeToString(),
                                         response_deserializer=response_class.FromString)

    def stop(self):
        self.channel.close()
        return super().stop()


def watch_events(bridge, messages, topic, casts, url=harness.TRANSPORT_URL):
    """Opens a WatchEvents (SUBSCRIBE) stream on `bridge`, has a Python
    oslo.messaging client of `topic` on `url` send the fanout casts `casts`
    ([(method, kwargs)], in order), and returns the events the stream got by
    the time one came (put a cast that reaches the stream last)."""
    stream = bridge.stream("WatchEvents", messages.InstanceEvent)(
        messages.WatchEventsRequest(), timeout=20)
    stream.initial_metadata()  # the subscription is live
    received = []
    reader = threading.Thread(target=lambda: received.extend(stream), daemon=True)
    reader.start()
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import harness, oslo_messaging\n"
        "harness.TRANSPORT_URL = sys.argv[3]\n"
        "t = harness.make_transport()\n"
        "c = oslo_messaging.get_rpc_client(t, oslo_messaging.Target(topic=sys.argv[2]))\n"
        "for method, kwargs in json.loads(sys.argv[4]):\n"
        "    c.prepare(fanout=True).cast({}, method, **kwargs)\n"
        "t.cleanup()\n")
    subprocess.run(["/usr/bin/python3", "-c", script,
                    os.path.dirname(harness.runfile("tests/interop/harness.py")), topic, url,
                    json.dumps(casts)], check=True, timeout=30)
    harness.wait_until(lambda: received, 10, "the cast's arrival on the stream")
    stream.cancel()
    reader.join(5)
    return received


def python_server(topic, server):
    return harness.Process(["/usr/bin/python3", harness.runfile("examples/python/compute_server.py"),
                            "--transport_url", harness.TRANSPORT_URL, "--topic", topic,
                            "--server", server], f"py-{server}")


def cpp_server(topic, server):
    return harness.Process([harness.runfile("examples/cpp/compute_server"),
                            f"--transport_url={harness.TRANSPORT_URL}", f"--topic={topic}",
                            f"--server={server}"], f"cpp-{server}")


def start_servers(kinds_and_names, topic):
    """Starts example servers, e.g. [("cpp", "host1"), ("python", "host2")],
    and waits until each consumes; stops them all if one fails."""
    servers = []
    try:
        for kind, name in kinds_and_names:
            servers.append((python_server if kind == "python" else cpp_server)(topic, name))
        for server in servers:
            server.wait_for_output("ready", timeout=30)
    except Exception:
        for server in servers:
            server.stop()
        raise
    return servers
