#!/usr/bin/python3
"""protoc-gen-amqp refuses every shape oslo cannot carry, and says why and
how to fix it: each bad/*.proto names the error it expects on its first line
("// expect: <text>"), which protoc must print while failing.
"""
import glob
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main(plugin, options_proto):
    plugin = os.path.abspath(plugin)
    proto_root = os.path.dirname(os.path.dirname(os.path.abspath(options_proto)))
    failures = []
    bad_protos = sorted(glob.glob(os.path.join(HERE, "bad", "*.proto")))
    for path in bad_protos:
        with open(path) as f:
            first = f.readline()
        if not first.startswith("// expect: "):
            failures.append(f"{path}: first line must be '// expect: <error text>'")
            continue
        expected = first[len("// expect: "):].strip()
        rel = os.path.relpath(path, HERE)
        with tempfile.TemporaryDirectory() as out:
            run = subprocess.run(
                ["/usr/bin/protoc", f"-I{HERE}", f"-I{proto_root}", "-I/usr/include",
                 f"--plugin=protoc-gen-amqp={plugin}", f"--amqp_out={out}", rel],
                cwd=HERE, capture_output=True, text=True, timeout=60)
            if run.returncode == 0:
                failures.append(f"{rel}: protoc succeeded, expected: {expected}")
            elif expected not in run.stderr:
                failures.append(f"{rel}: expected\n  {expected}\ngot\n  {run.stderr.strip()}")
            elif os.listdir(out):
                failures.append(f"{rel}: files were written despite the error")
    for failure in failures:
        print(failure)
    print(f"{len(bad_protos) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures or not bad_protos else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
