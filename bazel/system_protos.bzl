"""Repository rule for .proto files that a Debian package ships.

Nothing is vendored or downloaded: the repository symlinks the listed files
from their Debian folder, keeping their import paths, and adds a BUILD file
from bazel/ that compiles them with cc_proto_grpc_library. A missing package
stops the build with the name of the package to install.

    system_proto_repository(
        name = "grpc_proto",
        path = "/usr/share/grpc-proto",
        debian_package = "grpc-proto",
        srcs = ["grpc/health/v1/health.proto"],
        build_file = "//bazel:grpc_proto.BUILD",
    )
"""

def _system_proto_repository_impl(rctx):
    for src in rctx.attr.srcs:
        path = rctx.path(rctx.attr.path + "/" + src)
        if not path.exists:
            fail("%s is missing: install the Debian package %s (tools/setup.sh does)" %
                 (path, rctx.attr.debian_package))
        rctx.symlink(path, src)
    # The BUILD files load "@//bazel:proto.bzl"; that names the main workspace,
    # which is this repository only when it is the main one.
    proto_bzl = Label("//bazel:proto.bzl")
    rctx.template("BUILD.bazel", rctx.attr.build_file, {
        "@//bazel:proto.bzl": "@%s//%s:%s" % (proto_bzl.workspace_name, proto_bzl.package, proto_bzl.name),
    })
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)

system_proto_repository = repository_rule(
    implementation = _system_proto_repository_impl,
    attrs = {
        "path": attr.string(mandatory = True, doc = "Folder the import paths start from"),
        "debian_package": attr.string(mandatory = True, doc = "Package that ships the files"),
        "srcs": attr.string_list(mandatory = True, doc = "Files, relative to `path`"),
        "build_file": attr.label(mandatory = True, allow_single_file = True),
    },
    local = True,
)
