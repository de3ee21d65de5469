#!/usr/bin/python3
"""nova's own compute RPC client (nova.compute.rpcapi.ComputeAPI from
python3-nova) making a few host calls, for nova_reverse_test.py: no database
([upgrade_levels] compute = 6.0), the topic replaced by the test's own.
Prints one JSON object with what nova's client got.

    nova_client.py --transport_url URL --topic T --host H
"""
import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport_url", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--host", required=True)
    args = parser.parse_args()

    import nova.conf
    from nova import context, exception, objects, rpc
    from nova.compute import rpcapi
    from oslo_messaging import transport

    conf = nova.conf.CONF
    # What nova.config.parse_args does first: nova's exchange is "nova".
    rpc.set_defaults(control_exchange="nova")
    conf([], project="nova")
    # Registered by oslo.messaging once it builds a transport; set it first.
    conf.register_opts(transport._transport_opts)
    conf.set_override("transport_url", args.transport_url)
    conf.set_override("compute", "6.0", group="upgrade_levels")
    objects.register_all()
    rpc.init(conf)
    rpcapi.RPC_TOPIC = args.topic
    api = rpcapi.ComputeAPI()
    ctxt = context.RequestContext(user_id="nova-user", project_id="nova-project",
                                  request_id="req-nova-reverse")
    out = {"uptime": api.get_host_uptime(ctxt, args.host),
           "enabled": api.set_host_enabled(ctxt, args.host, False)}
    try:
        api.host_power_action(ctxt, args.host, "reboot")
        out["power"] = "no exception"
    except exception.ComputeHostNotFound as e:
        out["power"] = {"exception": type(e).__name__,
                        "is_nova": isinstance(e, exception.ComputeHostNotFound),
                        "message": str(e)}
    print(json.dumps(out), flush=True)
    rpc.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
