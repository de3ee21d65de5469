#!/usr/bin/env bash
# Regenerates tests/codegen/golden/ from the example protos and
# tests/codegen/power.proto, after an intended change of protoc-gen-amqp.
# Review the diff before committing it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bazel build //proto/examples:compute_proto_codegen //tests/codegen:power_proto_codegen
cp -f bazel-bin/proto/examples/compute.amqp.h bazel-bin/proto/examples/compute.amqp.cc \
  tests/codegen/golden/
cp -f bazel-bin/tests/codegen/power.amqp.h bazel-bin/tests/codegen/power.amqp.cc \
  tests/codegen/golden/
chmod 644 tests/codegen/golden/*
git diff --stat -- tests/codegen/golden/
