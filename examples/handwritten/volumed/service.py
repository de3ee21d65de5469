"""volumed's entry point: reads its oslo.config file and serves the volume
manager over oslo.messaging RPC on topic `volume_topic`, as server `host`.

    cd examples/handwritten
    /usr/bin/python3 -m volumed.service --config-file volume.conf

Prints "volumed: serving ..." once it consumes; stops on SIGINT or SIGTERM.
"""
import signal
import socket
import sys
import threading

from oslo_config import cfg
import oslo_messaging

from volumed import manager

OPTS = [
    cfg.StrOpt("host", default=socket.gethostname(),
               help="Name of this node: the server of its RPC target."),
    cfg.StrOpt("volume_topic", default="volume", help="The RPC topic volumed serves."),
    cfg.IntOpt("quota_gigabytes", default=1000, help="Gigabytes all volumes may use."),
]
CONF = cfg.CONF
CONF.register_opts(OPTS)


def main():
    # Like Cinder ("cinder"), volumed has an exchange of its own by default.
    oslo_messaging.set_transport_defaults(control_exchange="storage")
    CONF(sys.argv[1:], project="volumed")
    transport = oslo_messaging.get_rpc_transport(CONF)
    target = oslo_messaging.Target(topic=CONF.volume_topic, server=CONF.host)
    endpoints = [manager.VolumeManager(CONF.host, CONF.quota_gigabytes)]
    server = oslo_messaging.get_rpc_server(transport, target, endpoints, executor="threading")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    print(f"volumed: serving topic '{CONF.volume_topic}' as server '{CONF.host}' "
          f"on exchange '{CONF.control_exchange}'", flush=True)
    stop.wait()
    server.stop()
    server.wait()
    transport.cleanup()


if __name__ == "__main__":
    main()
