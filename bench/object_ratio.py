#!/usr/bin/python3
"""What (amqp.object) costs, as ratios: runs bench/micro_objects several
times, each run with its rows' repetitions randomly interleaved (so that the
object and the plain row of an operation share the machine's ups and downs),
and prints per operation the ratio object / plain of the median CPU times of
each run, their median and their spread (min..max).

    bazel build -c opt //bench:micro_objects
    /usr/bin/python3 bench/object_ratio.py [--runs=5] [--repetitions=10]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = os.path.join(HERE, "..", "bazel-bin", "bench", "micro_objects")
TARGET = 1.3


def one_run(binary, repetitions, min_time):
    done = subprocess.run(
        [binary, "--benchmark_format=json", "--benchmark_enable_random_interleaving=true",
         f"--benchmark_repetitions={repetitions}", f"--benchmark_min_time={min_time}"],
        capture_output=True, text=True, check=True, timeout=600)
    times = {}
    for row in json.loads(done.stdout)["benchmarks"]:
        if row.get("run_type") != "iteration":
            continue
        times.setdefault(row["run_name"], []).append(row["cpu_time"])
    ratios = {}
    for name, object_times in times.items():
        if not name.endswith("/object"):
            continue
        operation = name[:-len("/object")]
        plain = statistics.median(times[operation + "/plain"])
        ratios[operation] = statistics.median(object_times) / plain
    return ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=BINARY)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--min_time", type=float, default=0.05)
    args = parser.parse_args()
    runs = [one_run(args.binary, args.repetitions, args.min_time) for _ in range(args.runs)]
    print(f"object / plain CPU time, {args.runs} runs of {args.repetitions} interleaved "
          f"repetitions (target <= {TARGET})")
    print("| operation | median | spread | runs |")
    print("|---|---:|---:|---|")
    worst = 0.0
    for operation in sorted(runs[0]):
        ratios = [run[operation] for run in runs]
        median = statistics.median(ratios)
        worst = max(worst, median)
        print(f"| {operation} | {median:.2f} | {min(ratios):.2f}..{max(ratios):.2f} | "
              + " ".join(f"{r:.2f}" for r in ratios) + " |")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
