#!/usr/bin/python3
"""The oslo python row's load generator: python3-oslo.messaging's RPCClient
calling `ping` on the example compute servers, from N threads (the client is
thread-safe and shares one reply queue, as in a real service).

    /usr/bin/python3 bench/oslo_python_load.py --topic T --mode latency --calls 500
    /usr/bin/python3 bench/oslo_python_load.py --topic T --mode throughput --in_flight 16

Prints one JSON line like the C++ load generators (bench/load_stats.h).
"""
import argparse
import json
import sys
import threading
import time

from oslo_config import cfg
import oslo_messaging
from oslo_messaging._metrics import client as metrics_client


def make_client(url, topic):
    conf = cfg.ConfigOpts()
    conf([])
    # RPCClient reads these, but oslo.messaging registers them on cfg.CONF only.
    conf.register_opts(metrics_client.oslo_messaging_metrics, group="oslo_messaging_metrics")
    conf.set_override("metrics_thread_stop_timeout", 1, group="oslo_messaging_metrics")
    transport = oslo_messaging.get_rpc_transport(conf, url=url)
    target = oslo_messaging.Target(topic=topic, version="5.0")
    return transport, oslo_messaging.get_rpc_client(transport, target, timeout=30)


def percentile(sorted_values, p):
    rank = min(max(int(p * len(sorted_values) + 0.5), 1), len(sorted_values))
    return sorted_values[rank - 1]


# As kQuantiles in bench/load_stats.h: the latency distribution's points.
QUANTILES = (0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99,
             0.999)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport_url", default="rabbit://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--topic", default="compute")
    parser.add_argument("--mode", choices=("latency", "throughput"), default="latency")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--in_flight", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--warmup_seconds", type=float, default=0.5)
    parser.add_argument("--payload_bytes", type=int, default=64)
    args = parser.parse_args()

    transport, client = make_client(args.transport_url, args.topic)
    payload = "x" * args.payload_bytes
    result = {"mode": args.mode, "calls": 0, "errors": 0, "all_calls": 0}
    try:
        start = time.monotonic()
        measure_from = start + args.warmup_seconds
        if args.mode == "latency":
            latencies = []
            while time.monotonic() < measure_from:
                client.call({}, "ping", payload=payload)
            began = time.monotonic()
            while len(latencies) + result["errors"] < args.calls:
                sent = time.monotonic()
                reply = client.call({}, "ping", payload=payload)
                if reply.get("payload") == payload:
                    latencies.append((time.monotonic() - sent) * 1e6)
                else:
                    result["errors"] += 1
            elapsed = time.monotonic() - began
            latencies.sort()
            result.update(calls=len(latencies), seconds=round(elapsed, 3),
                          throughput=round(len(latencies) / elapsed, 1),
                          p50_us=round(percentile(latencies, 0.50), 1),
                          p99_us=round(percentile(latencies, 0.99), 1),
                          mean_us=round(sum(latencies) / len(latencies), 1),
                          quantiles_us=[round(percentile(latencies, q), 1)
                                        for q in QUANTILES])
        else:
            measure_until = measure_from + args.seconds
            lock = threading.Lock()

            def worker():
                while True:
                    reply = client.call({}, "ping", payload=payload)
                    now = time.monotonic()
                    with lock:
                        result["all_calls"] += 1
                    if measure_from <= now < measure_until:
                        with lock:
                            if reply.get("payload") == payload:
                                result["calls"] += 1
                            else:
                                result["errors"] += 1
                    if now >= measure_until:
                        return

            threads = [threading.Thread(target=worker) for _ in range(args.in_flight)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            result.update(seconds=args.seconds,
                          throughput=round(result["calls"] / args.seconds, 1))
    finally:
        transport.cleanup()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
