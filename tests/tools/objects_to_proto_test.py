#!/usr/bin/python3
"""tools/objects_to_proto.py against nova's real object registry
(python3-nova 26): the checked-in proto/examples/nova_objects.proto is what
the command in its header generates today (the golden: after an intended
change, rerun that command and review the diff); the whole registry
generates, deterministically, into a .proto protoc compiles, with every
object's name, version and fields; field types follow the documented table;
bad selections fail with a clear message.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

from google.protobuf import descriptor, descriptor_pb2, descriptor_pool, message_factory

from oslo_versionedobjects import base as ovo_base
import nova.objects

TOOL = "tools/objects_to_proto.py"
GOLDEN = "proto/examples/nova_objects.proto"
API = "proto/examples/nova_compute.proto"


def runfile(path):
    full = os.path.join(os.environ.get("TEST_SRCDIR", "."),
                        os.environ.get("TEST_WORKSPACE", "grpc_amqp_bridge"), path)
    return full if os.path.exists(full) else os.path.abspath(path)


def generate(*args):
    return subprocess.run(["/usr/bin/python3", runfile(TOOL), *args],
                          capture_output=True, text=True, timeout=120)


def compile_set(workdir, proto_files):
    """protoc's descriptor set of `proto_files` (paths relative to
    `workdir`), or AssertionError with protoc's message."""
    out = os.path.join(workdir, "set.pb")
    done = subprocess.run(
        ["/usr/bin/protoc", "--include_imports", f"--descriptor_set_out={out}", f"-I{workdir}",
         f"-I{os.path.dirname(os.path.dirname(runfile('proto/amqp/options.proto')))}",
         "-I/usr/include", *proto_files], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"protoc failed:\n{done.stderr}")
    with open(out, "rb") as f:
        return descriptor_pb2.FileDescriptorSet.FromString(f.read())


class Compiled:
    """A descriptor set's messages and their (amqp.*) options."""

    def __init__(self, file_set):
        self.pool = descriptor_pool.DescriptorPool()
        for file in file_set.file:
            self.pool.Add(file)
        factory = message_factory.MessageFactory(self.pool)
        self._message_options = factory.GetPrototype(
            self.pool.FindMessageTypeByName("google.protobuf.MessageOptions"))
        self._value_options = factory.GetPrototype(
            self.pool.FindMessageTypeByName("google.protobuf.EnumValueOptions"))
        self._object = self.pool.FindExtensionByName("amqp.object")
        self._value = self.pool.FindExtensionByName("amqp.value")

    def message(self, name):
        return self.pool.FindMessageTypeByName(name)

    def object_option(self, name):
        proto = descriptor_pb2.DescriptorProto()
        self.message(name).CopyToProto(proto)
        options = self._message_options.FromString(proto.options.SerializeToString())
        return options.Extensions[self._object]

    def enum_spellings(self, enum):
        """{value name: its (amqp.value)} of an enum descriptor."""
        proto = descriptor_pb2.EnumDescriptorProto()
        enum.CopyToProto(proto)
        return {v.name: self._value_options.FromString(v.options.SerializeToString())
                .Extensions[self._value] for v in proto.value}


def newest_nova_objects():
    nova.objects.register_all()
    newest = {name: max(versions, key=lambda c: tuple(map(int, c.VERSION.split("."))))
              for name, versions in ovo_base.VersionedObjectRegistry.obj_classes().items()}
    return {name: cls for name, cls in newest.items() if cls.__module__.startswith("nova.")}


class ObjectsToProtoTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

    def test_the_checked_in_example_is_what_its_command_generates(self):
        with open(runfile(GOLDEN)) as f:
            golden = f.read()
        command = re.search(r"^//   tools/objects_to_proto\.py (.*) --out (\S+)$", golden, re.M)
        self.assertIsNotNone(command, "the golden's header no longer names its command")
        done = generate(*shlex.split(command.group(1)), "--out", "-")
        self.assertEqual(done.returncode, 0, done.stderr)
        generated = done.stdout.replace("--out -", f"--out {command.group(2)}")
        self.assertEqual(generated, golden,
                         f"{GOLDEN} is not what `{TOOL} {command.group(1)}` generates; "
                         "if the change is intended, regenerate it and review the diff")

    def test_the_example_api_compiles_with_the_golden(self):
        os.makedirs(os.path.join(self.workdir, "examples"), exist_ok=True)
        for path in (GOLDEN, API):
            with open(runfile(path)) as f, \
                    open(os.path.join(self.workdir, "examples", os.path.basename(path)), "w") as g:
                g.write(f.read())
        compiled = Compiled(compile_set(self.workdir, ["examples/nova_compute.proto"]))
        request = compiled.message("examples.nova_compute.GetConsoleOutputRequest")
        self.assertEqual(request.fields_by_name["instance"].message_type.full_name,
                         "nova.objects.Instance")

    def test_the_whole_registry_generates_compiles_and_is_complete(self):
        out = os.path.join(self.workdir, "nova_objects.proto")
        done = generate("--module", "nova.objects", "--out", out)
        self.assertEqual(done.returncode, 0, done.stderr)
        registry = newest_nova_objects()
        self.assertIn(f"wrote {len(registry)} objects to {out}", done.stderr)
        again = generate("--module", "nova.objects", "--out", "-")
        with open(out) as f:
            self.assertEqual(again.stdout.replace("--out -", "--out nova_objects.proto"), f.read(),
                             "two runs over the same registry differ")

        compiled = Compiled(compile_set(self.workdir, ["nova_objects.proto"]))
        self.assertGreater(len(registry), 100)
        for name, cls in registry.items():
            message = compiled.message(f"nova.objects.{name}")
            option = compiled.object_option(message.full_name)
            self.assertEqual((option.name, option.namespace, option.version,
                              option.serial_namespace),
                             (name, "nova", cls.VERSION, "nova_object"), name)
            self.assertEqual(sorted(f.name for f in message.fields), sorted(cls.fields), name)

        instance = compiled.message("nova.objects.Instance")
        f = instance.fields_by_name
        self.assertEqual(f["uuid"].type, descriptor.FieldDescriptor.TYPE_STRING)
        self.assertFalse(f["uuid"].has_presence)  # not nullable, no default
        self.assertTrue(f["host"].has_presence)  # nullable: optional
        self.assertEqual(f["memory_mb"].type, descriptor.FieldDescriptor.TYPE_INT64)
        self.assertTrue(f["locked"].has_presence)  # default False: optional
        self.assertEqual(f["launched_at"].message_type.full_name, "google.protobuf.Timestamp")
        self.assertEqual(f["flavor"].message_type.full_name, "nova.objects.Flavor")
        self.assertEqual(f["tags"].message_type.full_name, "nova.objects.TagList")
        self.assertTrue(f["metadata"].message_type.GetOptions().map_entry)  # DictOfStrings
        self.assertEqual(f["system_metadata"].message_type.full_name,
                         "google.protobuf.Value")  # DictOfNullableStrings
        tags = compiled.message("nova.objects.TagList").fields_by_name["objects"]
        self.assertEqual((tags.label, tags.message_type.full_name),
                         (descriptor.FieldDescriptor.LABEL_REPEATED, "nova.objects.Tag"))
        flavor = compiled.message("nova.objects.Flavor").fields_by_name
        self.assertEqual(flavor["rxtx_factor"].type, descriptor.FieldDescriptor.TYPE_DOUBLE)
        self.assertEqual(flavor["projects"].label, descriptor.FieldDescriptor.LABEL_REPEATED)

        state = compiled.message("nova.objects.Diagnostics").fields_by_name["state"]
        self.assertEqual(state.enum_type.full_name, "nova.objects.InstancePowerState")
        spellings = compiled.enum_spellings(state.enum_type)
        self.assertEqual(spellings["INSTANCE_POWER_STATE_RUNNING"], "running")
        self.assertEqual(spellings["INSTANCE_POWER_STATE_UNSPECIFIED"], "")
        self.assertEqual(sorted(v for v in spellings.values() if v),
                         sorted(nova.objects.fields.InstancePowerState.ALL))

        with open(out) as f:
            text = f.read()
        self.assertIn("google.protobuf.Value system_metadata = 60;  "
                      "// oslo DictOfNullableStringsField", text)

    def test_shallow_leaves_unpicked_objects_as_values(self):
        done = generate("--module", "nova.objects", "--objects", "Instance", "--shallow",
                        "--out", "-")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(re.findall(r"^message (\w+)", done.stdout, re.M), ["Instance"])
        self.assertIn("google.protobuf.Value flavor = 22;  "
                      "// oslo ObjectField('Flavor'), not generated (--shallow)", done.stdout)
        closure = generate("--module", "nova.objects", "--objects", "TagList", "--out", "-")
        self.assertEqual(re.findall(r"^message (\w+)", closure.stdout, re.M), ["Tag", "TagList"])
        self.assertIn("  string tag = 2;\n", closure.stdout)  # not nullable, no default

    def test_all_optional_gives_every_scalar_presence(self):
        done = generate("--module", "nova.objects", "--objects", "TagList", "--all_optional",
                        "--out", "-")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("  optional string tag = 2;\n", done.stdout)
        self.assertIn("  repeated Tag objects = 1;\n", done.stdout)  # not scalars
        self.assertIn("--objects TagList --all_optional --out -", done.stdout)

    def test_previous_keeps_numbers_and_reserves_what_is_gone(self):
        """--previous with the file of an older release: what it had keeps its
        number, what is new is numbered after everything it used, what is gone
        is reserved, a field whose type changed gets a new number; the result
        compiles, and regenerating from it changes nothing."""
        pick = ("--module", "nova.objects", "--objects", "Instance,InstanceExternalEvent",
                "--shallow")
        now = generate(*pick, "--out", "-")
        self.assertEqual(now.returncode, 0, now.stderr)
        field = re.compile(r"^(  (?:optional |repeated )?(?:map<[^>]+>|\S+) (\w+) = )(\d+);(.*)$")
        value = re.compile(r"^(    (\w+) = )(\d+)(.*)$")
        numbers, values = {}, {}
        # The older release: Instance without access_ip_v4 yet (so every field
        # after it one lower), with a field since removed and host an int64;
        # the event names without network-vif-unplugged (the later ones one
        # lower).
        lines, scope = [], None
        for line in now.stdout.splitlines():
            opened = re.match(r"^(?:message|  enum) (\w+) \{$", line)
            scope = opened.group(1) if opened else scope
            f = field.match(line) if scope == "Instance" else None
            v = value.match(line) if scope == "Name" else None
            if f:
                numbers[f.group(2)] = int(f.group(3))
                if f.group(2) == "access_ip_v4":
                    continue
                line = f"{f.group(1)}{int(f.group(3)) - 1};{f.group(4)}"
                line = line.replace("optional string host ", "optional int64 host ")
            if v:
                values[v.group(2)] = int(v.group(3))
                if v.group(2) == "NAME_NETWORK_VIF_UNPLUGGED":
                    continue
                if "NAME_NETWORK_VIF_UNPLUGGED" in values:
                    line = f"{v.group(1)}{int(v.group(3)) - 1}{v.group(4)}"
            if scope == "Instance" and line == "}":
                lines.append("  string retired_field = 200;")
            lines.append(line)
        self.assertEqual(numbers["access_ip_v4"], 1)
        self.assertEqual(values["NAME_NETWORK_VIF_UNPLUGGED"], 3)
        old_dir, new_dir = (tempfile.mkdtemp(dir=self.workdir) for _ in range(2))
        old_path = os.path.join(old_dir, "nova_objects.proto")
        with open(old_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        compile_set(old_dir, ["nova_objects.proto"])  # a valid older file
        new_path = os.path.join(new_dir, "nova_objects.proto")
        done = generate(*pick, "--previous", old_path, "--out", new_path)
        self.assertEqual(done.returncode, 0, done.stderr)
        compiled = Compiled(compile_set(new_dir, ["nova_objects.proto"]))
        instance = compiled.message("nova.objects.Instance")
        got = {f.name: f.number for f in instance.fields}
        for name, number in numbers.items():
            if name not in ("access_ip_v4", "host"):
                self.assertEqual(got[name], number - 1, name)  # the older number
        self.assertEqual((got["access_ip_v4"], got["host"]), (201, 202))  # after 200
        proto = descriptor_pb2.DescriptorProto()
        instance.CopyToProto(proto)
        self.assertEqual(sorted((r.start, r.end) for r in proto.reserved_range),
                         [(numbers["host"] - 1, numbers["host"]), (200, 201)])
        self.assertEqual(list(proto.reserved_name), ["retired_field"])
        event = compiled.message("nova.objects.InstanceExternalEvent")
        got_values = {v.name: v.number for v in event.enum_types_by_name["Name"].values}
        for name, number in values.items():
            if name != "NAME_NETWORK_VIF_UNPLUGGED":
                self.assertEqual(got_values[name], number - (number > 3), name)
        self.assertEqual(got_values["NAME_NETWORK_VIF_UNPLUGGED"], max(values.values()))
        with open(new_path) as f:
            new_text = f.read()
        self.assertIn("--previous nova_objects.proto --out nova_objects.proto", new_text)
        again = generate(*pick, "--previous", new_path, "--out", "-")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(again.stdout.replace("--out -", "--out nova_objects.proto"), new_text)

    def test_bad_selections_fail_clearly(self):
        done = generate("--module", "nova.objects", "--objects", "Instance,NoSuchThing",
                        "--out", "-")
        self.assertEqual(done.returncode, 1)
        self.assertIn("objects_to_proto: no registered object NoSuchThing", done.stderr)
        self.assertEqual(done.stdout, "")
        done = generate("--module", "json", "--out", "-")
        self.assertEqual(done.returncode, 1)
        self.assertIn("objects_to_proto: json registered no versioned objects", done.stderr)
        done = generate("--module", "no_such_module", "--out", "-")
        self.assertEqual(done.returncode, 1)
        self.assertIn("objects_to_proto: cannot import no_such_module: "
                      "No module named 'no_such_module'", done.stderr)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    print(f"{result.testsRun - len(result.failures) - len(result.errors)} passed, "
          f"{len(result.failures) + len(result.errors)} failed")
    sys.exit(0 if result.wasSuccessful() else 1)
