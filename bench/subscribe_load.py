#!/usr/bin/python3
"""The SUBSCRIBE row of the benchmarks: how fast fanout casts reach a gRPC
stream through the bridge, and how long each takes from cast to receipt.

Opens Compute.WatchEvents on a bridge (python3-grpcio), waits for the
response headers (the bridge sends them once its queue is consumed, so every
cast from then on reaches the stream), runs the caster given after `--`
(`oslo_load --mode=publish`: InstanceEvents whose instance_uuid is the time
of the cast in Unix nanoseconds), and reads the stream until every event the
caster published came, or nothing came for --idle_seconds.

    /usr/bin/python3 bench/subscribe_load.py --port 50051 -- \\
        bazel-bin/bench/oslo_load --topic=T --mode=publish --in_flight=4

Prints one JSON line like the load generators (bench/load_stats.h):
"calls" = events received, "throughput" = events/s between the first and
the last receipt, latencies from cast to receipt, "errors" = published
events that never came.
"""
import argparse
import json
import subprocess
import sys
import threading
import time

import grpc

WATCH_PATH = "/examples.compute.Compute/WatchEvents"
# As kQuantiles in bench/load_stats.h.
QUANTILES = (0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99,
             0.999)


def percentile(sorted_values, p):
    rank = min(max(int(p * len(sorted_values) + 0.5), 1), len(sorted_values))
    return sorted_values[rank - 1]


def cast_time_ns(message):
    """InstanceEvent.instance_uuid (field 1, a string) as an integer."""
    if not message or message[0] != 0x0A:
        raise ValueError(f"not a timed InstanceEvent: {message[:40]!r}")
    length, shift, i = 0, 0, 1
    while True:
        byte = message[i]
        length |= (byte & 0x7F) << shift
        shift += 7
        i += 1
        if not byte & 0x80:
            break
    return int(message[i:i + length])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="the bridge's gRPC port")
    parser.add_argument("--idle_seconds", type=float, default=5,
                        help="stop waiting once no event came for this long")
    parser.add_argument("caster", nargs=argparse.REMAINDER,
                        help="-- and the caster's command line")
    args = parser.parse_args()
    caster = args.caster[1:] if args.caster[:1] == ["--"] else args.caster
    if not caster:
        parser.error("no caster command after --")

    received = []  # (receipt ns, cast ns)
    lock = threading.Lock()
    with grpc.insecure_channel(f"127.0.0.1:{args.port}") as channel:
        watch = channel.unary_stream(WATCH_PATH, request_serializer=lambda b: b,
                                     response_deserializer=lambda b: b)
        call = watch(b"", timeout=3600)
        call.initial_metadata()  # the bridge's queue is consumed

        def read():
            try:
                for message in call:
                    now = time.time_ns()
                    with lock:
                        received.append((now, cast_time_ns(message)))
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.CANCELLED:
                    raise

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        done = subprocess.run(caster, capture_output=True, text=True, timeout=600)
        lines = [l for l in done.stdout.splitlines() if l.startswith("{")]
        if done.returncode != 0 or not lines:
            sys.exit(f"caster failed ({done.returncode}): {done.stdout[-500:]}"
                     f"{done.stderr[-1500:]}")
        published = json.loads(lines[-1])
        last_count, last_change = -1, time.monotonic()
        while True:
            with lock:
                count = len(received)
            if count >= published["calls"]:
                break
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif time.monotonic() - last_change > args.idle_seconds:
                break
            time.sleep(0.05)
        call.cancel()
        reader.join(timeout=5)
    with lock:
        events = list(received)
    if not events:
        sys.exit(f"no event reached the stream ({published['calls']} published)")
    latencies = sorted((now - sent) / 1000 for now, sent in events)
    span = (events[-1][0] - events[0][0]) / 1e9
    result = {"mode": "subscribe", "published": published["calls"], "calls": len(events),
              "errors": max(0, published["calls"] - len(events)),
              "seconds": round(span, 3),
              "throughput": round(len(events) / span, 1) if span > 0 else 0.0,
              "p50_us": round(percentile(latencies, 0.50), 1),
              "p99_us": round(percentile(latencies, 0.99), 1),
              "quantiles_us": [round(percentile(latencies, q), 1) for q in QUANTILES]}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
