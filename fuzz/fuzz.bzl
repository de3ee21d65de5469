"""cc_fuzz_target: one libFuzzer target, its replay binary and its replay test.

    cc_fuzz_target(
        name = "envelope_fuzzer",
        srcs = ["envelope_fuzzer.cc"],   # defines LLVMFuzzerTestOneInput
        deps = ["//bridge/oslo:request"],
    )

makes
  :envelope_fuzzer             with --config=fuzz (clang): a libFuzzer binary
                               with ASan + UBSan; otherwise a plain binary
                               that runs the input files given as arguments;
  :envelope_fuzzer_replay_test a gtest that runs corpus/envelope_fuzzer/* (the
                               seeds) and regressions/envelope_fuzzer/* (kept
                               crash inputs) through the same entry point.
"""

def cc_fuzz_target(name, srcs, deps = [], testonly = False):
    corpus = "corpus/" + name
    regressions = "regressions/" + name
    native.cc_library(
        name = name + "_lib",
        testonly = testonly,
        srcs = srcs,
        deps = deps + ["//fuzz:fuzz_check"],
        alwayslink = True,
    )
    native.cc_binary(
        name = name,
        testonly = testonly,
        deps = [":" + name + "_lib"] + select({
            "//fuzz:fuzzing": [],
            "//conditions:default": ["//fuzz:standalone_main"],
        }),
        linkopts = select({
            "//fuzz:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
    )
    native.cc_test(
        name = name + "_replay_test",
        size = "small",
        # Runfiles paths, relative to the workspace root.
        args = [native.package_name() + "/" + d for d in (corpus, regressions)],
        data = native.glob(
            [corpus + "/*", regressions + "/*"],
            allow_empty = True,
        ),
        deps = [
            ":" + name + "_lib",
            "//fuzz:replay_test_main",
        ],
    )
