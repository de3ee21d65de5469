#!/usr/bin/python3
"""Writes a .proto for the oslo.versionedobjects of a live Python registry.

    /usr/bin/python3 tools/objects_to_proto.py --module nova.objects \\
        --out nova_objects.proto [--objects Instance,Flavor] [--shallow] \\
        [--package nova.objects] [--all_optional] [--previous old.proto]

Imports --module (and calls its register_all(), as nova, cinder and ironic
have one), then writes one message per registered object of that module at
its current (highest) version, carrying its (amqp.object) option, so the
bridge and protoc-gen-amqp send it as obj_to_primitive()'s form. Field types
(docs/nova.md has the table): String, UUID and other string-valued types ->
string; Integer -> int64; Float -> double; Boolean -> bool; DateTime ->
google.protobuf.Timestamp; Enum -> an enum whose values carry the oslo
spelling as (amqp.value); Object -> the object's message; List/Set of
objects or scalars -> repeated; Dict of strings, integers... -> map;
anything else -> google.protobuf.Value with a comment naming the oslo field.
A nullable or defaulted scalar is `optional` (with --all_optional every
scalar is, so that a zero or false the service sent is sent back). Fields are numbered in the
order of their names; messages and enums are written sorted by name, so the
same registry always gives the same bytes.

--previous names a .proto this tool wrote before, for the service's last
release: every field and enum value it has keeps its number there, new ones
get numbers after the highest it used, and the numbers (and names) of those
gone are reserved, so that gRPC peers built from either file still agree on
the wire. A field whose type changed gets a new number too.

--objects picks objects by name, with every object they refer to; with
--shallow, references to objects not picked become google.protobuf.Value.
Run it with the Python that has the service's package (Debian's
/usr/bin/python3 for python3-nova).
"""
import argparse
import importlib
import re
import sys

from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import fields as ovo_fields

VALUE = "google.protobuf.Value"
TIMESTAMP = "google.protobuf.Timestamp"
IMPORTS = {VALUE: "google/protobuf/struct.proto", TIMESTAMP: "google/protobuf/timestamp.proto"}


def version_key(cls):
    return tuple(int(p) for p in cls.VERSION.split("."))


def snake_to_camel(name):
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p)


def camel_to_upper_snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).upper()


def value_name(prefix, spelling):
    """The proto name of an enum value: PREFIX_SPELLING, upper case, with
    what is not a letter or digit as "_"."""
    body = re.sub(r"[^A-Za-z0-9]+", "_", str(spelling)).strip("_").upper()
    return f"{prefix}_{body}" if body else f"{prefix}_EMPTY"


class Previous:
    """What a .proto this tool wrote numbered, by scope ("Instance",
    "Instance.VmMode", "InstancePowerState"): each field's or enum value's
    (number, kind) and the numbers and names it reserved."""

    SCOPE = re.compile(r"^\s*(message|enum) (\w+) \{$")
    FIELD = re.compile(r"^\s+(?:optional )?((?:repeated )?(?:map<[^>]+>|[\w.]+)) (\w+) = (\d+);")
    VALUE = re.compile(r"^\s+(\w+) = (\d+)[ ;]")
    RESERVED = re.compile(r"^\s+reserved (.+);")

    def __init__(self, text):
        self.numbers = {}   # scope -> {name: (number, kind)}
        self.reserved = {}  # scope -> (set of numbers, set of names)
        scopes = []         # (kind, name) of the blocks open
        for line in text.splitlines():
            opened = self.SCOPE.match(line)
            if opened:
                scopes.append(opened.groups())
                self.numbers.setdefault(self.scope(scopes), {})
                continue
            if re.match(r"^\s*\}$", line):
                if scopes:
                    scopes.pop()
                continue
            if not scopes:
                continue
            scope = self.scope(scopes)
            reserved = self.RESERVED.match(line)
            if reserved:
                numbers, names = self.reserved.setdefault(scope, (set(), set()))
                for item in reserved.group(1).split(","):
                    item = item.strip()
                    if item.startswith('"'):
                        names.add(item.strip('"'))
                    else:
                        numbers.add(int(item))
                continue
            if scopes[-1][0] == "message":
                field = self.FIELD.match(line)
                if field:
                    kind, name, number = field.groups()
                    self.numbers[scope][name] = (int(number), kind)
            else:
                value = self.VALUE.match(line)
                if value:
                    self.numbers[scope][value.group(1)] = (int(value.group(2)), None)

    @staticmethod
    def scope(scopes):
        return ".".join(name for _, name in scopes)

    def numbering(self, scope, entries, first):
        """{name: number} for `entries`, (name, kind) pairs in the order they
        are written, and the (numbers, names) to reserve: numbered from
        `first` when `scope` is new; else as described in --previous."""
        before = self.numbers.get(scope)
        if before is None:
            return {name: n for n, (name, _) in enumerate(entries, start=first)}, ([], [])
        numbers, names = (set(r) for r in self.reserved.get(scope, (set(), set())))
        next_number = max({n for n, _ in before.values()} | numbers | {first - 1}) + 1
        assigned = {}
        for name, kind in entries:
            if name in before and before[name][1] == kind:
                assigned[name] = before[name][0]
            else:
                assigned[name], next_number = next_number, next_number + 1
        for name, (number, _) in before.items():
            if assigned.get(name) != number:  # gone, or its kind changed
                numbers.add(number)
                names.add(name)
        names -= set(assigned)  # a name in use again is no longer reserved
        return assigned, (sorted(numbers), sorted(names))


def reserved_lines(indent, reserved):
    numbers, names = reserved
    out = []
    if numbers:
        out.append(f"{indent}reserved {', '.join(str(n) for n in numbers)};")
    if names:
        quoted = ", ".join(f'"{n}"' for n in names)
        out.append(f"{indent}reserved {quoted};")
    return out


class Enum:
    """A proto enum for an oslo Enum type: its values in oslo's order."""

    def __init__(self, name, spellings, origin):
        self.name, self.origin = name, origin
        prefix = camel_to_upper_snake(name)
        self.values = [(f"{prefix}_UNSPECIFIED", None)]
        taken = {self.values[0][0]}
        for spelling in spellings:
            proto = value_name(prefix, spelling)
            n = 2
            while proto in taken:  # "a-b" and "a_b" both give A_B
                proto, n = f"{value_name(prefix, spelling)}_{n}", n + 1
            taken.add(proto)
            self.values.append((proto, str(spelling)))

    def lines(self, previous, scope, indent=""):
        """The enum's text, numbered against `previous` (a Previous) under
        `scope`."""
        numbers, reserved = previous.numbering(
            scope, [(proto, None) for proto, _ in self.values], first=0)
        out = [f"{indent}// oslo {self.origin}", f"{indent}enum {self.name} {{"]
        out += reserved_lines(indent + "  ", reserved)
        for proto, spelling in self.values:
            option = f' [(amqp.value) = "{spelling}"]' if spelling is not None else ""
            out.append(f"{indent}  {proto} = {numbers[proto]}{option};")
        out.append(f"{indent}}}")
        return out


class Generator:
    def __init__(self, classes, package, command, all_names, all_optional, previous):
        self.classes = classes  # name -> class, the objects to write
        self.all_optional = all_optional
        self.previous = previous  # a Previous; empty without --previous
        self.package = package
        self.command = command
        self.all_names = all_names  # every registered object name
        self.enums = {}  # top-level enums by name
        self.imports = set()

    def enum_for(self, field_type, field_name, nested):
        """The proto type of an oslo Enum: a top-level enum per Enum class
        (nova's InstancePowerState...), a nested one for a plain
        EnumField(valid_values=...)."""
        spellings = list(field_type._valid_values)
        if type(field_type) is ovo_fields.Enum:
            enum = Enum(snake_to_camel(field_name), spellings,
                        f"EnumField {field_name!r}")
            nested[enum.name] = enum
            return enum.name
        name = type(field_type).__name__
        if name in self.all_names:
            name += "Enum"
        if name not in self.enums:
            self.enums[name] = Enum(name, spellings,
                                    f"{type(field_type).__module__}.{type(field_type).__name__}")
        return name

    def scalar(self, field_type, field_name, nested):
        """The proto type of a single value, or None when there is none."""
        if isinstance(field_type, ovo_fields.Enum):
            return self.enum_for(field_type, field_name, nested)
        if isinstance(field_type, (ovo_fields.String, ovo_fields.StringPattern,
                                   ovo_fields.UUID, ovo_fields.IPAddress)):
            return "string"
        if isinstance(field_type, ovo_fields.Integer):
            return "int64"
        if isinstance(field_type, ovo_fields.Float):
            return "double"
        if isinstance(field_type, (ovo_fields.Boolean, ovo_fields.FlexibleBoolean)):
            return "bool"
        if isinstance(field_type, ovo_fields.DateTime):
            return TIMESTAMP
        if isinstance(field_type, ovo_fields.Object):
            return field_type._obj_name if field_type._obj_name in self.classes else None
        return None

    def field(self, name, field, nested):
        """(label, type, comment) of one oslo field."""
        oslo = type(field).__name__
        field_type = field._type
        if isinstance(field_type, (ovo_fields.List, ovo_fields.Set)):
            element = field_type._element_type
            proto = None if element.nullable else self.scalar(element._type, name, nested)
            return ("repeated ", proto, None) if proto else ("", None, oslo)
        if isinstance(field_type, ovo_fields.Dict):
            element = field_type._element_type
            proto = None if element.nullable else self.scalar(element._type, name, nested)
            return ("", f"map<string, {proto}>", None) if proto else ("", None, oslo)
        proto = self.scalar(field_type, name, nested)
        if proto is None:
            if isinstance(field_type, ovo_fields.Object):
                why = "not registered" if field_type._obj_name not in self.all_names else \
                    "not generated (--shallow)"
                oslo = f"{oslo}({field_type._obj_name!r}), {why}"
            return ("", None, oslo)
        is_message = proto in self.classes or proto == TIMESTAMP
        defaulted = field.default is not ovo_fields.UnspecifiedDefault
        if not is_message and (field.nullable or defaulted or self.all_optional):
            return ("optional ", proto, None)
        return ("", proto, None)

    def message(self, cls):
        name = cls.obj_name()
        nested = {}
        fields = []  # (name, label, type, comment), by name
        for field_name in sorted(cls.fields):
            label, proto, comment = self.field(field_name, cls.fields[field_name], nested)
            if proto is None:
                label, proto = "", VALUE
                comment = f"oslo {comment}"
            if proto in IMPORTS:
                self.imports.add(IMPORTS[proto])
            fields.append((field_name, label, proto, comment))
        # A field's kind is what its number means on the wire: optional is not.
        numbers, reserved = self.previous.numbering(
            name, [(f, (label if label == "repeated " else "") + proto)
                   for f, label, proto, _ in fields], first=1)
        body = []
        for field_name, label, proto, comment in fields:
            line = f"  {label}{proto} {field_name} = {numbers[field_name]};"
            body.append(f"{line}  // {comment}" if comment else line)
        out = [f"// {cls.__module__}.{cls.__name__} {cls.VERSION}",
               f"message {name} {{",
               "  option (amqp.object) = {",
               f'    name: "{name}"',
               f'    namespace: "{cls.OBJ_PROJECT_NAMESPACE}"',
               f'    version: "{cls.VERSION}"',
               f'    serial_namespace: "{cls.OBJ_SERIAL_NAMESPACE}"',
               "  };"]
        out += reserved_lines("  ", reserved)
        for enum_name in sorted(nested):
            out += nested[enum_name].lines(self.previous, f"{name}.{enum_name}", "  ")
        return out + body + ["}"]

    def render(self):
        messages = []
        for name in sorted(self.classes):
            messages += [""] + self.message(self.classes[name])
        enums = []
        for name in sorted(self.enums):
            enums += [""] + self.enums[name].lines(self.previous, name)
        head = ["// Generated by tools/objects_to_proto.py; do not edit. Regenerate with",
                f"//   {self.command}",
                'syntax = "proto3";', "", f"package {self.package};", "",
                'import "amqp/options.proto";']
        head += [f'import "{path}";' for path in sorted(self.imports)]
        return "\n".join(head + messages + enums) + "\n"


def registry(module_name):
    """name -> newest class of the objects `module_name` registered."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise SystemExit(f"objects_to_proto: cannot import {module_name}: {e}")
    if hasattr(module, "register_all"):
        module.register_all()
    classes = {}
    for name, versions in ovo_base.VersionedObjectRegistry.obj_classes().items():
        newest = max(versions, key=version_key)
        if newest.__module__ == module_name or newest.__module__.startswith(module_name + "."):
            classes[name] = newest
    return classes


def references(cls):
    """Names of the objects `cls`'s fields hold."""
    for field in cls.fields.values():
        field_type = field._type
        if isinstance(field_type, (ovo_fields.List, ovo_fields.Set, ovo_fields.Dict)):
            field_type = field_type._element_type._type
        if isinstance(field_type, ovo_fields.Object):
            yield field_type._obj_name


def select(classes, names, shallow):
    """The picked objects and, unless shallow, all they refer to."""
    unknown = [n for n in names if n not in classes]
    if unknown:
        raise SystemExit(f"objects_to_proto: no registered object {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(classes)[:12])}...)")
    picked, todo = {}, list(names)
    while todo:
        name = todo.pop()
        if name in picked or name not in classes:
            continue
        picked[name] = classes[name]
        if not shallow:
            todo += list(references(classes[name]))
    return picked


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", required=True, help="e.g. nova.objects")
    parser.add_argument("--out", required=True, help="the .proto to write ('-': stdout)")
    parser.add_argument("--objects", default="",
                        help="comma-separated object names (default: all of --module)")
    parser.add_argument("--shallow", action="store_true",
                        help="do not add referenced objects: they become google.protobuf.Value")
    parser.add_argument("--package", help="proto package (default: --module)")
    parser.add_argument("--all_optional", action="store_true",
                        help="every scalar field `optional`, not only nullable and defaulted "
                             "ones: a zero the service sent is sent back")
    parser.add_argument("--previous",
                        help="a .proto this tool wrote before: its field and enum value "
                             "numbers are kept, and those of removed ones reserved")
    args = parser.parse_args(argv)
    previous_text = ""
    if args.previous:
        try:
            with open(args.previous) as f:
                previous_text = f.read()
        except OSError as e:
            raise SystemExit(f"objects_to_proto: cannot read --previous: {e}")

    classes = registry(args.module)
    if not classes:
        raise SystemExit(f"objects_to_proto: {args.module} registered no versioned objects")
    names = [n for n in args.objects.split(",") if n]
    picked = select(classes, names, args.shallow) if names else classes
    command = f"tools/objects_to_proto.py --module {args.module}"
    if names:
        command += f" --objects {','.join(names)}"
    if args.shallow:
        command += " --shallow"
    if args.package:
        command += f" --package {args.package}"
    if args.all_optional:
        command += " --all_optional"
    if args.previous:
        command += f" --previous {args.previous.rsplit('/', 1)[-1]}"
    out_name = "-" if args.out == "-" else args.out.rsplit("/", 1)[-1]
    command += f" --out {out_name}"
    text = Generator(picked, args.package or args.module, command, set(classes),
                     args.all_optional, Previous(previous_text)).render()
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)
        print(f"objects_to_proto: wrote {len(picked)} objects to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
