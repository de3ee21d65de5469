#!/usr/bin/python3
"""A Python oslo.messaging RPC server for tests/bridge/callctl_test.py, with
two version-checking endpoints as a service in a rolling upgrade has them:
one at 5.3 and one at 6.1 (oslo's dispatcher picks the endpoint compatible
with the request's version). Each method answers which endpoint ran it, and
prints `called <method> <endpoint> <marker>` before it starts, so a test sees
what reached the server; `slow` also answers oslo's ctxt["client_timeout"]
(the call-monitor timeout the client sent as `_timeout`).

    callctl_server.py --transport_url URL --topic T --server S
"""
import argparse
import signal
import sys
import threading
import time

import oslo_messaging
from oslo_config import cfg


def log(method, endpoint, kwargs):
    print(f"called {method} {endpoint} {kwargs.get('marker', '')}", flush=True)


class Endpoint:
    def __init__(self, version):
        self.target = oslo_messaging.Target(version=version)
        self.version = version

    def reboot(self, ctxt, **kwargs):
        log("reboot", self.version, kwargs)
        return {"endpoint": self.version}

    def get_console(self, ctxt, **kwargs):
        log("get_console", self.version, kwargs)
        return {"endpoint": self.version}

    def record(self, ctxt, **kwargs):
        log("record", self.version, kwargs)

    def slow(self, ctxt, seconds=0, **kwargs):
        log("slow", self.version, kwargs)
        time.sleep(seconds)
        return {"endpoint": self.version, "client_timeout": ctxt.get("client_timeout")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport_url", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--server", required=True)
    args = parser.parse_args()
    conf = cfg.ConfigOpts()
    conf([])
    transport = oslo_messaging.get_rpc_transport(conf, url=args.transport_url)
    target = oslo_messaging.Target(topic=args.topic, server=args.server)
    server = oslo_messaging.get_rpc_server(
        transport, target, [Endpoint("5.3"), Endpoint("6.1")], executor="threading")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    print("ready", flush=True)
    stop.wait()
    server.stop()
    server.wait()
    transport.cleanup()


if __name__ == "__main__":
    sys.exit(main())
