#!/usr/bin/python3
"""The scripted gRPC session of tools/demo.sh: calls every kind of method of
the example compute API (proto/examples/compute.proto) through
grpc_amqp_bridge, prints each request and answer, and checks the answers.

    /usr/bin/python3 examples/python/demo_client.py --target=127.0.0.1:50051 \\
        --descriptor_set=api.pb --server_log=host1=h1.log --server_log=host2=h2.log \\
        --topic=compute --transport_url=rabbit://guest:guest@127.0.0.1:5672/

Expects two example compute servers behind the bridge on the API's topic:
host1 (the C++ one, examples/cpp) and host2 (the Python oslo.messaging one,
examples/python). The --server_log files are where the servers print the
casts they receive, to check that casts arrived; --topic and --transport_url
are where it sends, as a Python oslo.messaging client, the fanout cast that a
SUBSCRIBE stream receives. Exits 0 when every step behaved as expected, 1
otherwise.
"""
import argparse
import json
import os
import sys
import textwrap
import threading
import time
import uuid

import grpc
from google.protobuf import text_format

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grpc_call  # noqa: E402

SERVICE = "examples.compute.Compute"
WIDTH = 100


class StepFailed(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise StepFailed(what)


def wrapped(text, indent):
    lines = textwrap.wrap(text, WIDTH - len(indent), break_on_hyphens=False) or [""]
    return ("\n" + indent).join(lines)


class Session:
    def __init__(self, args):
        self.messages = grpc_call.load_messages(args.descriptor_set)
        self.channel = grpc.insecure_channel(args.target)
        self.logs = dict(entry.split("=", 1) for entry in args.server_log)
        self.topic = args.topic
        self.transport_url = args.transport_url
        self.steps = 0
        self.failed = []

    def message(self, name, **fields):
        full = name if "." in name else f"examples.compute.{name}"
        return self.messages.message_class(full)(**fields)

    def call(self, method, request, metadata=()):
        """Prints and makes one call. Returns (responses, code, details, call)
        where responses is a list (one message for unary methods)."""
        descriptor = self.messages.method(f"{SERVICE}/{method}")
        stub = grpc_call.method_stub(self.channel, self.messages, descriptor)
        text = text_format.MessageToString(request, as_one_line=True)
        print(f"  -> {SERVICE}/{method}  {{ {text} }}" if text else
              f"  -> {SERVICE}/{method}  {{}}")
        for key, value in metadata:
            print(f"     {key}: {value}")
        started = time.monotonic()
        try:
            if descriptor.server_streaming:
                call = stub(request, timeout=10, metadata=list(metadata))
                responses = list(call)
            else:
                response, call = stub.with_call(request, timeout=10, metadata=list(metadata))
                responses = [response]
            code, details = call.code(), call.details()
        except grpc.RpcError as error:
            responses, call = [], error
            code, details = error.code(), error.details()
        elapsed = (time.monotonic() - started) * 1000
        print(f"  <- {code.name} in {elapsed:.0f} ms")
        for response in responses:
            print("     " + wrapped(json.dumps(grpc_call.to_json(response)), "     "))
        if code != grpc.StatusCode.OK:
            print(f"     message: {details}")
            info = grpc_call.error_info(call)
            if info:
                print(f"     google.rpc.ErrorInfo: reason={info[0]!r} domain={info[1]!r}")
        shown = [(k, v) for k, v in (call.initial_metadata() or ()) if k.startswith("x-")]
        shown += [(k, v) for k, v in (call.trailing_metadata() or ()) if k.startswith("x-")]
        for key, value in shown:
            print(f"     {key}: {value}")
        return responses, code, details, call, elapsed

    def wait_for_log(self, server, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.logs[server], errors="replace") as f:
                if text in f.read():
                    return True
            time.sleep(0.05)
        return False

    def log_has(self, server, text):
        with open(self.logs[server], errors="replace") as f:
            return text in f.read()

    def step(self, title, run):
        self.steps += 1
        print(f"\n[{self.steps}] {title}")
        try:
            verdict = run()
            print(f"  ok: {verdict}")
        except StepFailed as e:
            print(f"  FAILED: {e}")
            self.failed.append(title)
        except Exception as e:  # an unexpected error fails this step only
            print(f"  FAILED: {type(e).__name__}: {e}")
            self.failed.append(title)

    # The steps -----------------------------------------------------------

    def health(self):
        check = self.channel.unary_unary("/grpc.health.v1.Health/Check")
        deadline = time.monotonic() + 15
        print("  -> /grpc.health.v1.Health/Check  {}   (until SERVING: the bridge's broker "
              "connection is up)")
        while True:
            try:
                answer = check(b"", timeout=2)
            except grpc.RpcError as error:
                answer = error.code().name.encode()
            if answer == b"\x08\x01" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        expect(answer == b"\x08\x01", f"health answered {answer!r}, not SERVING")
        print('  <- OK  {"status": "SERVING"}')
        return "the bridge serves"

    def get_instance(self):
        [instance], code, *_ = self.call(
            "GetInstance", self.message("GetInstanceRequest", instance_uuid="vm-1"))
        expect(code == grpc.StatusCode.OK, f"status {code.name}")
        expect(instance.name == "web", f"name {instance.name!r}")
        expect(instance.launched_at.ToJsonString() == "2026-11-24T08:00:00Z",
               f"launched_at {instance.launched_at.ToJsonString()}")
        expect(instance.flavor.memory_mb == 2048, "flavor.memory_mb")
        expect(instance.host in ("host1", "host2"), f"host {instance.host!r}")
        [instance], code, *_ = self.call(
            "GetInstance", self.message("GetInstanceRequest", instance_uuid="vm-2"),
            metadata=[("x-amqp-server", "host2")])
        expect(code == grpc.StatusCode.OK, f"status {code.name}")
        expect(instance.host == "host2", f"x-amqp-server: host2, answered by {instance.host!r}")
        expect(instance.power_state == 4, "power_state SHUTDOWN")
        expect(dict(instance.flavor.extra_specs) == {"hw:cpu_policy": "dedicated"}, "extra_specs")
        expect(instance.metadata.fields["backup"].bool_value, "metadata.backup")
        return ("the result dicts filled Instance (enum by name, int64, map, Timestamp, "
                "Struct); x-amqp-server: host2 picked host2")

    def list_instances(self):
        [everything], code, *_ = self.call("ListInstances", self.message("ListInstancesRequest"))
        expect(code == grpc.StatusCode.OK, f"status {code.name}")
        expect(sorted(i.uuid for i in everything.instances) == ["vm-1", "vm-2"],
               "both instances")
        [running], code, *_ = self.call(
            "ListInstances", self.message("ListInstancesRequest", power_state=1))
        expect(code == grpc.StatusCode.OK, f"status {code.name}")
        expect([i.name for i in running.instances] == ["web"], "only the RUNNING one")
        return ("oslo method get_instances; its list result went whole into "
                "result_field 'instances'; the optional filter was sent only when set")

    def console_output(self):
        [output], code, *_ = self.call(
            "GetConsoleOutput", self.message("GetConsoleOutputRequest", host="host1",
                                             instance_uuid="vm-1", tail_length=2))
        expect(code == grpc.StatusCode.OK, f"status {code.name}")
        expect(output.output == "[    0.03] web boot line 3\n[    0.04] web boot line 4",
               f"output {output.output!r}")
        _, code, details, _, elapsed = self.call(
            "GetConsoleOutput", self.message("GetConsoleOutputRequest", host="host3",
                                             instance_uuid="vm-1"))
        expect(code == grpc.StatusCode.UNAVAILABLE, f"host3: status {code.name}")
        expect(".host3'" in details, "the message names the routing key")
        expect(elapsed < 5000, f"host3 took {elapsed:.0f} ms")
        return ("server_field 'host' routed to <topic>.host1 (not sent as an argument) and "
                "the string result filled 'output'; host3 has no queue: UNAVAILABLE at once")

    def diagnostics(self):
        [diagnostics], code, *_ = self.call(
            "GetDiagnostics", self.message("GetDiagnosticsRequest", instance_uuid="vm-1"))
        expect(code == grpc.StatusCode.OK, f"status {code.name}")
        expect(diagnostics.uptime_seconds == 3600, "uptime_seconds")
        expect(diagnostics.nics[0].rx_octets == 2 ** 40, "rx_octets 2^40")
        return "sent with version 5.1 (the method's own); both servers serve 5.1"

    def reboot(self):
        request_id = f"req-{uuid.uuid4()}"
        [empty], code, *_ = self.call(
            "RebootInstance", self.message("RebootInstanceRequest", host="host2",
                                           instance_uuid="vm-2", reboot_type=1),
            metadata=[("x-request-id", request_id)])
        expect(code == grpc.StatusCode.OK, f"status {code.name}")
        line = f"cast reboot_instance vm-2 HARD (request {request_id})"
        expect(self.wait_for_log("host2", line), f"host2 did not log {line!r}")
        expect(not self.log_has("host1", request_id), "host1 received the cast too")
        print(f"     host2's log: {line}")
        return "returned Empty once RabbitMQ had the cast; only host2 received it"

    def refresh(self):
        reason = f"demo-{uuid.uuid4().hex[:8]}"
        [empty], code, *_ = self.call("RefreshCache",
                                      self.message("RefreshCacheRequest", reason=reason))
        expect(code == grpc.StatusCode.OK, f"status {code.name}")
        for server in sorted(self.logs):
            line = f"fanout refresh_cache '{reason}'"
            expect(self.wait_for_log(server, line), f"{server} did not log {line!r}")
            print(f"     {server}'s log: {line}")
        return "a fanout cast: every server of the topic received it"

    def not_found(self):
        _, code, details, call, _ = self.call(
            "GetInstance", self.message("GetInstanceRequest", instance_uuid="vm-404"),
            metadata=[("x-amqp-server", "host2")])
        expect(code == grpc.StatusCode.NOT_FOUND, f"status {code.name}")
        expect(details == "Instance vm-404 could not be found.", f"message {details!r}")
        expect(grpc_call.error_info(call) == ("InstanceNotFound", "__main__"),
               f"ErrorInfo {grpc_call.error_info(call)}")
        return ("the Python server raised InstanceNotFound: *NotFound -> NOT_FOUND, "
                "ErrorInfo reason = class, domain = module (the server runs as __main__), "
                "no traceback")

    def gather(self):
        replies, code, _, call, elapsed = self.call(
            "PingAll", self.message("PingRequest", payload="hello"),
            metadata=[("x-amqp-expect", "2")])
        expect(code == grpc.StatusCode.OK, f"status {code.name}")
        expect(sorted(r.host for r in replies) == ["host1", "host2"],
               f"replies from {sorted(r.host for r in replies)}")
        expect(all(r.payload == "hello" for r in replies), "payloads")
        trailers = dict(call.trailing_metadata())
        expect(trailers.get("x-amqp-replies") == "2", "x-amqp-replies")
        expect(trailers.get("x-amqp-failures") == "0", "x-amqp-failures")
        expect(elapsed < 900, f"took {elapsed:.0f} ms: it should end at 2 replies")
        return ("one stream message per server, C++ (host1) and Python (host2); "
                "ended at x-amqp-expect: 2, before the 1 s gather window")

    def context(self):
        request_id = f"req-{uuid.uuid4()}"
        [struct], code, _, call, _ = self.call(
            "GetCallerContext", self.message("google.protobuf.Empty"),
            metadata=[("x-oslo-context",
                       '{"user_id": "alice", "roles": ["admin", "member"], "is_admin": true}'),
                      ("x-oslo-context-project-id", "demo-project"),
                      ("x-request-id", request_id),
                      ("x-amqp-server", "host2")])
        expect(code == grpc.StatusCode.OK, f"status {code.name}")
        context = grpc_call.to_json(struct)
        expect(context.get("user_id") == "alice", "user_id")
        expect(context.get("roles") == ["admin", "member"], "roles")
        expect(context.get("is_admin") is True, "is_admin (typed: a JSON true)")
        expect(context.get("project_id") == "demo-project", "project_id")
        expect(context.get("request_id") == request_id, "request_id")
        expect(dict(call.initial_metadata()).get("x-openstack-request-id") == request_id,
               "x-openstack-request-id")
        return ("the oslo context host2 received: x-oslo-context (typed JSON) + "
                "x-oslo-context-project-id + request_id from x-request-id, which came "
                "back as x-openstack-request-id")

    def subscribe(self):
        descriptor = self.messages.method(f"{SERVICE}/WatchEvents")
        stub = grpc_call.method_stub(self.channel, self.messages, descriptor)
        print(f"  -> {SERVICE}/WatchEvents  {{}}   (a stream of every 'instance_event' fanout cast)")
        stream = stub(self.message("WatchEventsRequest"), timeout=10)
        stream.initial_metadata()  # sent once the bridge consumes: every cast from now on arrives
        events = []
        arrived = threading.Event()

        def read():
            try:
                for event in stream:
                    events.append(event)
                    arrived.set()
            except grpc.RpcError:  # the cancel below ends the stream so
                pass
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        # The publisher: a Python oslo.messaging client, as a service would send it.
        import oslo_messaging
        from oslo_config import cfg
        transport = oslo_messaging.get_rpc_transport(cfg.CONF, url=self.transport_url)
        try:
            client = oslo_messaging.get_rpc_client(transport,
                                                   oslo_messaging.Target(topic=self.topic))
            print(f"  python: client.prepare(fanout=True).cast(ctxt, 'instance_event', "
                  f"instance_uuid='vm-1', event='resized', host='host2')")
            client.prepare(fanout=True).cast({}, "instance_event", instance_uuid="vm-1",
                                             event="resized", host="host2")
            arrived.wait(5)
        finally:
            transport.cleanup()
        stream.cancel()
        reader.join(5)
        for event in events:
            print("  <- " + wrapped(json.dumps(grpc_call.to_json(event)), "     "))
        expect(len(events) == 1, f"{len(events)} events arrived")
        expect((events[0].instance_uuid, events[0].event, events[0].host) ==
               ("vm-1", "resized", "host2"), "the event's fields")
        expect(stream.code() == grpc.StatusCode.CANCELLED, f"status {stream.code().name}")
        return ("the fanout cast's arguments arrived as one InstanceEvent on the open stream, "
                "which lasts until the client cancels it")

    def run(self):
        self.step("Health: grpc.health.v1.Health/Check", self.health)
        self.step("GetInstance: a call; the oslo result (a dict) fills the response",
                  self.get_instance)
        self.step("ListInstances: renamed (name: get_instances), result_field: instances",
                  self.list_instances)
        self.step("GetConsoleOutput: routed by server_field: host, result_field: output",
                  self.console_output)
        self.step("GetDiagnostics: a method with its own version (5.1)", self.diagnostics)
        self.step("RebootInstance: a cast to one host (cast: true, server_field: host)",
                  self.reboot)
        self.step("RefreshCache: a fanout cast (fanout: true)", self.refresh)
        self.step("GetInstance of a missing instance: an oslo exception becomes a gRPC status",
                  self.not_found)
        self.step("PingAll: server streaming, GATHER over every server of the topic",
                  self.gather)
        self.step("GetCallerContext: the oslo context, built from gRPC metadata", self.context)
        self.step("WatchEvents: server streaming, SUBSCRIBE to a Python client's fanout casts",
                  self.subscribe)
        self.channel.close()
        print()
        if self.failed:
            print(f"demo: {len(self.failed)} of {self.steps} steps FAILED: "
                  + "; ".join(self.failed))
            return 1
        print(f"demo: all {self.steps} steps behaved as expected")
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="HOST:PORT of the bridge")
    parser.add_argument("--descriptor_set", action="append", required=True,
                        help="the API's FileDescriptorSet (what the bridge serves)")
    parser.add_argument("--server_log", action="append", default=[], metavar="NAME=PATH",
                        help="log of server NAME (host1, host2), for the cast checks")
    parser.add_argument("--topic", required=True, help="the API's topic, for the fanout cast")
    parser.add_argument("--transport_url", required=True, help="where to send the fanout cast")
    args = parser.parse_args()
    return Session(args).run()


if __name__ == "__main__":
    sys.exit(main())
