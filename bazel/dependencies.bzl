"""The repositories a Bazel workspace needs to build grpc_amqp_bridge's targets.

Both this repository's WORKSPACE and a user's call it, so they cannot drift:

    local_repository(
        name = "grpc_amqp_bridge",
        path = "/path/to/grpc-amqp-bridge",
    )

    load("@grpc_amqp_bridge//bazel:dependencies.bzl", "grpc_amqp_bridge_dependencies")

    grpc_amqp_bridge_dependencies()

Everything resolves locally: nothing is downloaded. A repository the workspace
already declares under one of these names is left alone.
"""

load(":system_libs.bzl", "system_libs")
load(":system_protos.bzl", "system_proto_repository")

def _in_tree_repository_impl(rctx):
    # A local_repository needs an absolute path or one relative to the main
    # workspace; this folder's place depends on where this repository is
    # checked out, so it is found from a label of this repository.
    folder = rctx.path(Label("//bazel:BUILD")).dirname.get_child("repos").get_child(rctx.attr.folder)
    if not folder.exists:
        fail("%s is missing from grpc_amqp_bridge's checkout" % folder)
    for child in folder.readdir():
        rctx.symlink(child, child.basename)

# A repository made of one folder under bazel/repos/ of this repository.
_in_tree_repository = repository_rule(
    implementation = _in_tree_repository_impl,
    attrs = {"folder": attr.string(mandatory = True)},
    local = True,
)

def _declare(rule, name, **kwargs):
    if not native.existing_rule(name):
        rule(name = name, **kwargs)

def grpc_amqp_bridge_dependencies():
    """Declares rules_cc, rules_java, remote_coverage_tools, system, googleapis and grpc_proto."""

    # Bazel 4.2.3 asks for these implicitly: offline stand-ins, or Debian's
    # copies under /usr/share/bazel.
    _declare(_in_tree_repository, "rules_cc", folder = "rules_cc")
    _declare(native.local_repository, "rules_java", path = "/usr/share/bazel/rules/java")
    _declare(_in_tree_repository, "remote_coverage_tools", folder = "no_coverage")

    # Debian's -dev packages as cc_library targets: @system//:grpc++ and
    # friends (this repository's BUILD files name them so). Each value lists
    # the pkg-config modules behind one target; a target's modules are looked
    # up when the repository is first used, so every -dev package of
    # tools/setup.sh must be installed, the test ones (gtest, benchmark) too.
    _declare(
        system_libs,
        "system",
        libs = {
            "absl": "absl_status absl_statusor absl_strings absl_str_format absl_synchronization absl_time absl_flat_hash_map absl_hash absl_random_random",
            "absl_flags": "absl_flags absl_flags_parse absl_flags_usage",
            "benchmark": "benchmark",
            "benchmark_main": "benchmark",
            "glog": "libglog",
            "gmock": "gmock",
            "grpc++": "grpc++ protobuf",
            "grpc++_reflection": "grpc++ protobuf",
            "gtest": "gtest",
            "gtest_main": "gtest_main gmock",
            "httplib": "cpp-httplib",
            "inih": "INIReader",
            "openssl": "openssl",
            "protobuf": "protobuf",
            "protoc": "protobuf",
            "rabbitmq": "librabbitmq",
            "rapidjson": "RapidJSON",
        },
        # RapidJSON's SSE2 scans of in-situ strings and whitespace (SSE2 is in
        # every x86-64), defined for every user so that all see one Reader. They
        # read aligned 16-byte blocks up to 15 bytes past the text's NUL:
        # ParseJsonInsitu documents the padding that needs.
        extra_defines = {
            "rapidjson": ["RAPIDJSON_SSE2"],
        },
        # Libraries that ship no .pc file.
        extra_linkopts = {
            "benchmark_main": ["-lbenchmark_main"],
            "grpc++_reflection": ["-lgrpc++_reflection"],
            "protoc": ["-lprotoc"],
        },
    )

    # .proto files from Debian packages, compiled by our own macro (no vendoring).
    # @googleapis//:rpc_status_cc (google.rpc.Status, ErrorInfo, ...) and
    # @googleapis//:rpc_status_py (the same for Python tests).
    _declare(
        system_proto_repository,
        "googleapis",
        build_file = Label("//bazel:googleapis.BUILD"),
        debian_package = "golang-github-gogo-googleapis-dev",
        path = "/usr/share/gocode/src/github.com/gogo/googleapis",
        srcs = [
            "google/rpc/error_details.proto",
            "google/rpc/status.proto",
        ],
    )

    # @grpc_proto//:reflection_cc (grpc.reflection.v1alpha) and :health_cc.
    _declare(
        system_proto_repository,
        "grpc_proto",
        build_file = Label("//bazel:grpc_proto.BUILD"),
        debian_package = "grpc-proto",
        path = "/usr/share/grpc-proto",
        srcs = [
            "grpc/health/v1/health.proto",
            "grpc/reflection/v1alpha/reflection.proto",
        ],
    )
