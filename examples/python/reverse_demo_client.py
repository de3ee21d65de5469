#!/usr/bin/python3
"""The demo's reverse step: a python3-oslo.messaging client calls the
example compute API, as nova's callers would, and the answers come from a
gRPC server (examples/python/compute_grpc_backend.py) through
`grpc_amqp_bridge --backend` (docs/reverse.md). Prints each call and its
answer, checks them, and exits non-zero on the first wrong one:

    /usr/bin/python3 examples/python/reverse_demo_client.py \
        --transport_url rabbit://guest:guest@127.0.0.1:5672/ --topic compute_grpc \
        --server grpchost --backend_log backend.log
"""
import argparse
import sys
import time

from oslo_config import cfg
import oslo_messaging

CONTEXT = {"request_id": "req-reverse-demo", "user_id": "demo", "project_id": "p1"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport_url", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--server", required=True, help="the bridge's --server_name")
    parser.add_argument("--backend_log", required=True, help="where the backend prints casts")
    args = parser.parse_args()
    # cfg.CONF: RPCClient reads options oslo.messaging registers only there.
    conf = cfg.CONF
    conf([])
    transport = oslo_messaging.get_rpc_transport(conf, url=args.transport_url)
    client = oslo_messaging.get_rpc_client(
        transport, oslo_messaging.Target(topic=args.topic, version="5.0"), timeout=15)
    failures = 0

    def check(what, got, ok):
        nonlocal failures
        print(f"  {what}\n    -> {got!r}")
        if not ok:
            failures += 1
            print("    WRONG", flush=True)

    got = client.call(CONTEXT, "get_instance", instance_uuid="vm-1")
    check("call get_instance(instance_uuid='vm-1')", got,
          got["name"] == "web" and got["power_state"] == "RUNNING")
    got = client.call(CONTEXT, "get_instances")
    check("call get_instances()  (result_field: the list)", [i["uuid"] for i in got],
          [i["uuid"] for i in got] == ["vm-1", "vm-2"])
    got = client.prepare(server=args.server).call(CONTEXT, "get_console_output",
                                                   instance_uuid="vm-2")
    check(f"call get_console_output on {args.topic}.{args.server}  (server_field: host)", got,
          got == f"[{args.server}] console of vm-2")
    got = client.call(CONTEXT, "get_caller_context")
    check("call get_caller_context()  (the oslo context as metadata)", got,
          got.get("request_id") == "req-reverse-demo" and got.get("user_id") == "demo")
    client.prepare(server=args.server).cast(CONTEXT, "reboot_instance", instance_uuid="vm-1",
                                            reboot_type="HARD")
    deadline = time.monotonic() + 10
    seen = ""
    while time.monotonic() < deadline and "reboot_instance vm-1" not in seen:
        with open(args.backend_log) as f:
            seen = f.read()
        time.sleep(0.1)
    check("cast reboot_instance(instance_uuid='vm-1', reboot_type='HARD')",
          "the backend printed it" if "reboot_instance vm-1" in seen else "not seen",
          f"reboot_instance vm-1 on '{args.server}'" in seen)
    try:
        client.call(CONTEXT, "get_instance", instance_uuid="vm-9")
        check("call get_instance(instance_uuid='vm-9')", "no error", False)
    except oslo_messaging.RemoteError as e:
        check("call get_instance(instance_uuid='vm-9')  (gRPC NOT_FOUND)",
              f"RemoteError {e.exc_type}: {e.value}", e.exc_type == "NOT_FOUND")
    try:
        client.call(CONTEXT, "no_such_method")
        check("call no_such_method()", "no error", False)
    except oslo_messaging.RemoteError as e:
        check("call no_such_method()", f"RemoteError {e.exc_type}", e.exc_type == "NoSuchMethod")
    transport.cleanup()
    print(f"reverse session: {failures} wrong answer(s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
