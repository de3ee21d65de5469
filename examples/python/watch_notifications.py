#!/usr/bin/python3
"""The notifications step of tools/demo.sh: a gRPC client watches oslo
notifications through grpc_amqp_bridge (a `stream: NOTIFICATIONS` method)
while a real oslo_messaging.Notifier sends some, and checks that the
stream's event-type pattern let exactly the matching ones through.

    /usr/bin/python3 examples/python/watch_notifications.py \\
        --bridge=bazel-bin/bridge/grpc_amqp_bridge \\
        --transport_url=rabbit://guest:guest@127.0.0.1:5672/ --workdir=/tmp/demo

Starts its own bridge on a free port serving the API below (on an exchange
and notification topic of this run's own) and stops it by PID; deletes the
queues oslo's Notifier declares. Exits 0 when every step behaved as
expected, 1 otherwise.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import amqp
import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from oslo_config import cfg
import oslo_messaging
import oslo_messaging.opts

PROTO = """
syntax = "proto3";
package demo.notify;
import "amqp/options.proto";
import "google/protobuf/struct.proto";

message WatchRequest {}
message InstanceEvent {
  string event_type = 1;
  string priority = 2;
  string publisher_id = 3;
  string timestamp = 4;
  google.protobuf.Value payload = 5;
}
service Watch {
  option (amqp.service) = { exchange: "EXCHANGE" };
  rpc Instances(WatchRequest) returns (stream InstanceEvent) {
    option (amqp.method) = {
      stream: NOTIFICATIONS event_type: "compute.instance.*" notification_topic: "TOPIC"
    };
  }
}
"""

SENT = [  # (priority, event type, payload); the stream wants compute.instance.*
    ("info", "compute.instance.create.end", {"instance_id": "i-1", "memory_mb": 2048}),
    ("info", "volume.delete.end", {"volume_id": "v-1"}),
    ("error", "compute.instance.delete.error", {"instance_id": "i-2", "reason": "busy"}),
]


def fail(what):
    print(f"FAILED: {what}")
    sys.exit(1)


def message_class(descriptor_set, name):
    with open(descriptor_set, "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return message_factory.MessageFactory(pool).GetPrototype(
        pool.FindMessageTypeByName(name))


def start_bridge(args, descriptor_set, log_path):
    log = open(log_path, "w")
    bridge = subprocess.Popen([args.bridge, f"--descriptor_set={descriptor_set}",
                               "--listen=127.0.0.1:0", f"--transport_url={args.transport_url}"],
                              stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        with open(log_path) as f:
            found = re.search(r"^listening on [^\s:]+:(\d+)$", f.read(), re.M)
        if found:
            return bridge, int(found.group(1))
        if bridge.poll() is not None:
            break
        time.sleep(0.1)
    stop(bridge)
    with open(log_path) as f:
        fail(f"the bridge did not start:\n{f.read()}")


def stop(process):
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def notifier(args, exchange, topic):
    conf = cfg.ConfigOpts()
    conf([])
    for group, options in oslo_messaging.opts.list_opts():
        conf.register_opts(options, group=group)
    conf.set_override("control_exchange", exchange)
    transport = oslo_messaging.get_notification_transport(conf, url=args.transport_url)
    return transport, oslo_messaging.Notifier(transport, publisher_id="compute.demo-host",
                                              driver="messagingv2", topics=[topic])


def delete_queues(args, exchange, topic):
    """The queues oslo's Notifier declares for nobody in particular."""
    host = re.sub(r"^rabbit://([^@]*@)?([^/]*)/?.*$", r"\2", args.transport_url)
    connection = amqp.Connection(host, userid="guest", password="guest", connect_timeout=5)
    connection.connect()
    channel = connection.channel()
    for priority in ("info", "error"):
        channel.queue_delete(f"{topic}.{priority}")
    channel.exchange_delete(exchange)
    connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bridge", required=True, help="the grpc_amqp_bridge binary")
    parser.add_argument("--transport_url", default="rabbit://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--options_proto_root", default="proto",
                        help="the folder holding amqp/options.proto")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    exchange, topic = f"demo_notify_{run}", f"demo_notifications_{run}"
    folder = os.path.join(args.workdir, "notify")
    os.makedirs(os.path.join(folder, "demo"), exist_ok=True)
    with open(os.path.join(folder, "demo", "watch.proto"), "w") as f:
        f.write(PROTO.replace("EXCHANGE", exchange).replace("TOPIC", topic))
    descriptor_set = os.path.join(folder, "watch.pb")
    subprocess.run(["protoc", "--include_imports", f"--descriptor_set_out={descriptor_set}",
                    f"-I{folder}", f"-I{args.options_proto_root}", "-I/usr/include",
                    "demo/watch.proto"], check=True)
    print(f"  Watch.Instances: stream: NOTIFICATIONS, event_type \"compute.instance.*\", "
          f"exchange {exchange}, keys {topic}.<priority>")
    event_class = message_class(descriptor_set, "demo.notify.InstanceEvent")
    request_class = message_class(descriptor_set, "demo.notify.WatchRequest")

    bridge, port = start_bridge(args, descriptor_set, os.path.join(folder, "bridge.log"))
    transport = None
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            watch = channel.unary_stream("/demo.notify.Watch/Instances",
                                         request_serializer=lambda m: m.SerializeToString(),
                                         response_deserializer=event_class.FromString)
            stream = watch(request_class(), timeout=30)
            stream.initial_metadata()  # the bridge's queue is bound from now on
            transport, oslo_notifier = notifier(args, exchange, topic)
            for priority, event_type, payload in SENT:
                print(f"  oslo Notifier.{priority}({event_type!r}, {json.dumps(payload)})")
                getattr(oslo_notifier, priority)({}, event_type, payload)
            wanted = [s for s in SENT if s[1].startswith("compute.instance.")]
            for priority, event_type, payload in wanted:
                event = next(stream)
                got = json_format.MessageToDict(event.payload)
                print(f"  stream <- {event.priority} {event.event_type} from "
                      f"{event.publisher_id} at {event.timestamp}: {json.dumps(got)}")
                if (event.event_type, event.priority, got) != (event_type, priority.upper(),
                                                               payload):
                    fail(f"expected {event_type} {priority.upper()} {payload}")
            stream.cancel()
        print("  volume.delete.end did not match the pattern: not streamed")
    finally:
        stop(bridge)
        if transport is not None:
            transport.cleanup()
            delete_queues(args, exchange, topic)


if __name__ == "__main__":
    main()
