#!/usr/bin/python3
"""A new user's path through the docs, as written: a fresh Bazel workspace
that uses this repository through `local_repository`, with the README's
WORKSPACE and .bazelrc and docs/plugin.md's .proto, BUILD file, C++ server
and C++ typed client, built by a Bazel of its own and run against RabbitMQ,
the C++ client and a Python oslo.messaging peer each way; then the bridge and
the descriptor set, built from that workspace too.

Every file and command comes from the Markdown: a fenced block preceded by

    <!-- new-user-file: PATH -->     the block is the workspace's file PATH
    <!-- new-user-commands -->       shell lines to run in the workspace
    <!-- new-user-python -->         a Python oslo.messaging client to run
    <!-- new-user-output -->         what the block before it prints

so a doc edit that breaks the path fails here. The test changes only what
must differ per run: the checkout's path (for /path/to/grpc-amqp-bridge) and
the topic (for "greeter", so that runs never share queues).

The nested Bazel has its own output_user_root under TEST_TMPDIR, reads the
user's ~/.bazelrc of the real home (the shared disk cache lives there), and
is shut down at the end. Needs the tags "local" and "no-sandbox".
"""
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import harness  # noqa: E402

import oslo_messaging  # noqa: E402

BLOCK = re.compile(r"<!-- new-user-(file: (?P<path>\S+)|commands|python|output) -->\n"
                   r"```[^\n]*\n(?P<body>.*?)^```", re.DOTALL | re.MULTILINE)
CHECKOUT_PLACEHOLDER = "/path/to/grpc-amqp-bridge"
DOC_TOPIC = "greeter"
BUILD_LIMIT = 45 * 60  # seconds: a first build compiles the whole runtime
RUN_LIMIT = 30


def blocks(markdown):
    """[(kind, path or None, body)] of the marked blocks, in order."""
    found = []
    for m in BLOCK.finditer(markdown):
        kind = "file" if m.group("path") else m.group(1)
        found.append((kind, m.group("path"), m.group("body")))
    return found


def replace_once_or_more(text, old, new, where):
    if old not in text:
        raise AssertionError(f"{where} no longer contains {old!r}; update this test's substitution")
    return text.replace(old, new)


def remove_tree(path):
    """rmtree that also removes the read-only files Bazel's install base has."""
    def writable(func, p, _):
        os.chmod(os.path.dirname(p), stat.S_IRWXU)
        os.chmod(p, stat.S_IRWXU)
        func(p)
    shutil.rmtree(path, onerror=writable)


class Greeter:
    """The Python oslo server the C++ client reaches as server py1."""

    def say_hello(self, ctxt, name):
        return {"message": f"Hi {name}, from Python ({ctxt.get('request_id')})"}


class NewUserPathTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        readme = harness.runfile("README.md")
        plugin = harness.runfile("docs/plugin.md")
        # The runfiles are links into the checkout this test belongs to.
        cls.checkout = os.path.dirname(os.path.realpath(readme))
        cls.blocks = []
        for doc in (readme, plugin):
            with open(doc) as f:
                cls.blocks += [(os.path.basename(doc), *b) for b in blocks(f.read())]
        cls.topic = harness.unique("new_user_greeter")
        tmp = os.environ.get("TEST_TMPDIR") or os.path.abspath("new_user_tmp")
        cls.workspace = os.path.join(tmp, "my_project")
        cls.output_user_root = os.path.join(tmp, "bazel_root")
        for path in (cls.workspace, cls.output_user_root):
            if os.path.exists(path):
                remove_tree(path)
        os.makedirs(cls.workspace)
        cls.startup = ["--output_user_root=" + cls.output_user_root, "--max_idle_secs=60"]
        home_rc = os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".bazelrc")
        if os.path.exists(home_rc):
            cls.startup.append("--bazelrc=" + home_rc)
        cls.processes = []
        cls.transport = harness.make_transport()
        cls.python_server = None

    @classmethod
    def tearDownClass(cls):
        for process in cls.processes:
            process.stop()
        if cls.python_server:
            cls.python_server.stop()
        cls.transport.cleanup()
        # Stops the nested Bazel server (by its own pid file), then frees the disk.
        subprocess.run(["bazel", *cls.startup, "shutdown"], cwd=cls.workspace,
                       capture_output=True, timeout=120)
        remove_tree(cls.output_user_root)

    def substituted(self, doc, body):
        if CHECKOUT_PLACEHOLDER in body:
            body = body.replace(CHECKOUT_PLACEHOLDER, self.checkout)
        for old in (f'topic: "{DOC_TOPIC}"', f'topic="{DOC_TOPIC}"'):
            if old in body:
                body = body.replace(old, old.replace(DOC_TOPIC, self.topic))
        return body

    def run_shell_line(self, line):
        """One documented command: `bazel ...` runs with this test's startup
        options; `... &` starts a process that must say it serves; anything
        else runs to completion and its stdout is returned."""
        argv = shlex.split(line, comments=True)
        background = argv[-1] == "&"
        if background:
            argv = argv[:-1]
        if argv[0] == "bazel":
            started = time.monotonic()
            done = subprocess.run(["bazel", *self.startup, *argv[1:], "--color=no", "--curses=no"],
                                  cwd=self.workspace, capture_output=True, text=True,
                                  timeout=BUILD_LIMIT)
            self.assertEqual(done.returncode, 0, f"{line}\n{done.stderr[-20000:]}")
            print(f"{line}: {time.monotonic() - started:.0f} s", file=sys.stderr)
            return ""
        argv[0] = os.path.join(self.workspace, argv[0])
        if background:
            process = harness.Process(argv, os.path.basename(argv[0]))
            self.processes.append(process)
            process.wait_for_output(f"serving topic {self.topic}", timeout=RUN_LIMIT)
            return ""
        done = subprocess.run(argv, cwd=self.workspace, capture_output=True, text=True,
                              timeout=RUN_LIMIT)
        self.assertEqual(done.returncode, 0, f"{line}\n{done.stdout}{done.stderr}")
        return done.stdout

    def test_the_documented_path(self):
        kinds = [kind for _, kind, _, _ in self.blocks]
        self.assertEqual(kinds.count("commands"), 2, kinds)
        self.assertEqual(kinds.count("python"), 1, kinds)
        files = [path for _, kind, path, _ in self.blocks if kind == "file"]
        self.assertEqual(sorted(files), sorted([
            ".bazelrc", "WORKSPACE", "protos/BUILD", "protos/greeter.proto",
            "protos/greeter_client.cc", "protos/greeter_server.cc"]))

        # The files, then the commands and the Python client in document order,
        # each compared with the output block that follows it.
        for doc, kind, path, body in self.blocks:
            if kind == "file":
                target = os.path.join(self.workspace, path)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w") as f:
                    f.write(self.substituted(doc, body))
        with open(os.path.join(self.workspace, "WORKSPACE")) as f:
            self.assertIn(self.checkout, f.read())
        with open(os.path.join(self.workspace, "protos/greeter.proto")) as f:
            self.assertIn(self.topic, f.read())

        expected_after = None
        printed = ""
        for doc, kind, path, body in self.blocks:
            if kind == "commands":
                printed = "".join(self.run_shell_line(line) for line in body.splitlines()
                                  if line.strip() and not line.startswith("#"))
            elif kind == "python":
                code = self.substituted(doc, body)
                self.assertIn(self.topic, code)
                done = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True,
                                      text=True, timeout=RUN_LIMIT)
                self.assertEqual(done.returncode, 0, done.stderr)
                printed = done.stdout
            elif kind == "output":
                self.assertEqual(printed, body, f"{doc}: the output block after a command")
                expected_after = body
        self.assertIsNotNone(expected_after)
        # The second commands block built the descriptor set and the bridge.
        for built in ("bazel-bin/protos/greeter_proto_codegen.descriptor_set.pb",
                      "bazel-bin/external/grpc_amqp_bridge/bridge/grpc_amqp_bridge"):
            self.assertTrue(os.path.exists(os.path.join(self.workspace, built)), built)

        # The C++ typed client reaches a Python oslo server: the README's
        # `greeter_client NAME SERVER`.
        self.__class__.python_server = harness.PythonServer(
            self.transport, self.topic, "py1", [Greeter()])
        done = subprocess.run([os.path.join(self.workspace, "bazel-bin/protos/greeter_client"),
                               "Lin", "py1"], capture_output=True, text=True, timeout=RUN_LIMIT)
        self.assertEqual((done.returncode, done.stdout),
                         (0, "Hi Lin, from Python (req-greeter-1)\n"), done.stderr)


if __name__ == "__main__":
    harness.run([NewUserPathTest])
