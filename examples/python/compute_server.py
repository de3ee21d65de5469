#!/usr/bin/python3
"""The example compute service (proto/examples/compute.proto) as a Python
oslo.messaging RPC server: what a nova-compute host looks like on the wire.

It is the Python peer of the C++ example server (examples/cpp): both answer
the same oslo methods, so gRPC clients of the bridge cannot tell them apart.
Run with Debian's Python (python3-oslo.messaging):

    /usr/bin/python3 examples/python/compute_server.py \
        --transport_url rabbit://guest:guest@127.0.0.1:5672/ --server host1

It prints "ready" once it consumes, and stops cleanly on SIGINT or SIGTERM.
"""
import argparse
import signal
import threading
import time

from oslo_config import cfg
import oslo_messaging


class InstanceNotFound(Exception):
    """nova.exception.InstanceNotFound, as far as the wire is concerned."""


class ComputeEndpoint:
    target = oslo_messaging.Target(version="5.1")

    def __init__(self, host):
        self.host = host
        self.instances = {
            "vm-1": {"uuid": "vm-1", "name": "web", "host": host, "power_state": "RUNNING",
                     "flavor": {"name": "m1.small", "vcpus": 1, "memory_mb": 2048},
                     "tags": ["frontend"], "launched_at": "2026-11-24T08:00:00Z"},
            "vm-2": {"uuid": "vm-2", "name": "db", "host": host, "power_state": "SHUTDOWN",
                     "flavor": {"name": "m1.large", "vcpus": 4, "memory_mb": 8192,
                                "extra_specs": {"hw:cpu_policy": "dedicated"}},
                     "tags": [], "metadata": {"backup": True}},
        }
        self.events = []

    def _instance(self, instance_uuid):
        try:
            return self.instances[instance_uuid]
        except KeyError:
            raise InstanceNotFound(f"Instance {instance_uuid} could not be found.")

    def get_instance(self, ctxt, instance_uuid):
        return self._instance(instance_uuid)

    def get_instances(self, ctxt, power_state=None, limit=0):
        found = [i for i in self.instances.values()
                 if power_state in (None, i["power_state"])]
        return found[:limit] if limit else found

    def reboot_instance(self, ctxt, instance_uuid, reboot_type="SOFT"):
        self._instance(instance_uuid)
        print(f"cast reboot_instance {instance_uuid} {reboot_type} "
              f"(request {ctxt.get('request_id')})", flush=True)

    def get_console_output(self, ctxt, instance_uuid, tail_length=None):
        lines = [f"[    0.0{n}] {self._instance(instance_uuid)['name']} boot line {n}"
                 for n in range(5)]
        return "\n".join(lines[-tail_length:] if tail_length else lines)

    def get_diagnostics(self, ctxt, instance_uuid):
        self._instance(instance_uuid)
        return {"state": "running", "uptime_seconds": 3600, "cpu_utilisation": 0.25,
                "nics": [{"mac_address": "fa:16:3e:00:00:01", "rx_octets": 2 ** 40,
                          "tx_octets": 12345}]}

    def snapshot_instance(self, ctxt, instance_uuid, seconds=0.0):
        self._instance(instance_uuid)
        time.sleep(seconds)
        return {"instance_uuid": instance_uuid, "image_id": f"snap-{instance_uuid}"}

    def get_caller_context(self, ctxt):
        return ctxt

    def refresh_cache(self, ctxt, reason=""):
        print(f"fanout refresh_cache {reason!r}", flush=True)

    def ping(self, ctxt, payload=""):
        return {"host": self.host, "payload": payload}

    def ping_all(self, ctxt, payload=""):
        return {"host": self.host, "payload": payload}

    def set_host_enabled(self, ctxt, enabled=True, reason=""):
        """Reached by a call, a call to every server, a cast and a fanout cast."""
        print(f"set_host_enabled {str(enabled).lower()} {reason!r} "
              f"(request {ctxt.get('request_id')})", flush=True)
        return {"host": self.host, "enabled": enabled}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport_url", default="rabbit://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--exchange", default="openstack")
    parser.add_argument("--topic", default="compute")
    parser.add_argument("--server", default="host1")
    args = parser.parse_args()

    conf = cfg.ConfigOpts()
    conf([])
    transport = oslo_messaging.get_rpc_transport(conf, url=args.transport_url)
    target = oslo_messaging.Target(exchange=args.exchange, topic=args.topic,
                                   server=args.server)
    server = oslo_messaging.get_rpc_server(
        transport, target, [ComputeEndpoint(args.server)], executor="threading")
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
    main()
