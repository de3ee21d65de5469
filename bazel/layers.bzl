"""The layers of the runtime and the bridge: which package may use which.

One table, two uses: every package under //bridge and //codegen takes its
default visibility from it (a package is visible only to the packages that
list it, and to tests, benchmarks, fuzzers and examples), and
//tests/architecture:layers_test checks the build's real dependency graph
against it, naming any edge that breaks it. docs/architecture.md explains
the layers. A new package gets a row here; a new dependency between
packages is a change to this table, made on purpose.
"""

# Package -> the packages it may depend on, lowest layers first.
LAYERS = {
    # The oslo.messaging wire codec: pure, no I/O.
    "bridge/oslo": [],
    # The (amqp.*) options of a service, read from descriptors.
    "bridge/schema": ["proto/amqp"],
    # RabbitMQ over rabbitmq-c: connections, I/O threads, URLs.
    "bridge/transport": [],
    # Protobuf <-> oslo JSON, driven by descriptors (and by the
    # (amqp.object) and (amqp.value) options).
    "bridge/transcode": ["bridge/oslo", "proto/amqp"],
    # oslo RPC client and server on the transport.
    "bridge/rpc": ["bridge/transport", "bridge/oslo"],
    # The bridge's settings: flags and the oslo.config INI file (version
    # caps are parsed with rpc's version rules).
    "bridge/config": ["bridge/transport", "bridge/rpc"],
    # Observability: Prometheus registry and text format, the /metrics
    # HTTP endpoint, the access log. Knows nothing of calls or oslo.
    "bridge/metrics": [],
    # What generated code links against.
    "bridge/stubs": ["bridge/oslo", "bridge/rpc", "bridge/transcode"],
    # The bridge's gRPC side (transport: its queue threads hold their
    # publishes in a WriteBatch until the queue runs dry).
    "bridge/gateway": [
        "bridge/transport",
        "bridge/metrics",
        "bridge/oslo",
        "bridge/rpc",
        "bridge/schema",
        "bridge/transcode",
    ],
    # The reverse direction: oslo callers -> gRPC backends (route table
    # for the services' messages, rpc's server and dispatcher).
    "bridge/reverse": [
        "bridge/transport",
        "bridge/gateway",
        "bridge/metrics",
        "bridge/oslo",
        "bridge/rpc",
        "bridge/schema",
        "bridge/transcode",
    ],
    # The binaries: the bridge's main and oslo_rpc.
    "bridge": [
        "bridge/transport",
        "bridge/config",
        "bridge/gateway",
        "bridge/metrics",
        "bridge/oslo",
        "bridge/reverse",
        "bridge/rpc",
        "bridge/schema",
        "bridge/transcode",
    ],
    # protoc-gen-amqp.
    "codegen": ["bridge/schema", "proto/amqp"],
}

# Packages that code outside this repository uses directly: the binaries,
# the runtime a user's typed client or endpoint is written against, and the
# generated code's support library.
PUBLIC = ["bridge", "bridge/transport", "bridge/oslo", "bridge/rpc", "bridge/stubs", "codegen"]

# Packages that may use any layer.
_EVERYWHERE = [
    "//bench:__subpackages__",
    "//examples:__subpackages__",
    "//fuzz:__subpackages__",
    "//tests:__subpackages__",
]

def layer_visibility(package):
    """The default visibility of `package`: the packages LAYERS allows to use it."""
    if package in PUBLIC:
        return ["//visibility:public"]
    users = sorted([p for p, uses in LAYERS.items() if package in uses])
    return ["//%s:__pkg__" % p for p in users] + _EVERYWHERE
