#!/usr/bin/python3
"""Passwords and tokens never appear in any output (docs/reliability.md).

A RabbitMQ node of the test's own (rabbit_nodes.py) gets a user whose
password is a unique marker (s3cr3t-<uuid>); gRPC calls carry an oslo
context whose auth_token is another (tok-<uuid>); a wrong password is a
third. The bridge, oslo_rpc and the C++ compute server then run through
success and failure paths, with verbose logging on (GLOG_v=3):

  * calls, casts, GATHER, a failing call and the caller context through the
    bridge (x-oslo-context and x-oslo-context-auth-token), oslo_rpc call and
    cast with --context, the URL on the command line and in an INI file;
  * a wrong password, an unreachable host, malformed URLs (bad port, bad
    %-escape, unknown option, unsupported scheme, and passwords with an
    unescaped ',', '/', '?' that split the URL), --help and --helpfull with
    the URL given, and INI files with the password on a bad line;

and every byte those processes wrote (stdout and stderr), every gRPC error
message, rabbitmqctl's output and the broker's own log are searched for the
three markers. The test fails naming the output and the line that leaked.

Tags "broker" and "no-sandbox" (the node registers with the machine's epmd).
"""
import os
import signal
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "bridge"))
import bridge_harness as bh  # noqa: E402
from bridge_harness import harness  # noqa: E402
import rabbit_nodes  # noqa: E402

import grpc  # noqa: E402

PASSWORD = f"s3cr3t-{uuid.uuid4().hex}"
WRONG_PASSWORD = f"wr0ng-{uuid.uuid4().hex}"
TOKEN = f"tok-{uuid.uuid4().hex}"
MARKERS = (PASSWORD, WRONG_PASSWORD, TOKEN)
# Parts of the password a split URL would show on its own.
FRAGMENTS = (PASSWORD[:12], PASSWORD[-12:], WRONG_PASSWORD[:11], TOKEN[4:16])
SERVING = b"\x08\x01"


def connect(process):
    """Gives a bridge Process bridge_harness.Bridge's channel and call helpers
    (Bridge itself always passes the system broker's transport_url, which
    would win over an INI file)."""
    process.wait_for_output("listening on")
    process.port = int(process.output().split("listening on 127.0.0.1:")[1].split()[0])
    process.channel = grpc.insecure_channel(f"127.0.0.1:{process.port}")
    process.unary = lambda *a, **k: bh.Bridge.unary(process, *a, **k)
    process.stream = lambda *a, **k: bh.Bridge.stream(process, *a, **k)
    return process


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


class SecretsTest(harness.unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.previous_sigterm = signal.signal(signal.SIGTERM, _stop_on_sigterm)
        # Verbose logging in every process started from here on.
        os.environ["GLOG_v"] = "3"
        cls.outputs = []  # (what, text)
        cls.problems = []  # failed expectations, reported after the leaks
        cls.processes = []
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.node = rabbit_nodes.RabbitNode("secrets", cls.workdir)
        try:
            cls.node.start()
            cls.user = f"svc-{uuid.uuid4().hex[:8]}"
            cls.outputs.append(("rabbitmqctl add_user",
                                cls.node.ctl("add_user", cls.user, PASSWORD)))
            cls.outputs.append(("rabbitmqctl set_permissions",
                                cls.node.ctl("set_permissions", "-p", "/", cls.user,
                                             ".*", ".*", ".*")))
        except BaseException:
            cls.node.remove()
            raise
        cls.topic = harness.unique("secrets")
        cls.api = bh.Api(cls.topic, cls.workdir)
        cls.m = cls.api.messages

    @classmethod
    def tearDownClass(cls):
        try:
            for process in cls.processes:
                process.stop()
        finally:
            cls.node.remove()
            signal.signal(signal.SIGTERM, cls.previous_sigterm)

    # Helpers ----------------------------------------------------------------

    def url(self, password=PASSWORD, port=None, rest="/"):
        return f"rabbit://{self.user}:{password}@127.0.0.1:{port or self.node.port}{rest}"

    def run_tool(self, what, argv, limit=20, input=None):
        """Runs a process to its end; records its output."""
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=limit,
                                  errors="replace", input=input)
            self.outputs.append((what, done.stdout + done.stderr))
            return done
        except subprocess.TimeoutExpired as e:  # run() killed it by PID
            out = b"".join(x for x in (e.stdout, e.stderr) if isinstance(x, bytes))
            text = out.decode("utf-8", "replace") + "".join(
                x for x in (e.stdout, e.stderr) if isinstance(x, str))
            self.outputs.append((what, text))
            # Checked after the search for secrets, which matters more.
            self.problems.append(f"{what}: still ran after {limit}s")
            return subprocess.CompletedProcess(argv, None, text, "")

    def start(self, what, argv):
        process = harness.Process(argv, what.replace(" ", "_").replace("/", "_")[:40])
        process.what = what
        self.processes.append(process)
        return process

    def finish(self, process):
        if getattr(process, "channel", None) is not None:
            process.channel.close()
        process.stop()
        self.outputs.append((process.what, process.output()))

    def oslo_rpc(self, what, *args, url=None):
        return self.run_tool(what, [harness.oslo_rpc_binary(), *args,
                                    f"--transport_url={url or self.url()}",
                                    f"--topic={self.topic}"])

    def bridge_argv(self, *flags):
        return [harness.runfile("bridge/grpc_amqp_bridge"),
                f"--descriptor_set={self.api.descriptor_set}", "--listen=127.0.0.1:0", *flags]

    def ini(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def record_error(self, what, fn):
        try:
            fn()
        except grpc.RpcError as e:
            self.outputs.append((f"{what}: gRPC error", f"{e.code().name} {e.details()}"))
            return e
        return None

    def assert_no_leak(self):
        leaks = []
        for what, text in self.outputs:
            for line in text.splitlines():
                if any(m in line for m in MARKERS + FRAGMENTS):
                    leaks.append(f"{what}: {line[:300]}")
        total = sum(len(t) for _, t in self.outputs)
        print(f"searched {len(self.outputs)} outputs, {total} bytes, "
              f"{sum(t.count(chr(10)) for _, t in self.outputs)} lines", flush=True)
        self.assertEqual(leaks, [], "secrets in the output:\n" + "\n".join(leaks))

    # The test ---------------------------------------------------------------

    def test_secrets_never_in_any_output(self):
        self.success_paths()
        self.failure_paths()
        self.url_and_help_paths()
        self.ini_paths()
        # The broker's own log, for good measure.
        self.outputs.append(("the broker's log", self.node.output()))
        self.assert_no_leak()
        self.assertEqual(self.problems, [])

    def success_paths(self):
        server = self.start("compute_server", [
            harness.runfile("examples/cpp/compute_server"), f"--transport_url={self.url()}",
            f"--topic={self.topic}", "--server=host1"])
        server.wait_for_output("ready", timeout=30)
        ini = self.ini("good.conf", f"[DEFAULT]\ntransport_url = {self.url()}\n")
        for flags in ((f"--transport_url={self.url()}",), (f"--config={ini}",)):
            bridge = self.start(f"bridge {flags[0].split('=')[0]}",
                                self.bridge_argv(*flags, "--rpc_response_timeout=5"))
            connect(bridge)
            harness.wait_until(lambda: bridge.channel.unary_unary(
                "/grpc.health.v1.Health/Check")(b"", timeout=2) == SERVING, 10, "SERVING")
            context = [("x-oslo-context", f'{{"auth_token": "{TOKEN}", "user_id": "u1"}}'),
                       ("x-oslo-context-auth-token", TOKEN)]
            got = bridge.unary("GetInstance", self.m.Instance)(
                self.m.GetInstanceRequest(instance_uuid="vm-1"), metadata=context, timeout=5)
            self.assertEqual(got.name, "web")
            # The caller context comes back in the response (not a log): the
            # token did travel.
            caller = bridge.unary("GetCallerContext", self.m.Struct)(
                self.m.Empty(), metadata=context, timeout=5)
            self.assertIn(TOKEN, str(caller))
            error = self.record_error("a failing call", lambda: bridge.unary(
                "GetInstance", self.m.Instance)(self.m.GetInstanceRequest(instance_uuid="nope"),
                                                metadata=context, timeout=5))
            self.assertIsNotNone(error)
            bridge.unary("RebootInstance", self.m.Empty)(
                self.m.RebootInstanceRequest(host="host1", instance_uuid="vm-1", reboot_type=1),
                metadata=context, timeout=5)
            list(bridge.stream("PingAll", self.m.PingReply)(
                self.m.PingRequest(payload="p"), metadata=context + [("x-amqp-expect", "1")],
                timeout=5))
            self.record_error("a call to a server that is not there", lambda: bridge.unary(
                "GetConsoleOutput", self.m.ConsoleOutput)(
                    self.m.GetConsoleOutputRequest(host="nohost", instance_uuid="vm-1"),
                    metadata=context, timeout=5))
            self.finish(bridge)
        context = f'{{"auth_token": "{TOKEN}"}}'
        done = self.oslo_rpc("oslo_rpc call", "call", f"--context={context}", "--timeout=5",
                             "--version=5.0",
                             "get_instance", '{"instance_uuid": "vm-1"}')
        self.assertEqual(done.returncode, 0, done.stderr)
        done = self.oslo_rpc("oslo_rpc cast", "cast", f"--context={context}", "--server=host1",
                             "--version=5.0",
                             "reboot_instance", '{"instance_uuid": "vm-1", "reboot_type": "SOFT"}')
        self.assertEqual(done.returncode, 0, done.stderr)
        done = self.oslo_rpc("oslo_rpc call (remote failure)", "call", f"--context={context}",
                             "--timeout=5", "--version=5.0", "get_instance",
                             '{"instance_uuid": "no-such-vm"}')
        self.assertNotEqual(done.returncode, 0)
        server.wait_for_output("cast reboot_instance vm-1 SOFT", timeout=10)
        self.finish(server)

    def failure_paths(self):
        unreachable = rabbit_nodes.free_port()
        for what, url, expected in (
                ("wrong password", self.url(WRONG_PASSWORD), "ACCESS_REFUSED"),
                ("unreachable host", self.url(port=unreachable), "cannot connect"),
                ("wrong password, TLS to the plain port",
                 self.url(WRONG_PASSWORD, rest="/?ssl=true"), "TLS listener")):
            done = self.oslo_rpc(f"oslo_rpc call, {what}", "call", "--timeout=2", "m", "{}",
                                 url=url)
            self.assertEqual(done.returncode, 3, f"{what}: {done.stderr}")
            self.assertIn(expected, done.stderr)
            server = self.start(f"compute_server, {what}", [
                harness.runfile("examples/cpp/compute_server"), f"--transport_url={url}",
                f"--topic={self.topic}", "--server=host2"])
            server.wait_for_output(expected, timeout=15)
            self.finish(server)
            bridge = self.start(f"bridge, {what}", self.bridge_argv(f"--transport_url={url}"))
            bridge.wait_for_output(expected, timeout=15)
            connect(bridge)
            error = self.record_error(f"bridge call, {what}", lambda: bridge.unary(
                "GetInstance", self.m.Instance)(self.m.GetInstanceRequest(instance_uuid="vm-1"),
                                                timeout=5))
            self.assertEqual(error.code(), grpc.StatusCode.UNAVAILABLE)
            self.finish(bridge)

    def url_and_help_paths(self):
        pw = PASSWORD
        bad_urls = [
            f"rabbit://{self.user}:{pw}@127.0.0.1:notaport/",
            f"rabbit://{self.user}:{pw}%zz@127.0.0.1/",
            f"rabbit://{self.user}:{pw}@127.0.0.1/?bogus_option=1",
            f"http://{self.user}:{pw}@127.0.0.1/",
            f"rabbit://{self.user}:{pw}@[::1/",
            # Unescaped ',', '/', '?' inside the password split the URL.
            f"rabbit://{self.user}:{pw[:12]},{pw[12:]}@127.0.0.1/",
            f"rabbit://{self.user}:{pw[:12]}/{pw[12:]}@127.0.0.1/",
            f"rabbit://{self.user}:{pw[:12]}?{pw[12:]}@127.0.0.1/",
            f"rabbit://{self.user}:1234/{pw}@127.0.0.1/",
        ]
        for i, url in enumerate(bad_urls):
            # Each refuses the URL at once (exit 64 for the tools, 2 for the
            # bridge): none of them may connect somewhere with its pieces.
            for what, argv, code in (
                    ("oslo_rpc", [harness.oslo_rpc_binary(), "call", f"--transport_url={url}",
                                  "--topic=t", "--timeout=2", "m", "{}"], 64),
                    ("compute_server", [harness.runfile("examples/cpp/compute_server"),
                                        f"--transport_url={url}"], 64),
                    ("bridge", self.bridge_argv(f"--transport_url={url}"), 2)):
                done = self.run_tool(f"{what}, bad URL {i}", argv, limit=5)
                if done.returncode != code:
                    self.problems.append(f"{what}, bad URL {i}: exit {done.returncode}, "
                                         f"not {code}")
        for help_flag in ("--help", "--helpfull"):
            url = f"--transport_url={self.url()}"
            for what, argv in (("oslo_rpc", [harness.oslo_rpc_binary(), url]),
                               ("compute_server", [harness.runfile("examples/cpp/compute_server"),
                                                   url]),
                               ("bridge", self.bridge_argv(url))):
                done = self.run_tool(f"{what} {help_flag}", argv + [help_flag])
                self.assertIn("transport_url", done.stdout + done.stderr)

    def ini_paths(self):
        url = self.url()
        files = {
            "a line without '=' or ':'": f"[DEFAULT]\nrabbit_password {PASSWORD}\n",
            "a bad transport_url value": f"[DEFAULT]\ntransport_url = {url[:-1]}:x/\n",
            "an unknown key holding it": f"[grpc_amqp_bridge]\nbogus = {url}\n",
            "a '$' substitution in it": f"[DEFAULT]\ntransport_url = {url}$x\n",
            "the key in the wrong section": f"[grpc_amqp_bridge]\ntransport_url = {url}\n",
            "an assignment before any section": f"transport_url = {url}\n",
            "a bad continuation line": f"[DEFAULT]\n  {url}\n",
            "an unknown rabbit option": f"[oslo_messaging_rabbit]\nrabbit_password = {PASSWORD}\n",
            "no descriptor set": f"[DEFAULT]\ntransport_url = {url}\n",
        }
        for i, (what, text) in enumerate(files.items()):
            path = self.ini(f"bad{i}.conf", text)
            argv = [harness.runfile("bridge/grpc_amqp_bridge"), f"--config={path}",
                    "--listen=127.0.0.1:0"]
            if what != "no descriptor set":
                argv.append(f"--descriptor_set={self.api.descriptor_set}")
            done = self.run_tool(f"bridge, INI file with {what}", argv)
            self.assertEqual(done.returncode, 2, f"{what}: {done.stdout}{done.stderr}")
            print(f"INI file with {what}: {done.stderr.strip().splitlines()[-1]}", flush=True)


if __name__ == "__main__":
    harness.run([SecretsTest])
