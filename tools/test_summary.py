#!/usr/bin/env python3
"""Prints the log of every failing test and the closing line "N passed, N failed".

Reads the test targets and their status from the `bazel test` output given as
the first argument, then counts test cases in each target's test.xml (gtest and
the Python harness write one per case; Bazel writes a single case for a binary
that crashed or timed out). Exits 1 if any test failed or no test ran.
"""
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


def main():
    targets = []
    with open(sys.argv[1], errors="replace") as log:
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
    print()
    line = f"{passed} passed, {failed} failed"
    print(line + (f", {skipped} skipped" if skipped else ""))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
