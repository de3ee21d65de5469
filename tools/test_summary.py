#!/usr/bin/env python3
"""Prints the log of every failing test and the closing line "N passed, N failed".

    test_summary.py BAZEL_LOG                  one `bazel test` run: its summary
    test_summary.py BAZEL_LOG --tally FILE --label NAME
    test_summary.py --junit XML --tally FILE --label NAME
    test_summary.py --total FILE               the closing line of all runs

Reads the test targets and their status from the `bazel test` output given as
the first argument, then counts test cases in each target's test.xml (gtest and
the Python harness write one per case; Bazel writes a single case for a binary
that crashed or timed out). With --junit it counts the cases of one JUnit XML
file instead (fuzz/run.sh writes one). With --tally the counts are added to
FILE and printed as "(NAME: ...)", so that several runs (another --config
overwrites bazel-testlogs) end in one closing line from --total.
Exits 1 if any test failed or no test ran.
"""
import argparse
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

STATUS = re.compile(r"^(//\S+)\s+(?:\(cached\) )?(PASSED|FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE|REMOTE FAILURE|FAILED TO BUILD)\b")


def target_dir(label):
    package, name = label[2:].split(":")
    return os.path.join("bazel-testlogs", package, name)


def count_cases(xml_path):
    passed = failed = skipped = 0
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None or case.get("result") == "skipped":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def bazel_counts(log_file):
    targets = []
    with open(log_file, errors="replace") as log:
        for line in log:
            m = STATUS.match(line.strip())
            if m:
                targets.append((m.group(1), m.group(2)))
    passed = failed = skipped = 0
    for label, status in targets:
        xml_path = os.path.join(target_dir(label), "test.xml")
        ok = status == "PASSED"
        p = f = s = 0
        if os.path.exists(xml_path) and status != "FAILED TO BUILD":
            try:
                p, f, s = count_cases(xml_path)
            except ET.ParseError:
                pass
        if not ok and f == 0:
            f, p = 1, 0  # crashed, timed out or did not build: count the target once
        passed, failed, skipped = passed + p, failed + f, skipped + s
        if not ok:
            log_path = os.path.join(target_dir(label), "test.log")
            print(f"\n==================== {label}: {status} ====================")
            if os.path.exists(log_path):
                with open(log_path, errors="replace") as f_log:
                    sys.stdout.write(f_log.read()[-20000:])
    return passed, failed, skipped


def line(passed, failed, skipped):
    text = f"{passed} passed, {failed} failed"
    return text + (f", {skipped} skipped" if skipped else "")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log", nargs="?", help="output of one `bazel test` run")
    parser.add_argument("--junit", help="count the cases of this JUnit XML file instead")
    parser.add_argument("--tally", help="add the counts to this file instead of closing")
    parser.add_argument("--label", default="tests", help="name of this run in --tally mode")
    parser.add_argument("--total", help="print the closing line of a tally file")
    args = parser.parse_args()

    if args.total:
        with open(args.total) as f:
            runs = [json.loads(l) for l in f if l.strip()]
        passed = sum(r["passed"] for r in runs)
        failed = sum(r["failed"] + r["broken"] for r in runs)
        skipped = sum(r["skipped"] for r in runs)
        print()
        print(line(passed, failed, skipped))
        return 0 if failed == 0 and passed > 0 else 1

    if args.junit:
        try:
            passed, failed, skipped = count_cases(args.junit)
        except (OSError, ET.ParseError) as e:
            print(f"cannot read {args.junit}: {e}")
            passed, failed, skipped = 0, 1, 0
    else:
        passed, failed, skipped = bazel_counts(args.log)
    broken = 1 if passed + failed == 0 else 0  # a run with no test counts as one failure
    if args.tally:
        with open(args.tally, "a") as f:
            f.write(json.dumps({"label": args.label, "passed": passed, "failed": failed,
                                "skipped": skipped, "broken": broken}) + "\n")
        print(f"({args.label}: {line(passed, failed, skipped)}{', ran no test' if broken else ''})")
    else:
        print()
        print(line(passed, failed, skipped))
    return 0 if failed == 0 and not broken else 1


if __name__ == "__main__":
    sys.exit(main())
