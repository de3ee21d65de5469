#!/usr/bin/python3
"""Generated code matches the checked-in golden files.

After an intended change of the generator, refresh them with
tools/update_goldens.sh and review the diff like any other code change.
"""
import difflib
import os
import sys

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")


def main(generated_files):
    checked = 0
    failures = []
    for path in generated_files:
        name = os.path.basename(path)
        if not name.endswith((".amqp.h", ".amqp.cc")):
            continue
        golden_path = os.path.join(GOLDEN_DIR, name)
        with open(path) as f:
            generated = f.read()
        if not os.path.exists(golden_path):
            failures.append(f"{name}: no golden file {golden_path}")
            continue
        with open(golden_path) as f:
            golden = f.read()
        checked += 1
        if generated != golden:
            diff = "".join(difflib.unified_diff(
                golden.splitlines(True), generated.splitlines(True),
                f"golden/{name}", f"generated/{name}"))
            failures.append(f"{name} differs from its golden file:\n{diff}")
    for failure in failures:
        print(failure)
    if checked == 0:
        failures.append("no generated .amqp.h/.amqp.cc files were given")
    print(f"{checked - len(failures)} passed, {len(failures)} failed")
    if failures:
        print("If the change is intended: tools/update_goldens.sh")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
