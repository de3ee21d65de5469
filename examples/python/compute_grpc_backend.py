#!/usr/bin/python3
"""The example compute service (proto/examples/compute.proto) as a plain
gRPC server in Python: what a nova-compute API re-implemented in gRPC looks
like. It knows nothing of oslo.messaging; `grpc_amqp_bridge --backend`
serves it to oslo callers (docs/reverse.md). Messages come from the
descriptor set at run time (python3-grpcio, python3-protobuf):

    /usr/bin/python3 examples/python/compute_grpc_backend.py \
        --descriptor_set compute.pb --listen 127.0.0.1:0

It prints "listening on HOST:PORT" and stops cleanly on SIGINT or SIGTERM.
"""
import argparse
import json
import signal
import threading
from concurrent import futures

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

SERVICE = "examples.compute.Compute"


def load_messages(path):
    with open(path, "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    factory = message_factory.MessageFactory(pool)
    return lambda name: factory.GetPrototype(pool.FindMessageTypeByName(name))


class ComputeBackend:
    def __init__(self, message):
        self.m = message
        self.instances = {
            "vm-1": {"uuid": "vm-1", "name": "web", "power_state": "RUNNING",
                     "flavor": {"name": "m1.small", "vcpus": 1, "memory_mb": "2048"},
                     "tags": ["frontend"]},
            "vm-2": {"uuid": "vm-2", "name": "db", "power_state": "SHUTDOWN",
                     "flavor": {"name": "m1.large", "vcpus": 4, "memory_mb": "8192"}},
        }

    def instance(self, uuid, context):
        if uuid not in self.instances:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Instance {uuid} could not be found.")
        return json_format.ParseDict(self.instances[uuid], self.m(f"examples.compute.Instance")())

    def GetInstance(self, request, context):
        return self.instance(request.instance_uuid, context)

    def ListInstances(self, request, context):
        response = self.m("examples.compute.ListInstancesResponse")()
        for uuid in sorted(self.instances):
            response.instances.append(self.instance(uuid, context))
        return response

    def GetConsoleOutput(self, request, context):
        self.instance(request.instance_uuid, context)
        return self.m("examples.compute.ConsoleOutput")(
            output=f"[{request.host or 'any host'}] console of {request.instance_uuid}")

    def RebootInstance(self, request, context):
        self.instance(request.instance_uuid, context)
        metadata = dict(context.invocation_metadata())
        print(f"reboot_instance {request.instance_uuid} on '{request.host}' "
              f"(request {metadata.get('x-request-id')})", flush=True)
        return self.m("google.protobuf.Empty")()

    def GetCallerContext(self, request, context):
        struct = self.m("google.protobuf.Struct")()
        struct.update(json.loads(dict(context.invocation_metadata()).get("x-oslo-context", "{}")))
        return struct

    def Ping(self, request, context):
        return self.m("examples.compute.PingReply")(host="grpc-backend", payload=request.payload)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor_set", required=True)
    parser.add_argument("--listen", default="127.0.0.1:0")
    args = parser.parse_args()
    message = load_messages(args.descriptor_set)
    backend = ComputeBackend(message)
    requests = {"GetInstance": "GetInstanceRequest", "ListInstances": "ListInstancesRequest",
                "GetConsoleOutput": "GetConsoleOutputRequest",
                "RebootInstance": "RebootInstanceRequest",
                "GetCallerContext": "google.protobuf.Empty", "Ping": "PingRequest"}
    handlers = {}
    for method, request in requests.items():
        full = request if "." in request else f"examples.compute.{request}"
        handlers[method] = grpc.unary_unary_rpc_method_handler(
            getattr(backend, method), request_deserializer=message(full).FromString,
            response_serializer=lambda r: r.SerializeToString())
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    host = args.listen.rsplit(":", 1)[0]
    port = server.add_insecure_port(args.listen)
    server.start()
    print(f"listening on {host}:{port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(1).wait()


if __name__ == "__main__":
    main()
