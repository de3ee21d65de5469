#!/usr/bin/env bash
# Regenerates tests/codegen/golden/ from the example protos, after an intended
# change of protoc-gen-amqp. Review the diff before committing it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bazel build //proto/examples:compute_proto_codegen
cp -f bazel-bin/proto/examples/compute.amqp.h bazel-bin/proto/examples/compute.amqp.cc \
  tests/codegen/golden/
chmod 644 tests/codegen/golden/*
git diff --stat -- tests/codegen/golden/
