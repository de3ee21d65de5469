#!/usr/bin/python3
"""A Python oslo.messaging RPC server for tests/bridge/callctl_test.py, with
two version-checking endpoints as a service in a rolling upgrade has them:
one at 5.3 and one at 6.1 (oslo's dispatcher picks the endpoint compatible
with the request's version). Each method answers which endpoint ran it, and
prints `called <method> <endpoint> <marker>` before it starts, so a test sees
what reached the server; `slow` also answers oslo's ctxt["client_timeout"]
(the call-monitor timeout the client sent as `_timeout`).

    callctl_server.py --topic T --server S   (on harness.TRANSPORT_URL)
"""
import argparse
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import harness  # noqa: E402

import oslo_messaging  # noqa: E402


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
    parser.add_argument("--topic", required=True)
    parser.add_argument("--server", required=True)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    transport = harness.make_transport()
    server = harness.PythonServer(transport, args.topic, args.server,
                                  [Endpoint("5.3"), Endpoint("6.1")])
    print("ready", flush=True)
    stop.wait()
    server.stop()
    transport.cleanup()


if __name__ == "__main__":
    sys.exit(main())
