#!/usr/bin/python3
"""Exits 0 once an AMQP login succeeds on the broker, 1 otherwise.

Used by tools/setup.sh and by the tests that need a broker, so that "the broker
is down" is reported as such instead of as a hang or a confusing failure.
"""
import argparse
import sys
import time

import amqp


def try_login(host, port, user, password, timeout):
    conn = amqp.Connection(f"{host}:{port}", userid=user, password=password,
                           connect_timeout=timeout)
    try:
        conn.connect()
    finally:
        conn.collect()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5672)
    parser.add_argument("--user", default="guest")
    parser.add_argument("--password", default="guest")
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="seconds for one login attempt")
    parser.add_argument("--wait", type=float, default=0.0,
                        help="keep trying for this many seconds")
    args = parser.parse_args()
    deadline = time.monotonic() + args.wait
    while True:
        try:
            try_login(args.host, args.port, args.user, args.password, args.timeout)
            return 0
        except Exception as e:  # any failure means "not yet"
            error = e
        if time.monotonic() >= deadline:
            print(f"no AMQP login on {args.host}:{args.port}: {error}", file=sys.stderr)
            return 1
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
