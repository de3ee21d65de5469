"""Repository rule that exposes Debian's system libraries as cc_library targets.

Each target carries the link flags pkg-config reports for its modules, so BUILD
files depend on `@system//:grpc++` and never spell a linker flag. Headers come
from /usr/include, which the auto-configured GCC toolchain already searches.
"""

def _pkg_config(rctx, flag, modules):
    result = rctx.execute(["pkg-config", flag] + modules)
    if result.return_code != 0:
        fail("pkg-config %s %s failed (is the -dev package installed? run tools/setup.sh): %s" %
             (flag, " ".join(modules), result.stderr))
    return [f for f in result.stdout.strip().split(" ") if f]

def _dedup(flags):
    seen = {}
    out = []
    for f in flags:
        if f not in seen:
            seen[f] = True
            out.append(f)
    return out

def _system_libs_impl(rctx):
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, spec in sorted(rctx.attr.libs.items()):
        modules = [m for m in spec.split(" ") if m]
        defines = list(rctx.attr.extra_defines.get(name, []))
        for flag in _pkg_config(rctx, "--cflags", modules):
            if flag.startswith("-D"):
                defines.append(flag[2:])
            elif flag.startswith("-I") and flag[2:] not in ("/usr/include", "/usr/include/x86_64-linux-gnu"):
                fail("%s: include path %s is outside /usr/include" % (name, flag))
        linkopts = rctx.attr.extra_linkopts.get(name, []) + _pkg_config(rctx, "--libs", modules)
        lines.append("cc_library(\n    name = %r,\n    defines = %r,\n    linkopts = %r,\n)\n" %
                     (name, _dedup(defines), _dedup(linkopts)))
    rctx.file("WORKSPACE", "")
    rctx.file("BUILD", "\n".join(lines))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    attrs = {
        "libs": attr.string_dict(doc = "target name -> space-separated pkg-config modules"),
        "extra_linkopts": attr.string_list_dict(doc = "target name -> flags for libraries without a .pc file"),
        "extra_defines": attr.string_list_dict(doc = "target name -> macros every user of its headers must see alike"),
    },
    environ = ["PKG_CONFIG_PATH"],
    local = True,
)
