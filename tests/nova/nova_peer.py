#!/usr/bin/python3
"""nova's own code as the other side of the nova tests (python3-nova 26), in a
process of its own because nova monkey-patches the process with eventlet.
Configured as capture_nova.py (/work/shared/vectors/nova) drove nova: a
nova.conf with transport_url and host, no database.

    nova_peer.py serve --transport_url URL --topic T --host H
        An RPC server built from nova's pieces: nova.rpc.get_server with
        NovaObjectSerializer, nova's baserpc.BaseRPCAPI ("baseapi" ping) and
        ObjectsEndpoint below, whose methods take and return real
        nova.objects. Prints "ready" once it consumes.

    nova_peer.py client --transport_url URL --topic T
        nova's compute RPC client, nova.compute.rpcapi.ComputeAPI, with its
        topic set to T (the only change: tests must not share "compute").
        Reads one JSON request per line on stdin:
            {"level": "6.0", "method": "get_console_output",
             "instance": {...Instance fields...}, "args": {...}}
        sets [upgrade_levels] compute = level (no database needed), calls the
        method and writes one JSON line: {"ver": what nova's _ver() chose,
        "result": ...} or {"ver": ..., "exception": class, "module": ...,
        "message": ..., "kwargs": ...}.
"""
import argparse
import json
import os
import sys
import tempfile

import nova.monkey_patch  # noqa: F401  (first: nova's services do so)

import datetime  # noqa: E402

UTC = datetime.timezone.utc


def init_nova(transport_url, host, level=None):
    import nova.conf
    from nova import objects, rpc
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(f"[DEFAULT]\ntransport_url = {transport_url}\nhost = {host}\n"
                "rpc_response_timeout = 20\n")
        if level:
            f.write(f"[upgrade_levels]\ncompute = {level}\n")
    nova.conf.CONF(["--config-file", f.name], project="nova")
    os.unlink(f.name)
    objects.register_all()
    rpc.init(nova.conf.CONF)
    return nova.conf.CONF


def reference_instance(uuid, host):
    """The Instance ObjectsEndpoint.get_instance returns and
    inspect_instance compares with: nested Flavor with extra_specs, a
    TagList, a datetime, a null task_state, a dict with a null value."""
    from nova import objects
    return objects.Instance(
        uuid=uuid, host=host, vm_state="active", task_state=None, power_state=1,
        memory_mb=2048, vcpus=2, display_name="web-1", locked=False,
        launched_at=datetime.datetime(2026, 11, 24, 8, 0, 0, tzinfo=UTC),
        metadata={"role": "frontend"},
        system_metadata={"image_min_ram": "0", "owner_user_name": None},
        flavor=objects.Flavor(name="m1.small", flavorid="2", memory_mb=2048, vcpus=2,
                              root_gb=20, extra_specs={"hw:cpu_policy": "dedicated"}),
        tags=objects.TagList(objects=[objects.Tag(resource_id=uuid, tag="frontend"),
                                      objects.Tag(resource_id=uuid, tag="web")]))


FULL_UUID = "6c2f3d1e-0000-4000-8000-0000000000ff"


def full_instance(host):
    """reference_instance() with nested objects of many more kinds, for the
    messages of the whole registry: a fault, an info cache (a network model
    as a JSON string), a NUMA topology (sets of integers, a dict of
    integers, an enum, a cell id 0), EC2 ids, key pairs, PCI requests
    (dicts with nulls) and a CPU model (enums spelled "x86_64" and
    "host-model")."""
    from nova import objects
    from nova.network import model as network_model
    instance = reference_instance(FULL_UUID, host)
    instance.fault = objects.InstanceFault(
        code=500, message="boom", details="trace", host=host,
        created_at=datetime.datetime(2026, 11, 24, 9, 30, 0, tzinfo=UTC))
    instance.info_cache = objects.InstanceInfoCache(
        instance_uuid=FULL_UUID, network_info=network_model.NetworkInfo([]))
    instance.numa_topology = objects.InstanceNUMATopology(cells=[objects.InstanceNUMACell(
        id=0, cpuset=set(), pcpuset={0, 1}, memory=1024, cpu_policy="dedicated",
        cpu_pinning_raw={"0": 4, "1": 5})])
    instance.ec2_ids = objects.EC2Ids(instance_id="i-00000001", ami_id="ami-00000001")
    instance.keypairs = objects.KeyPairList(objects=[objects.KeyPair(
        name="k1", user_id="alice", fingerprint="aa:bb", public_key="ssh-rsa AAAA", type="ssh")])
    instance.pci_requests = objects.InstancePCIRequests(
        instance_uuid=FULL_UUID, requests=[objects.InstancePCIRequest(
            count=1, spec=[{"vendor_id": "8086", "product_id": None}], alias_name="a1",
            request_id=FULL_UUID)])
    instance.vcpu_model = objects.VirtCPUModel(
        arch="x86_64", vendor="Intel", mode="host-model", model="Haswell", match="exact",
        topology=objects.VirtCPUTopology(sockets=1, cores=2, threads=1),
        features=[objects.VirtCPUFeature(policy="require", name="vmx")])
    return instance


def meaningful(primitive):
    """An object primitive's data without nulls and empty collections (what
    an unset proto field stands for), nested objects likewise; no changes;
    sets (tuples) as lists."""
    if isinstance(primitive, dict) and "nova_object.data" in primitive:
        return {"name": primitive["nova_object.name"],
                "data": {k: meaningful(v) for k, v in primitive["nova_object.data"].items()
                         if v is not None and not (isinstance(v, (list, tuple, dict)) and not v)}}
    if isinstance(primitive, (list, tuple)):  # a set's primitive is a tuple
        return [meaningful(v) for v in primitive]
    return primitive


def serve(args):
    import oslo_messaging as messaging
    from nova import baserpc, exception, objects, rpc
    from nova.objects import base as objects_base
    init_nova(args.transport_url, args.host)

    class ObjectsEndpoint(object):
        target = messaging.Target(version="6.0")

        def get_instance(self, context, instance_uuid):
            if instance_uuid == "missing":
                raise exception.InstanceNotFound(instance_id=instance_uuid)
            if instance_uuid == "a-flavor":  # the wrong object for the caller
                return objects.Flavor(name="m1.tiny", memory_mb=512)
            if instance_uuid == FULL_UUID:
                return full_instance(args.host)
            return reference_instance(instance_uuid, args.host)

        def inspect_instance(self, context, instance):
            """What nova received: the class, the fields set and changed,
            nested objects' classes, and whether it equals the reference."""
            seen = {"class": f"{type(instance).__module__}.{type(instance).__name__}",
                    "set": sorted(k for k in instance.fields if instance.obj_attr_is_set(k)),
                    "changes": sorted(instance.obj_what_changed()),
                    "version": instance.VERSION}
            if instance.obj_attr_is_set("flavor"):
                flavor = instance.flavor
                seen["flavor"] = {"class": type(flavor).__name__,
                                  "changes": sorted(flavor.obj_what_changed())}
                if flavor.obj_attr_is_set("extra_specs"):  # else nova would lazy-load it
                    seen["flavor"]["extra_specs"] = flavor.extra_specs
            if instance.obj_attr_is_set("tags"):
                seen["tags"] = {"class": type(instance.tags).__name__,
                                "items": [[type(t).__name__, t.tag] for t in instance.tags]}
            if instance.obj_attr_is_set("launched_at"):
                seen["launched_at"] = instance.launched_at.isoformat()
            reference = (full_instance(args.host) if instance.uuid == FULL_UUID
                         else reference_instance(instance.uuid, args.host))
            got = meaningful(instance.obj_to_primitive())["data"]
            want = meaningful(reference.obj_to_primitive())["data"]
            seen["equals_reference"] = got == want
            if got != want:  # what differs, for the test's message
                seen["differs"] = {k: [got.get(k), want.get(k)] for k in sorted(set(got) | set(want))
                                   if got.get(k) != want.get(k)}
            return seen

        def get_flavor(self, context, flavorid):
            return objects.Flavor(id=7, flavorid=flavorid, name="m1.large", memory_mb=8192,
                                  vcpus=4, root_gb=80, ephemeral_gb=0, swap=0, rxtx_factor=1.5,
                                  is_public=True, disabled=False, projects=["p1", "p2"],
                                  extra_specs={"hw:mem_page_size": "large"})

        def set_tags(self, context, instance_uuid, tags):
            assert isinstance(tags, objects.TagList), type(tags)
            assert all(isinstance(t, objects.Tag) for t in tags), [type(t) for t in tags]
            return objects.TagList(objects=[objects.Tag(resource_id=instance_uuid, tag=t.tag)
                                            for t in sorted(tags, key=lambda t: t.tag)]
                                   + [objects.Tag(resource_id=instance_uuid, tag="seen-by-nova")])

    server = rpc.get_server(messaging.Target(topic=args.topic, server=args.host),
                            [baserpc.BaseRPCAPI("nova-objects-test", None), ObjectsEndpoint()],
                            objects_base.NovaObjectSerializer())
    server.start()
    print("ready", flush=True)
    server.wait()


def client(args):
    from nova import context as nova_context, objects
    from nova.compute import rpcapi
    conf = init_nova(args.transport_url, "nova-api-test")
    rpcapi.RPC_TOPIC = args.topic
    ctxt = nova_context.RequestContext(user_id="alice", project_id="p1", roles=["member"],
                                       request_id="req-00000000-0000-4000-8000-000000000042")
    for line in sys.stdin:
        request = json.loads(line)
        # A new pin: nova caches its router (and the cap) per process.
        conf.set_override("compute", request["level"], group="upgrade_levels")
        rpcapi._ROUTER = None
        rpcapi.LAST_VERSION = None
        api = rpcapi.ComputeAPI()
        out = {"ver": api._ver(ctxt, "5.0")}
        try:
            method = request["method"]
            fields = dict(request.get("instance") or {})
            instance = objects.Instance(**fields) if fields else None
            call_args = request.get("args", {})
            if method == "get_console_output":
                out["result"] = api.get_console_output(ctxt, instance, call_args["tail_length"])
            elif method == "reboot_instance":
                out["result"] = api.reboot_instance(ctxt, instance, None, call_args["reboot_type"])
            elif method == "get_instance_diagnostics":
                diagnostics = api.get_instance_diagnostics(ctxt, instance)
                out["class"] = f"{type(diagnostics).__module__}.{type(diagnostics).__name__}"
                out["result"] = diagnostics.obj_to_primitive()
                out["cpu_classes"] = [type(c).__name__ for c in diagnostics.cpu_details]
                out["memory_class"] = type(diagnostics.memory_details).__name__
            elif method == "get_host_uptime":
                out["result"] = api.get_host_uptime(ctxt, call_args["host"])
            else:
                raise SystemExit(f"nova_peer: no method {method}")
        except Exception as e:  # noqa: BLE001 -- reported to the test
            out.update({"exception": type(e).__name__, "module": type(e).__module__,
                        "message": str(e).split("\n")[0],
                        "kwargs": getattr(e, "kwargs", None)})
        print(json.dumps(out, default=str), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["serve", "client"])
    parser.add_argument("--transport_url", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--host", default="compute-host-1")
    args = parser.parse_args()
    serve(args) if args.mode == "serve" else client(args)


if __name__ == "__main__":
    main()
