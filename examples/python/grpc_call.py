#!/usr/bin/python3
"""Calls one gRPC method of a server (the bridge or any other) from a
descriptor set, with the request and the answer as JSON: a small stand-in for
grpcurl, which Debian 12 does not ship.

    /usr/bin/python3 examples/python/grpc_call.py --target=127.0.0.1:50051 \\
        --descriptor_set=api.pb --metadata=x-request-id=req-1 \\
        examples.compute.Compute/GetInstance '{"instance_uuid": "vm-1"}'

Prints each response message as JSON on stdout (one per line for streams) and
the response headers and trailers whose names start with "x-" on stderr. A
failed call prints "ERROR <CODE>: <message>" and the google.rpc.ErrorInfo of
the status details on stderr and exits 1.

The message classes come from the descriptor set at run time, so no code is
generated for the .proto (generated Python code for a .proto that imports
"amqp/options.proto" would need a Python package named `amqp`, which clashes
with py-amqp, the library oslo.messaging uses). Other scripts import this
file for load_messages(), method_stub() and error_info().

Runs with Debian's /usr/bin/python3 (python3-grpcio, python3-protobuf).
"""
import argparse
import json
import sys

import grpc
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory


class Messages:
    """The messages and services of one or more FileDescriptorSet files."""

    def __init__(self, descriptor_set_paths):
        self.pool = descriptor_pool.DescriptorPool()
        added = set()
        for path in descriptor_set_paths:
            with open(path, "rb") as f:
                files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
            for file in files.file:
                if file.name not in added:  # a set may repeat another's imports
                    self.pool.Add(file)
                    added.add(file.name)
        self._factory = message_factory.MessageFactory(self.pool)

    def message_class(self, full_name):
        """The class of a message type, e.g. "google.protobuf.Empty"."""
        return self._factory.GetPrototype(self.pool.FindMessageTypeByName(full_name))

    def method(self, name):
        """A method by "package.Service/Method" (or "/package.Service/Method",
        or "package.Service.Method")."""
        name = name.lstrip("/")
        service, _, method = name.replace("/", ".").rpartition(".")
        return self.pool.FindServiceByName(service).methods_by_name[method]


def load_messages(descriptor_set_paths):
    return Messages(descriptor_set_paths)


def method_stub(channel, messages, method):
    """A callable for `method` (a MethodDescriptor of `messages`) on
    `channel`. Requests and responses are message objects."""
    response_class = messages.message_class(method.output_type.full_name)
    path = f"/{method.containing_service.full_name}/{method.name}"
    make = channel.unary_stream if method.server_streaming else channel.unary_unary
    if method.client_streaming:
        make = channel.stream_stream if method.server_streaming else channel.stream_unary
    return make(path, request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=response_class.FromString)


def to_json(message):
    """A message as proto3 JSON with the .proto's field names (as a dict)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def _status_messages():
    """google.rpc.Status and google.rpc.ErrorInfo, defined here so that no
    googleapis files are needed (the field numbers are googleapis')."""
    pool = descriptor_pool.DescriptorPool()
    any_file = descriptor_pb2.FileDescriptorProto()
    any_pb2.DESCRIPTOR.CopyToProto(any_file)
    pool.Add(any_file)
    rpc = descriptor_pb2.FileDescriptorProto(
        name="grpc_call/google_rpc.proto", package="google.rpc", syntax="proto3",
        dependency=["google/protobuf/any.proto"])
    F = descriptor_pb2.FieldDescriptorProto
    status = rpc.message_type.add(name="Status")
    status.field.add(name="code", number=1, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    status.field.add(name="message", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    status.field.add(name="details", number=3, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
                     type_name=".google.protobuf.Any")
    info = rpc.message_type.add(name="ErrorInfo")
    info.field.add(name="reason", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    info.field.add(name="domain", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    pool.Add(rpc)
    factory = message_factory.MessageFactory(pool)
    return (factory.GetPrototype(pool.FindMessageTypeByName("google.rpc.Status")),
            factory.GetPrototype(pool.FindMessageTypeByName("google.rpc.ErrorInfo")))


_STATUS, _ERROR_INFO = _status_messages()


def error_info(error):
    """(reason, domain) of the google.rpc.ErrorInfo in a failed call's
    grpc-status-details-bin trailer, or None."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in _STATUS.FromString(value).details:
                if detail.type_url.endswith("/google.rpc.ErrorInfo"):
                    info = _ERROR_INFO.FromString(detail.value)
                    return info.reason, info.domain
    return None


def _x_headers(pairs):
    return [(k, v) for k, v in pairs or () if k.startswith("x-")]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="127.0.0.1:50051", help="HOST:PORT of the server")
    parser.add_argument("--descriptor_set", action="append", required=True,
                        help="FileDescriptorSet (protoc --include_imports "
                             "--descriptor_set_out); repeatable")
    parser.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE",
                        help="request metadata, e.g. x-amqp-server=host1; repeatable")
    parser.add_argument("--timeout", type=float, default=30, help="deadline in seconds")
    parser.add_argument("method", help="package.Service/Method")
    parser.add_argument("request", nargs="?", default="{}", help="the request as JSON")
    args = parser.parse_args()

    messages = load_messages(args.descriptor_set)
    try:
        method = messages.method(args.method)
    except KeyError:
        sys.exit(f"grpc_call: no method {args.method} in the descriptor sets")
    if method.client_streaming:
        sys.exit(f"grpc_call: {args.method} is client-streaming; only unary requests are sent")
    request = json_format.Parse(args.request, messages.message_class(method.input_type.full_name)())
    metadata = [tuple(m.split("=", 1)) for m in args.metadata]
    with grpc.insecure_channel(args.target) as channel:
        stub = method_stub(channel, messages, method)
        try:
            if method.server_streaming:
                call = stub(request, timeout=args.timeout, metadata=metadata)
                for response in call:
                    print(json.dumps(to_json(response)), flush=True)
            else:
                response, call = stub.with_call(request, timeout=args.timeout, metadata=metadata)
                print(json.dumps(to_json(response)))
            for key, value in _x_headers(call.initial_metadata()) + _x_headers(
                    call.trailing_metadata()):
                print(f"{key}: {value}", file=sys.stderr)
        except grpc.RpcError as error:
            print(f"ERROR {error.code().name}: {error.details()}", file=sys.stderr)
            for key, value in _x_headers(error.initial_metadata()):
                print(f"{key}: {value}", file=sys.stderr)
            info = error_info(error)
            if info:
                print(f"ErrorInfo: reason={info[0]} domain={info[1]}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
