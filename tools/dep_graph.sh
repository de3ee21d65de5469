#!/usr/bin/env bash
# Draws the packages of the runtime, the bridge and the generator with their
# dependencies, from the build itself (bazel query), as an SVG:
#   tools/dep_graph.sh [OUT.svg]      default: docs/architecture-deps.svg
# One box per package, one arrow per package that uses another; the arrows
# are what bazel/layers.bzl allows and //tests/architecture:layers_test
# checks. Needs graphviz (tools/setup.sh installs it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-docs/architecture-deps.svg}"
command -v dot >/dev/null || { echo "dep_graph: graphviz's dot is missing: run tools/setup.sh" >&2; exit 1; }

roots='//bridge:grpc_amqp_bridge + //bridge:oslo_rpc + //codegen:protoc-gen-amqp + //bridge/stubs'
bazel query --noshow_progress "deps(${roots})" --output=graph --nograph:factored 2>/dev/null |
  python3 -c '
import re, sys
edge = re.compile(r"^\s*\"//([^\":]*)[^\"]*\" -> \"//([^\":]*)[^\"]*\"")
own = re.compile(r"^(bridge|codegen|proto/amqp)(/|$)")
edges = set()
for line in sys.stdin:
    m = edge.match(line)
    if m and own.match(m[1]) and own.match(m[2]) and m[1] != m[2]:
        edges.add((m[1], m[2]))
print("digraph packages {")
print("  rankdir=BT; node [shape=box, fontname=\"Helvetica\", fontsize=11];")
for a, b in sorted(edges):
    print(f"  \"{a}\" -> \"{b}\";")
print("}")
' | dot "-T${out##*.}" -o "${out}"
echo "dep_graph: wrote ${out}"
