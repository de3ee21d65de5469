"""cc_proto_grpc_library: .proto files -> one cc_library with messages, gRPC and plugin code.

Runs Debian's /usr/bin/protoc with /usr/bin/grpc_cpp_plugin and, optionally, one
more protoc plugin built by Bazel (the AMQP stubs use this hook). Imports of the
well-known types resolve through /usr/include; their code is in libprotobuf.

    cc_proto_grpc_library(
        name = "echo_proto",
        srcs = ["echo.proto"],
        deps = ["//proto:options_proto"],   # other cc_proto_grpc_library targets
        proto_root = "proto",              # import paths are relative to this folder
    )

Headers are included relative to `proto_root`: "examples/compute.pb.h".
"""

ProtoSrcsInfo = provider(
    doc = "The .proto files of a library and its deps, and the -I roots they need.",
    fields = {
        "transitive_srcs": "depset of .proto Files",
        "import_roots": "depset of import roots, relative to the workspace",
    },
)

_PROTOC = "/usr/bin/protoc"
_GRPC_PLUGIN = "/usr/bin/grpc_cpp_plugin"

def _strip_ext(path):
    return path[:-len(".proto")]

def _root_depth(root):
    return len(root)

def _repo_relative_path(f):
    # short_path is "../<repo>/<path>" for files of external repositories.
    if f.short_path.startswith("../"):
        return f.short_path.split("/", 2)[2]
    return f.short_path

def _proto_codegen_impl(ctx):
    root = ctx.attr.proto_root
    package = ctx.label.package
    if root and not (package == root or package.startswith(root + "/")):
        fail("proto_root %r must be the package %r or one of its parents" % (root, package))

    suffixes = [".pb.h", ".pb.cc"]
    if ctx.attr.grpc:
        suffixes += [".grpc.pb.h", ".grpc.pb.cc"]
    suffixes += ctx.attr.plugin_suffixes

    outputs = []
    package_prefix = package + "/" if package else ""
    for src in ctx.files.srcs:
        path = _repo_relative_path(src)
        if not path.startswith(package_prefix):
            fail("%s is not inside package %s" % (path, package))
        stem = _strip_ext(path[len(package_prefix):])
        outputs += [ctx.actions.declare_file(stem + s) for s in suffixes]

    # Inside another workspace (a user's, with this one as an external
    # repository) paths start with external/<repo>.
    root_path = "/".join([p for p in [ctx.label.workspace_root, root] if p])
    transitive_srcs = depset(ctx.files.srcs, transitive = [d[ProtoSrcsInfo].transitive_srcs for d in ctx.attr.deps])
    import_roots = depset([root_path], transitive = [d[ProtoSrcsInfo].import_roots for d in ctx.attr.deps])

    out_dir = ctx.bin_dir.path + ("/" + root_path if root_path else "")
    args = ctx.actions.args()

    # Specific roots first: protoc names a file after the first root that holds it.
    roots = sorted(import_roots.to_list(), key = _root_depth, reverse = True)
    args.add_all([r if r else "." for r in roots], format_each = "-I%s")
    args.add("-I/usr/include")
    args.add("--cpp_out=" + out_dir)
    tools = []
    if ctx.attr.grpc:
        args.add("--plugin=protoc-gen-grpc=" + _GRPC_PLUGIN)
        args.add("--grpc_out=" + out_dir)
    if ctx.attr.plugin:
        plugin = ctx.attr.plugin[DefaultInfo].files_to_run
        tools.append(plugin)
        args.add("--plugin=protoc-gen-extra=" + plugin.executable.path)
        args.add("--extra_out=" + (ctx.attr.plugin_options + ":" if ctx.attr.plugin_options else "") + out_dir)

    descriptor_set = None
    if ctx.attr.descriptor_set:
        descriptor_set = ctx.actions.declare_file(ctx.label.name + ".descriptor_set.pb")
        args.add("--include_imports")
        args.add("--include_source_info")
        args.add("--descriptor_set_out=" + descriptor_set.path)
    args.add_all(ctx.files.srcs)

    ctx.actions.run(
        executable = _PROTOC,
        arguments = [args],
        inputs = transitive_srcs,
        outputs = outputs + ([descriptor_set] if descriptor_set else []),
        tools = tools,
        mnemonic = "ProtocCodegen",
        progress_message = "Generating C++ code for %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset(outputs), runfiles = ctx.runfiles(files = outputs)),
        ProtoSrcsInfo(transitive_srcs = transitive_srcs, import_roots = import_roots),
        OutputGroupInfo(descriptor_set = depset([descriptor_set] if descriptor_set else [])),
    ]

proto_codegen = rule(
    implementation = _proto_codegen_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".proto"], mandatory = True),
        "deps": attr.label_list(providers = [ProtoSrcsInfo]),
        "proto_root": attr.string(doc = "Folder, relative to the workspace, that import paths start from"),
        "grpc": attr.bool(default = True),
        "plugin": attr.label(cfg = "exec", executable = True, doc = "An extra protoc plugin"),
        "plugin_suffixes": attr.string_list(doc = "Files the plugin writes per .proto, e.g. ['.amqp.h', '.amqp.cc']"),
        "plugin_options": attr.string(),
        "descriptor_set": attr.bool(doc = "Also write <name>.descriptor_set.pb (with imports)"),
    },
)

def cc_proto_grpc_library(
        name,
        srcs,
        deps = [],
        proto_root = "",
        grpc = True,
        plugin = None,
        plugin_suffixes = [],
        plugin_options = "",
        plugin_runtime_deps = [],
        descriptor_set = False,
        visibility = None,
        testonly = False):
    """Generates C++ (messages, gRPC, plugin output) for `srcs` in one cc_library `name`.

    `deps` are other cc_proto_grpc_library targets whose .proto files these import.
    The descriptor set, when asked for, is the target `name + "_descriptor_set"`.
    """
    codegen = name + "_codegen"
    proto_codegen(
        name = codegen,
        srcs = srcs,
        deps = [d + "_codegen" for d in deps],
        proto_root = proto_root,
        grpc = grpc,
        plugin = plugin,
        plugin_suffixes = plugin_suffixes,
        plugin_options = plugin_options,
        descriptor_set = descriptor_set,
        visibility = visibility,
        testonly = testonly,
    )
    if descriptor_set:
        native.filegroup(
            name = name + "_descriptor_set",
            srcs = [":" + codegen],
            output_group = "descriptor_set",
            visibility = visibility,
            testonly = testonly,
        )
    native.cc_library(
        name = name,
        srcs = [":" + codegen],
        hdrs = [":" + codegen],
        strip_include_prefix = "/" + proto_root if proto_root else None,
        deps = deps + plugin_runtime_deps + ["@system//:grpc++"],
        visibility = visibility,
        testonly = testonly,
    )

def cc_amqp_proto_library(name, srcs, deps = [], proto_root = "", visibility = None, testonly = False):
    """Messages, gRPC services and oslo.messaging stubs for `srcs` in one cc_library.

    Runs protoc with grpc_cpp_plugin and protoc-gen-amqp: for each x.proto the
    library has x.pb.h, x.grpc.pb.h and x.amqp.h (<Service>Endpoint and
    <Service>Client). The .proto files may import "amqp/options.proto". The
    descriptor set the bridge reads is the target `name + "_descriptor_set"`.
    """
    options = str(Label("//proto/amqp:options_proto"))
    cc_proto_grpc_library(
        name = name,
        srcs = srcs,
        deps = deps + ([options] if options not in deps else []),
        proto_root = proto_root,
        plugin = str(Label("//codegen:protoc-gen-amqp")),
        plugin_suffixes = [".amqp.h", ".amqp.cc"],
        plugin_runtime_deps = [str(Label("//bridge/stubs"))],
        descriptor_set = True,
        visibility = visibility,
        testonly = testonly,
    )
