"""Extra RabbitMQ nodes for tests, next to the system broker and never
touching it: each node has its own node name (<prefix>-<random>@localhost),
AMQP and Erlang distribution ports, data, log and config files in a temporary
folder, and an Erlang cookie of its own. Nodes register with the machine's
epmd (the system broker's, on 127.0.0.1:4369) and run as children of the
test: they are stopped with `rabbitmqctl -n <node> stop`, else killed by PID,
and their folders are removed.

    with RabbitCluster(2, workdir) as cluster:       # joined, both running
        a, b = cluster.nodes
        url = cluster.transport_url()                # every node's AMQP port
        a.kill()                                     # SIGKILL its beam.smp

    node = RabbitNode("tls", workdir, tls=TlsListener(ca, cert, key))
    node.start(); ...; node.stop()

Ports come from below Linux's ephemeral range (32768-60999): a port picked
there may be taken a moment later as the source port of any outgoing
connection on the machine (seen with the system broker's clients).

Runs under /usr/bin/python3 as root (rabbitmq-server refuses nothing to
root, and needs no access to the system broker's files).
"""
import dataclasses
import os
import json
import random
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid

RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
# Below the ephemeral range; the system node uses 5672 and 25672.
PORT_RANGE = (20000, 32000)
RESERVED_PORTS = {25672}
# A node boots in ~3-8 s on this machine; give a loaded machine more.
START_SECONDS = 90
STOP_SECONDS = 30


def _port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_taken = set()
_taken_lock = threading.Lock()


def free_port():
    """A port below the ephemeral range that nothing listens on now and that
    this process did not hand out before."""
    for _ in range(1000):
        port = random.randrange(*PORT_RANGE)
        with _taken_lock:
            if port in _taken or port in RESERVED_PORTS:
                continue
            if _port_is_free(port):
                _taken.add(port)
                return port
    raise RuntimeError("no free port found for a RabbitMQ node")


def amqp_login(port, timeout=2, user="guest", password="guest", cafile=None):
    """Logs in over AMQP and out again; raises why it could not. `cafile`:
    connect with TLS and verify the broker against that CA file."""
    import amqp  # py-amqp, Debian's python3-amqp
    tls = {"ca_certs": cafile, "cert_reqs": ssl.CERT_REQUIRED} if cafile else False
    conn = amqp.Connection(f"127.0.0.1:{port}", userid=user, password=password,
                           connect_timeout=timeout, ssl=tls)
    try:
        conn.connect()
    finally:
        conn.collect()


class PortClash(AssertionError):
    """A node could not listen on a port it was given (eaddrinuse)."""


@dataclasses.dataclass
class TlsListener:
    """An AMQPS listener: the broker's certificate chain and key (PEM files).
    Clients' certificates are not asked for (verify_none), like most
    deployments; the port is picked when the node is created."""
    cacertfile: str
    certfile: str
    keyfile: str


class RabbitNode:
    """One RabbitMQ node. `start()` boots it and waits for a guest login;
    `stop()` stops it for good; `kill()` kills it as a crash would."""

    def __init__(self, prefix, workdir, tls=None, cookie=None, erl_args=""):
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}@localhost"
        # Extra Erlang VM arguments, e.g. "-kernel net_ticktime 10".
        self.erl_args = erl_args
        self.frozen = False
        self.short = self.name.split("@")[0]
        self.dir = tempfile.mkdtemp(prefix=f"{self.short}-", dir=workdir)
        self.tls = tls
        self._pick_ports()
        self.cookie = cookie or secrets.token_hex(16)
        self.home = os.path.join(self.dir, "home")
        self.log_path = os.path.join(self.dir, "server.out")
        self.popen = None
        self._log = None
        self.started_seconds = None
        os.makedirs(self.home)
        cookie_path = os.path.join(self.home, ".erlang.cookie")
        with open(cookie_path, "w") as f:
            f.write(self.cookie)
        os.chmod(cookie_path, 0o400)
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[].\n")
        self._write_config()

    def _pick_ports(self):
        self.port = free_port()
        self.dist_port = free_port()
        self.tls_port = free_port() if self.tls else None

    def _write_config(self):
        conf = [f"listeners.tcp.default = 127.0.0.1:{self.port}",
                "loopback_users.guest = true",
                "log.file.level = info",
                "log.console = false"]
        if self.tls:
            conf += [f"listeners.ssl.default = 127.0.0.1:{self.tls_port}",
                     f"ssl_options.cacertfile = {self.tls.cacertfile}",
                     f"ssl_options.certfile = {self.tls.certfile}",
                     f"ssl_options.keyfile = {self.tls.keyfile}",
                     "ssl_options.verify = verify_none",
                     "ssl_options.fail_if_no_peer_cert = false"]
        with open(os.path.join(self.dir, "rabbitmq.conf"), "w") as f:
            f.write("\n".join(conf) + "\n")

    def env(self):
        """The environment rabbitmq-server and rabbitmqctl need for this node
        (its cookie through HOME, nothing of /etc/rabbitmq)."""
        d = self.dir
        env = {k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")}
        env.update(
            HOME=self.home,
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=os.path.join(d, "mnesia"),
            RABBITMQ_LOG_BASE=os.path.join(d, "log"),
            RABBITMQ_CONFIG_FILE=os.path.join(d, "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=os.path.join(d, "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(d, "enabled_plugins"),
            RABBITMQ_PLUGINS_EXPAND_DIR=os.path.join(d, "plugins-expand"),
            RABBITMQ_PID_FILE=os.path.join(d, "beam.pid"),
            RABBITMQ_CONF_ENV_FILE="/dev/null",
            ERL_EPMD_ADDRESS="127.0.0.1",
        )
        if self.erl_args:
            env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = self.erl_args
        return env

    # Life cycle -------------------------------------------------------------

    def launch(self):
        """Starts the node's process without waiting for it."""
        self._log = open(self.log_path, "a")
        # Its own session: the wrapper script, beam.smp and Erlang's helper
        # processes form one process group that stop() can end.
        self.popen = subprocess.Popen([RABBITMQ_SERVER], env=self.env(), cwd=self.dir,
                                      stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        self._launched_at = time.monotonic()
        self._output_mark = len(self.output())

    def wait_ready(self, timeout=START_SECONDS):
        """Waits until the node accepts a guest login; returns the seconds
        since launch()."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                output = self.output()[self._output_mark:]
                error = PortClash if "eaddrinuse" in output else AssertionError
                raise error(f"RabbitMQ node {self.name} exited "
                            f"{self.popen.returncode}:\n{output[-4000:]}")
            try:
                amqp_login(self.port, timeout=1)
                self.started_seconds = time.monotonic() - self._launched_at
                return self.started_seconds
            except Exception as e:  # not yet
                last = e
                time.sleep(0.2)
        raise AssertionError(f"RabbitMQ node {self.name} did not accept a login on "
                             f"127.0.0.1:{self.port} within {timeout}s ({last}):\n"
                             f"{self.output()[-4000:]}")

    def start(self, timeout=START_SECONDS):
        """Boots the node; when a port it was given got taken meanwhile (by
        a parallel test, say), boots it again on new ports, twice at most.
        Returns the seconds the successful boot took."""
        for attempt in range(3):
            self.launch()
            try:
                return self.wait_ready(timeout)
            except PortClash:
                self._end_group(wait=5)
                if attempt == 2:
                    raise
                self._pick_ports()
                self._write_config()
        raise AssertionError("unreachable")

    def ctl(self, *args, timeout=60, check=True):
        """rabbitmqctl -n <node> ARGS; returns its stdout."""
        done = subprocess.run([RABBITMQCTL, "-n", self.name, *args], env=self.env(),
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            raise AssertionError(f"rabbitmqctl -n {self.name} {' '.join(args)} exited "
                                 f"{done.returncode}:\n{done.stdout}{done.stderr}")
        return done.stdout

    def beam_pid(self):
        """The OS pid of the node's Erlang VM."""
        with open(os.path.join(self.dir, "beam.pid")) as f:
            return int(f.read().strip())

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def kill(self):
        """SIGKILLs the Erlang VM, as a crash or an OOM kill would: the kernel
        resets its connections, nothing is said to clients or peers."""
        os.kill(self.beam_pid(), signal.SIGKILL)
        self.frozen = False
        self._end_group(wait=10)

    def freeze(self):
        """SIGSTOPs the Erlang VM, as a hung machine or a network that drops
        every packet would look: connections stay open and go silent. Only
        heartbeats (clients) and net_ticktime (other nodes) notice."""
        os.kill(self.beam_pid(), signal.SIGSTOP)
        self.frozen = True

    def stop(self):
        """Stops the node (rabbitmqctl stop, then SIGKILL to what is left) and
        removes its folder. Safe to call more than once."""
        if self.running() and self.frozen:
            self.kill()  # rabbitmqctl would wait for it in vain
        if self.running():
            try:
                self.ctl("stop", timeout=STOP_SECONDS, check=False)
            except subprocess.TimeoutExpired:
                pass
            self._end_group(wait=STOP_SECONDS)
        if self._log is not None and not self._log.closed:
            self._log.close()

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _end_group(self, wait):
        """Waits for the wrapper to exit, then kills whatever is left of the
        node's process group (its pgid is the wrapper's pid)."""
        if self.popen is None:
            return
        try:
            self.popen.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def output(self):
        """The node's console output and log file, for failure messages."""
        text = ""
        for path in (self.log_path, os.path.join(self.dir, "log", f"{self.name}.log")):
            try:
                with open(path, errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        return text

    # Introspection ----------------------------------------------------------

    def connections(self):
        """[(connection name, the node's AMQP port it came in on)] of every
        AMQP connection in the cluster: the port tells the node."""
        result = []
        for row in self._ctl_json("list_connections", "client_properties", "port"):
            name = ""
            for entry in row.get("client_properties") or []:
                # [key, type, value] triples
                if isinstance(entry, list) and entry and entry[0] == "connection_name":
                    name = entry[-1]
            result.append((name, row.get("port")))
        return result

    def local_queues(self):
        """{queue name: consumers} of the queues that live on this node."""
        return {row["name"]: row["consumers"]
                for row in self._ctl_json("list_queues", "--local", "name", "consumers")}

    def _ctl_json(self, *args):
        return json.loads(self.ctl(*args, "--quiet", "--formatter", "json") or "[]")


class RabbitCluster:
    """`count` nodes joined into one cluster (the first is the seed). A
    context manager: leaving it stops and removes every node."""

    def __init__(self, count, workdir, prefix="rel", net_ticktime=None):
        """`net_ticktime`: seconds after which nodes consider a silent peer
        down (Erlang's default 60; 4 ticks of net_ticktime/4 in fact)."""
        cookie = secrets.token_hex(16)
        erl_args = f"-kernel net_ticktime {net_ticktime}" if net_ticktime else ""
        self.nodes = [RabbitNode(f"{prefix}{chr(ord('a') + i)}", workdir, cookie=cookie,
                                 erl_args=erl_args)
                      for i in range(count)]
        self.formed_seconds = None

    def start(self):
        started = time.monotonic()
        try:
            for node in self.nodes:  # boot in parallel
                node.launch()
            for node in self.nodes:
                try:
                    node.wait_ready()
                except PortClash:
                    node._end_group(wait=5)
                    node._pick_ports()
                    node._write_config()
                    node.start()
            seed = self.nodes[0]
            for node in self.nodes[1:]:
                node.ctl("stop_app")
                node.ctl("join_cluster", seed.name)
                node.ctl("start_app")
                node.wait_ready()
        except BaseException:
            self.remove()
            raise
        self.formed_seconds = time.monotonic() - started
        return self

    def transport_url(self, user="guest", password="guest", nodes=None):
        hosts = ",".join(f"{user}:{password}@127.0.0.1:{n.port}" for n in nodes or self.nodes)
        return f"rabbit://{hosts}/"

    def running_nodes(self, via):
        """Names of the running nodes as `via` sees them."""
        out = via.ctl("cluster_status", "--formatter", "json", "--quiet")
        return json.loads(out).get("running_nodes", [])

    def remove(self):
        for node in self.nodes:
            node.remove()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.remove()
        return False

