#!/usr/bin/python3
"""proto/examples/nova_compute.proto is a slice of nova's real compute RPC API
(python3-nova 26): read from nova's own source, each RPC's oslo method is a
ComputeManager method whose parameters (after self and context) are the
request's fields other than the routing field; nova's ComputeAPI client
calls it by that name, casts exactly the RPCs marked `cast`, routes with
prepare(server=...) where the proto has `server_field`, and sends
`_ver(ctxt, '<fallback_version>')`; the service's version is the one nova's
client targets, and nova's manager serves that major version.
"""
import ast
import os
import re
import subprocess
import sys
import tempfile
import unittest

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

import nova.compute

API = "proto/examples/nova_compute.proto"
SERVICE = "examples.nova_compute.ComputeAPI"


def runfile(path):
    full = os.path.join(os.environ.get("TEST_SRCDIR", "."),
                        os.environ.get("TEST_WORKSPACE", "grpc_amqp_bridge"), path)
    return full if os.path.exists(full) else os.path.abspath(path)


def nova_class(module_file, class_name):
    """{method name: (parameter names, source)} of a class in nova's source."""
    with open(os.path.join(os.path.dirname(nova.compute.__file__), module_file)) as f:
        source = f.read()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return {item.name: ([a.arg for a in item.args.args],
                                ast.get_source_segment(source, item))
                    for item in node.body if isinstance(item, ast.FunctionDef)}, \
                ast.get_source_segment(source, node)
    raise AssertionError(f"nova/compute/{module_file} has no class {class_name}")


class ExampleApiTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        out = os.path.join(workdir, "api.pb")
        proto_root = os.path.dirname(os.path.dirname(runfile(API)))
        subprocess.run(["/usr/bin/protoc", "--include_imports", f"--descriptor_set_out={out}",
                        f"-I{proto_root}", "-I/usr/include", "examples/nova_compute.proto"],
                       check=True, timeout=60)
        with open(out, "rb") as f:
            files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
        pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            pool.Add(file)
        factory = message_factory.MessageFactory(pool)
        service = pool.FindServiceByName(SERVICE)
        service_proto = descriptor_pb2.ServiceDescriptorProto()
        service.CopyToProto(service_proto)

        def options(kind, proto_options, extension):
            options_class = factory.GetPrototype(
                pool.FindMessageTypeByName(f"google.protobuf.{kind}Options"))
            parsed = options_class.FromString(proto_options.SerializeToString())
            return parsed.Extensions[pool.FindExtensionByName(extension)]

        cls.service_options = options("Service", service_proto.options, "amqp.service")
        cls.methods = [(method, options("Method", method.options, "amqp.method"),
                        service.methods_by_name[method.name])
                       for method in service_proto.method]
        cls.manager, cls.manager_source = nova_class("manager.py", "ComputeManager")
        cls.client, cls.client_source = nova_class("rpcapi.py", "ComputeAPI")

    def test_the_service_is_novas_compute_api_6(self):
        self.assertEqual(self.service_options.topic, "compute")
        self.assertEqual(self.service_options.version, "6.0")
        self.assertIn("messaging.Target(topic=RPC_TOPIC, version='6.0')", self.client_source)
        self.assertRegex(self.manager_source, r"target = messaging\.Target\(version='6\.\d+'\)")
        self.assertGreaterEqual(len(self.methods), 4)

    def test_each_rpc_is_a_manager_method_with_the_request_fields(self):
        for method, options, descriptor in self.methods:
            oslo = options.name or re.sub(r"(?<!^)(?=[A-Z])", "_", method.name).lower()
            with self.subTest(oslo):
                self.assertIn(oslo, self.manager, f"ComputeManager has no {oslo}")
                params, _ = self.manager[oslo]
                self.assertEqual(params[:2], ["self", "context"])
                fields = [f.name for f in descriptor.input_type.fields
                          if f.name != options.server_field]
                self.assertEqual(fields, params[2:])

    def test_novas_client_calls_them_as_the_options_say(self):
        for method, options, _ in self.methods:
            oslo = options.name or re.sub(r"(?<!^)(?=[A-Z])", "_", method.name).lower()
            with self.subTest(oslo):
                self.assertIn(oslo, self.client, f"ComputeAPI has no {oslo}")
                _, source = self.client[oslo]
                verb = "cast" if options.cast else "call"
                self.assertRegex(source, rf"\.{verb}\(ctxt, '{oslo}'")
                if options.fallback_version:
                    self.assertIn(f"self._ver(ctxt, '{options.fallback_version}')", source)
                if options.server_field:
                    self.assertIn("prepare(", source)
                    self.assertRegex(source, r"server=")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    print(f"{result.testsRun - len(result.failures) - len(result.errors)} passed, "
          f"{len(result.failures) + len(result.errors)} failed")
    sys.exit(0 if result.wasSuccessful() else 1)
