"""oslo.versionedobjects classes with the shapes of tests/transcode/objects.proto
(nova's Instance, Flavor, TagList, Diagnostics...), registered in this
process's registry, and a serializer for them: the Python side of the tests
that pass objects between Python peers and the generated code or the bridge.

Runs under /usr/bin/python3 (python3-oslo.versionedobjects).
"""
import datetime

from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import fields

UTC = datetime.timezone.utc
register = ovo_base.VersionedObjectRegistry.register


# The same shapes as tests/transcode/objects.proto, as nova declares them.
class NovaObject(ovo_base.VersionedObject):
    OBJ_SERIAL_NAMESPACE = "nova_object"
    OBJ_PROJECT_NAMESPACE = "nova"


class NovaSerializer(ovo_base.VersionedObjectSerializer):
    OBJ_BASE_CLASS = NovaObject


@register
class Tag(NovaObject):
    VERSION = "1.1"
    fields = {"resource_id": fields.StringField(), "tag": fields.StringField()}


@register
class TagList(ovo_base.ObjectListBase, NovaObject):
    VERSION = "1.1"
    fields = {"objects": fields.ListOfObjectsField("Tag")}


@register
class Flavor(NovaObject):
    VERSION = "1.2"
    fields = {
        "id": fields.IntegerField(),
        "name": fields.StringField(nullable=True),
        "memory_mb": fields.IntegerField(),
        "vcpus": fields.IntegerField(),
        "root_gb": fields.IntegerField(),
        "ephemeral_gb": fields.IntegerField(),
        "flavorid": fields.StringField(),
        "swap": fields.IntegerField(),
        "rxtx_factor": fields.FloatField(nullable=True),
        "vcpu_weight": fields.IntegerField(nullable=True),
        "disabled": fields.BooleanField(),
        "is_public": fields.BooleanField(),
        "extra_specs": fields.DictOfStringsField(),
        "projects": fields.ListOfStringsField(),
        "description": fields.StringField(nullable=True),
    }


@register
class Instance(NovaObject):
    VERSION = "2.7"
    fields = {
        "id": fields.IntegerField(),
        "power_state": fields.IntegerField(nullable=True),
        "vm_state": fields.StringField(nullable=True),
        "task_state": fields.StringField(nullable=True),
        "memory_mb": fields.IntegerField(nullable=True),
        "vcpus": fields.IntegerField(nullable=True),
        "host": fields.StringField(nullable=True),
        "launched_at": fields.DateTimeField(nullable=True),
        "display_name": fields.StringField(nullable=True),
        "display_description": fields.StringField(nullable=True),
        "locked": fields.BooleanField(),
        "uuid": fields.StringField(),
        "metadata": fields.DictOfStringsField(),
        "tags": fields.ObjectField("TagList"),
        "flavor": fields.ObjectField("Flavor"),
    }


@register
class MemoryDiagnostics(NovaObject):
    VERSION = "1.0"
    fields = {"maximum": fields.IntegerField(nullable=True),
              "used": fields.IntegerField(nullable=True)}


@register
class CpuDiagnostics(NovaObject):
    VERSION = "1.0"
    fields = {"id": fields.IntegerField(nullable=True),
              "time": fields.IntegerField(nullable=True),
              "utilisation": fields.IntegerField(nullable=True)}


@register
class Diagnostics(NovaObject):
    VERSION = "1.0"
    fields = {
        # nova's InstancePowerStateField and HypervisorDriverField: enums
        # that refuse any other spelling.
        "state": fields.EnumField(["pending", "running", "paused", "shutdown",
                                   "crashed", "suspended"]),
        "driver": fields.EnumField(["libvirt", "ironic", "fake"]),
        "hypervisor": fields.StringField(nullable=True),
        "uptime": fields.IntegerField(nullable=True),
        "config_drive": fields.BooleanField(),
        "memory_details": fields.ObjectField("MemoryDiagnostics"),
        "cpu_details": fields.ListOfObjectsField("CpuDiagnostics"),
        "num_cpus": fields.IntegerField(),
        "num_nics": fields.IntegerField(),
    }


def set_fields(obj):
    return {name for name in obj.fields if obj.obj_attr_is_set(name)}


def sorted_changes(value):
    """`value` with every object's changes sorted (a set's order in Python)."""
    if isinstance(value, list):
        return [sorted_changes(v) for v in value]
    if isinstance(value, dict):
        return {k: sorted(v) if k.endswith(".changes") else sorted_changes(v)
                for k, v in value.items()}
    return value


def data(obj):
    """An object's fields as JSON, nested objects included."""
    return sorted_changes(NovaSerializer().serialize_entity(None, obj)["nova_object.data"])
