#!/usr/bin/python3
"""Fails, naming the edge, when a package depends on one that bazel/layers.bzl
does not allow it to use, or when a package under //bridge or //codegen has
no row in that table.

    layers_test.py LAYERS_TABLE DEPS_GRAPH

LAYERS_TABLE is the table as a Python literal, DEPS_GRAPH the output of
`bazel query --output=graph --nograph:factored` over what the repository
ships (tests/architecture:shipped_deps).
"""
import ast
import re
import sys
import unittest

EDGE = re.compile(r'^\s*"(//[^"]*)" -> "(//[^"]*)"\s*$')
OWN = re.compile(r"^//(bridge|codegen|proto)(/|:|$)")


def package(label):
    return label[2:].split(":", 1)[0]


def read_edges(path):
    edges = []
    with open(path) as graph:
        for line in graph:
            match = EDGE.match(line)
            if match:
                edges.append(match.groups())
    return edges


def violations(layers, edges):
    """The edges between two of our packages that the table does not allow,
    and our packages that have no row (unknown to the table)."""
    bad, unknown = [], set()
    for source, target in edges:
        if not (OWN.match(source) and OWN.match(target)):
            continue
        src, dst = package(source), package(target)
        if src == dst or src.startswith("proto"):
            continue
        if src not in layers:
            unknown.add(src)
            continue
        if dst not in layers[src]:
            bad.append(f"{source} -> {target}: {src} may use only "
                       f"{', '.join(layers[src]) or 'nothing of ours'}")
    return sorted(bad), sorted(unknown)


class LayersTest(unittest.TestCase):
    layers_path = None
    graph_path = None

    def setUp(self):
        with open(self.layers_path) as table:
            self.layers = ast.literal_eval(table.read())
        self.edges = read_edges(self.graph_path)

    def test_graph_is_read(self):
        # The check below means nothing if the graph parsed to nothing.
        ours = [e for e in self.edges
                if OWN.match(e[0]) and OWN.match(e[1]) and package(e[0]) != package(e[1])]
        self.assertGreater(len(ours), 20, "too few edges: is the graph's format still the one parsed?")

    def test_every_edge_follows_the_layers(self):
        bad, unknown = violations(self.layers, self.edges)
        self.assertEqual(unknown, [], "packages without a row in bazel/layers.bzl")
        self.assertEqual(bad, [], "dependencies that break bazel/layers.bzl")

    def test_a_lower_layer_using_a_higher_one_is_named(self):
        # The checker itself: oslo (the pure codec) must not use rpc.
        bad, _ = violations(self.layers, [("//bridge/oslo:reply", "//bridge/rpc:rpc_client")])
        self.assertEqual(len(bad), 1)
        self.assertIn("//bridge/oslo:reply -> //bridge/rpc:rpc_client", bad[0])


if __name__ == "__main__":
    LayersTest.layers_path, LayersTest.graph_path = sys.argv[1:3]
    unittest.main(argv=sys.argv[:1], verbosity=2)
