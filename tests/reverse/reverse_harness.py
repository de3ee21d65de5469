"""What the reverse-direction tests share: a test API (two services on one
topic, one of them namespaced), a real python3-grpcio backend serving it
through generic handlers (message classes from the descriptor set), and the
bridge started with --backend for both services.

Runs under /usr/bin/python3 (python3-grpcio, python3-protobuf, oslo.messaging).
"""
import os
import sys
import tempfile
import threading
import time
from concurrent import futures

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bridge"))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402

import grpc  # noqa: E402

PACKAGE = "reverse.v1"
INVENTORY = f"{PACKAGE}.Inventory"
ADMIN = f"{PACKAGE}.Admin"

PROTO = """
syntax = "proto3";
package reverse.v1;
import "amqp/options.proto";
import "google/protobuf/empty.proto";

enum Power {
  POWER_UNSPECIFIED = 0;
  RUNNING = 1;
  SHUTDOWN = 4;
}
message Instance {
  string uuid = 1;
  string name = 2;
  Power power = 3;
  repeated string tags = 4;
  int64 memory_mb = 5;
}
message GetRequest {
  string uuid = 1;
}
message ConsoleRequest {
  string host = 1;
  string uuid = 2;
}
message Console {
  string output = 1;
}
message SleepRequest {
  double seconds = 1;
}
// What the backend saw of a call.
message Seen {
  string context = 1;
  string request_id = 2;
  double deadline_seconds = 3;
}
message FailRequest {
  string code = 1;
  string reason = 2;
  string domain = 3;
  string message = 4;
  map<string, string> metadata = 5;
}
message RecordRequest {
  string marker = 1;
}
message Recorded {
  repeated string markers = 1;
}
// An oslo.versionedobjects object and an enum with oslo spellings.
message Flavor {
  option (amqp.object) = { namespace: "nova" version: "1.2" serial_namespace: "nova_object" };
  string name = 1;
  int32 vcpus = 2;
}
enum VmState {
  VM_STATE_UNSPECIFIED = 0;
  ACTIVE = 1 [(amqp.value) = "active"];
  RESIZED = 2 [(amqp.value) = "resized"];
}
message ResizeRequest {
  Flavor flavor = 1;
  VmState state = 2;
}
message Resized {
  Flavor flavor = 1;
  VmState state = 2;
}

service Inventory {
  option (amqp.service) = { topic: "%(topic)s" version: "2.0" };
  rpc GetInstance(GetRequest) returns (Instance);
  rpc GetConsole(ConsoleRequest) returns (Console) {
    option (amqp.method) = { server_field: "host" result_field: "output" version: "2.3" };
  }
  rpc Sleep(SleepRequest) returns (Seen);
  rpc Fail(FailRequest) returns (google.protobuf.Empty);
  rpc Nothing(google.protobuf.Empty) returns (google.protobuf.Empty);
  rpc Resize(ResizeRequest) returns (Resized);
  // One oslo method "record", three gRPC methods: the call is what it calls.
  rpc RecordCast(RecordRequest) returns (google.protobuf.Empty) {
    option (amqp.method) = { name: "record" cast: true };
  }
  rpc Record(RecordRequest) returns (Recorded);
  rpc RecordFanout(RecordRequest) returns (google.protobuf.Empty) {
    option (amqp.method) = { name: "record" fanout: true };
  }
  // Server streaming: not served to oslo callers.
  rpc Watch(GetRequest) returns (stream Instance);
}

service Admin {
  option (amqp.service) = { topic: "%(topic)s" version: "1.1" namespace: "admin" };
  rpc Ping(GetRequest) returns (Instance);
}
"""


def compile_api(topic, workdir):
    """The test API with `topic`, as (descriptor set path, Messages)."""
    os.makedirs(os.path.join(workdir, "reverse"), exist_ok=True)
    with open(os.path.join(workdir, "reverse", "api.proto"), "w") as f:
        f.write(PROTO % {"topic": topic})
    path = os.path.join(workdir, "reverse_api.pb")
    bh.protoc(path, [workdir, os.path.dirname(harness.runfile("proto/amqp/options.proto")) + "/.."],
              ["reverse/api.proto"])
    return path, bh.Messages(path, PACKAGE)


_rpc = None


def rpc_messages():
    """google.rpc.Status and ErrorInfo classes."""
    global _rpc
    if _rpc is None:
        path = os.path.join(tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR")), "rpc.pb")
        bh.protoc(path, [bh.GOOGLEAPIS], ["google/rpc/status.proto", "google/rpc/error_details.proto"])
        _rpc = bh.Messages(path, "google.rpc")
    return _rpc


def abort_with_error_info(context, code, message, reason, domain, metadata=None):
    """Ends a python3-grpcio call with `code` and `message`, and a
    google.rpc.Status carrying an ErrorInfo in its trailers: how a backend
    names the exception an oslo caller gets (docs/reverse.md)."""
    rpc = rpc_messages()
    info = rpc.ErrorInfo(reason=reason, domain=domain)
    for key, value in (metadata or {}).items():
        info.metadata[key] = value
    status = rpc.Status(code=code.value[0], message=message)
    detail = status.details.add()
    detail.type_url = "type.googleapis.com/google.rpc.ErrorInfo"
    detail.value = info.SerializeToString()
    context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
    context.abort(code, message)


class Backend:
    """A python3-grpcio server of both services on a free port; it records
    what it was called with."""

    def __init__(self, messages, workers=200, credentials=None):
        self.m = messages
        self.lock = threading.Lock()
        self.markers = []       # record's markers, in arrival order
        self.seen = []          # (method, metadata dict, deadline seconds)
        self.calls = 0
        m = messages

        def handler(request_class, function):
            return grpc.unary_unary_rpc_method_handler(
                function, request_deserializer=request_class.FromString,
                response_serializer=lambda r: r.SerializeToString())

        inventory = {
            "GetInstance": handler(m.GetRequest, self.get_instance),
            "GetConsole": handler(m.ConsoleRequest, self.get_console),
            "Sleep": handler(m.SleepRequest, self.sleep),
            "Fail": handler(m.FailRequest, self.fail),
            "Nothing": handler(m.Empty, lambda r, c: self.note("Nothing", c, m.Empty())),
            "Record": handler(m.RecordRequest, self.record),
            "Resize": handler(m.ResizeRequest, self.resize),
            "RecordCast": handler(m.RecordRequest, self.record_other),
            "RecordFanout": handler(m.RecordRequest, self.record_other),
        }
        admin = {"Ping": handler(m.GetRequest, self.ping)}
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
        self.server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(INVENTORY, inventory),
             grpc.method_handlers_generic_handler(ADMIN, admin)))
        self.port = (self.server.add_secure_port("127.0.0.1:0", credentials) if credentials
                     else self.server.add_insecure_port("127.0.0.1:0"))
        self.server.start()
        self.address = f"127.0.0.1:{self.port}"

    def stop(self):
        self.server.stop(0).wait()

    def note(self, method, context, response):
        with self.lock:
            self.calls += 1
            self.seen.append((method, dict(context.invocation_metadata()),
                              context.time_remaining()))
        return response

    def get_instance(self, request, context):
        return self.note("GetInstance", context, self.m.Instance(
            uuid=request.uuid, name=f"vm-{request.uuid}", power=4, tags=["a", "b"],
            memory_mb=1 << 40))

    def get_console(self, request, context):
        return self.note("GetConsole", context,
                         self.m.Console(output=f"console of {request.uuid} on '{request.host}'"))

    def sleep(self, request, context):
        time.sleep(request.seconds)
        metadata = dict(context.invocation_metadata())
        return self.note("Sleep", context, self.m.Seen(
            context=metadata.get("x-oslo-context", ""),
            request_id=metadata.get("x-request-id", ""),
            deadline_seconds=context.time_remaining() + request.seconds))

    def fail(self, request, context):
        self.note("Fail", context, None)
        code = getattr(grpc.StatusCode, request.code)
        if request.reason:
            abort_with_error_info(context, code, request.message, request.reason,
                                  request.domain, request.metadata)
        context.abort(code, request.message)

    def record(self, request, context):
        with self.lock:
            self.markers.append(request.marker)
            markers = list(self.markers)
        return self.note("Record", context, self.m.Recorded(markers=markers))

    def resize(self, request, context):
        flavor = self.m.Flavor(name=request.flavor.name + "-big", vcpus=request.flavor.vcpus * 2)
        state = 2 if request.state == 1 else 0  # ACTIVE -> RESIZED
        return self.note("Resize", context, self.m.Resized(flavor=flavor, state=state))

    def record_other(self, request, context):
        raise AssertionError("the oslo method 'record' must call Record")

    def ping(self, request, context):
        return self.note("Ping", context, self.m.Instance(uuid=request.uuid, name="admin"))


def start_bridge(descriptor_set, backend_address, server_name, *flags, name="bridge"):
    return bh.Bridge(descriptor_set, f"--backend={INVENTORY}={backend_address}",
                     f"--backend={ADMIN}={backend_address}", f"--server_name={server_name}",
                     *flags, name=name)
