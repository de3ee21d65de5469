#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (corpus/<fuzzer>/) from the captured oslo
vectors (tests/oslo/testdata/vectors/*.json) plus a few hand-made inputs for
shapes the vectors lack. Deterministic; the output is checked in, so only
rerun it when the vectors change:  python3 fuzz/make_seeds.py
"""
import glob
import hashlib
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "tests", "oslo", "testdata", "vectors")
# nova's real traffic, with versioned objects.
NOVA_VECTORS = os.path.join(HERE, "..", "tests", "transcode", "testdata", "nova")

# The transcode fuzzer's first byte picks the case (see kCases in
# transcode_fuzzer.cc): 0-2 ReadArgs of Scalars, Presence, WellKnown; 3-15
# ReadResult of various types and result fields.
TRANSCODE_CASES = 16
# The object cases that follow them: 16 ReadArgs of GetConsoleOutputRequest
# (nova's args), 17-20 ReadResult of Instance, Diagnostics, Instances, Holder.
TRANSCODE_NOVA = {"nova_get_console_output.json": ("args", 16),
                  "nova_reboot_instance_cast.json": ("args", 16),
                  "nova_instance_result.json": ("result", 17),
                  "nova_get_instance_diagnostics.json": ("result", 18)}
TRANSCODE_OBJECTS = {
    19: ['{"instances": [{"nova_object.name": "Instance", "nova_object.version": "2.7", '
         '"nova_object.data": {"uuid": "u", "vm_state": "soft-delete"}}], "flavors": '
         '{"f": {"nova_object.name": "Flavor", "nova_object.version": "1.2", '
         '"nova_object.data": {"extra_specs": {"a": "b"}, "projects": ["p"]}, '
         '"nova_object.changes": ["extra_specs", "projects"]}}}'],
    20: ['{"versioned_object.name": "ObjectHolder", "versioned_object.version": "3.1", '
         '"versioned_object.data": {"tags_by_name": {"t": {"nova_object.name": "Tag", '
         '"nova_object.version": "1.1", "nova_object.data": {"tag": "x"}}}, '
         '"states": ["active", "ERROR"], "count": 2, "child": {"versioned_object.name": '
         '"ObjectHolder", "versioned_object.version": "3.0", "versioned_object.data": '
         '{"nothing": "", "ratio": -0.0, "blob": "AP8="}}}}'],
}
TRANSCODE_TYPED = {
    0: ['{"i32": -5, "i64": "9007199254740993", "u32": 7, "u64": 18446744073709551615, '
        '"s64": -1, "f64": 3, "d": 1e-07, "f": 0.1, "b": true, "s": "h\\u00e9", '
        '"raw": "aGk=", "color": "GREEN"}',
        '{"d": NaN, "f": -Infinity, "color": 2, "i32": 3.0}'],
    1: ['{"maybe": 0, "inner": {"name": "n", "count": 2}, "text": "t", '
        '"items": [{"name": "a"}, {}], "counts": {"a": 1, "b": -2}, '
        '"by_id": {"-3": {"count": 1}}, "flags": {"true": "y", "false": "n"}, '
        '"colors": ["RED", 2], "host": "h"}',
        '{"number": 5, "inner": null, "items": []}'],
    2: ['{"at": "2024-05-01T12:00:00.123Z", "took": "-1.5s", '
        '"meta": {"k": [1, "x", null, {"n": true}]}, "anything": 3.5, '
        '"list": [1, [2]], "big": 9007199254740993, "label": "l", "flag": false, '
        '"mask": "a.b,c", "nothing": {}}',
        '{"at": "2024-05-01 12:00:00.123456+02:00", "took": "0.000001s", '
        '"anything": null, "big": null}'],
}
# Request wire bytes for cases 0-2, which the fuzzer also reads as wire
# bytes; encoded once with protoc --encode=tests.transcode.<Type> from:
#   0 Scalars:   i32: -5 i64: 9007199254740993 u32: 7 u64: 18446744073709551615
#                s64: -1 f64: 3 d: 1e-07 f: 0.1 b: true s: "hé" raw: "hi"
#                color: GREEN
#   1 Presence:  maybe: 0 inner { name: "n" count: 2 } text: "t" items { name:
#                "a" } items {} counts { key: "a" value: 1 } counts { key: "a"
#                value: 2 } by_id { key: -3 value { count: 1 } } flags { key:
#                true value: "y" } colors: RED colors: GREEN host: "h"
#   2 WellKnown: at { seconds: 1714564800 nanos: 123000000 } took { seconds: -1
#                nanos: -500000000 } meta { fields { key: "k" value {
#                list_value { values { number_value: 1 } values { string_value:
#                "x" } values { null_value: NULL_VALUE } } } } } anything {
#                number_value: 3.5 } list { values { bool_value: true } } big {
#                value: 9007199254740993 } label { value: "l" } flag {} mask {
#                paths: "a.b" paths: "c" } nothing {}
TRANSCODE_WIRE = {
    0: "08fbffffffffffffffff01108180808080808010180720ffffffffffffffffff0128013103"
       "000000000000003948afbc9af2d77a3e45cdcccc3d4801520368c3a95a0268696002",
    1: "080012050a016e10021a01742a030a01612a0032050a0161100132050a016110023a0f08fd"
       "ffffffffffffffff0112021001420508011201794a020102520168",
    2: "0a0b08c0ddc8b10610c0a9d33a121608ffffffffffffffffff011080b6ca91feffffffff01"
       "1a1d0a1b0a016b121632140a0911000000000000f03f0a031a01780a0208002209110000"
       "000000000c402a040a02200132090881808080808080103a030a016c42004a080a03612e"
       "620a01635200",
}
TRANSPORT_URLS = [
    "rabbit://",
    "rabbit://guest:guest@127.0.0.1:5672/",
    "amqps://u%3A1:p%2F2@[fe80::1%25eth0]:5671,h2/v%2Fh?ssl_ca_file=/ca.pem",
    "kombu://h?rabbit_ha_queues=yes&amqp_durable_queues=on&rabbit_retry_interval=3",
    "rabbit://h/?rabbit_quorum_queue=true&rabbit_quorum_delivery_limit=3"
    "&rabbit_quroum_max_memory_length=10&rabbit_quroum_max_memory_bytes=99"
    "&rabbit_transient_queues_ttl=2147483647&rabbit_qos_prefetch_count=1",
    "rabbit://a:b@h:65535/?heartbeat_timeout_threshold=0&ssl=1&ssl_version=TLSv1_2"
    "&ssl_enforce_hostname_verification=true&rabbit_login_method=PLAIN",
]


def write(directory, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def fresh(name):
    directory = os.path.join(HERE, "corpus", name)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    return directory


def main():
    vectors = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(VECTORS, "*.json")))]
    messages = [m for v in vectors for m in v.get("messages", [])]

    envelope = fresh("envelope_fuzzer")
    failure = fresh("failure_fuzzer")
    transcode = fresh("transcode_fuzzer")
    seen_kinds = {}
    json_values = []
    for m in messages:
        body = m["body"]
        inner = m.get("oslo_message_decoded") or m.get("body_decoded")
        # One body per (kind, key set): the vectors repeat shapes a lot.
        shape = (m["kind"], tuple(sorted(inner)) if isinstance(inner, dict) else None)
        if shape not in seen_kinds:
            seen_kinds[shape] = True
            write(envelope, body)
            if m.get("oslo_message_decoded") is not None:
                # The same message bare, as the v1 notifier and hand-made
                # requests send it.
                write(envelope, json.dumps(m["oslo_message_decoded"]))
        if isinstance(inner, dict):
            if isinstance(inner.get("failure"), str):
                write(failure, inner["failure"])
            for key in ("args", "result", "payload"):
                if inner.get(key) is not None:
                    json_values.append(json.dumps(inner[key]))
    write(failure, '{"class": "X_Remote", "module": "m_Remote", "message": null, '
                   '"tb": "one line", "args": [1, {"a": NaN}], "kwargs": {"k": []}}')

    for i, value in enumerate(sorted(set(json_values))):
        # Each value under a few cases; not all 16, to keep the seeds small.
        for case in (i % TRANSCODE_CASES, (i + 5) % TRANSCODE_CASES):
            write(transcode, bytes([case]) + value.encode())
    for case, texts in TRANSCODE_TYPED.items():
        for text in texts:
            write(transcode, bytes([case]) + text.encode())
            write(transcode, bytes([case + 3]) + text.encode())  # as a result
    for case, wire in TRANSCODE_WIRE.items():
        wire = bytes.fromhex(wire)
        write(transcode, bytes([case]) + wire)
        write(transcode, bytes([case]) + wire + wire)  # every field twice

    for file_name, (key, case) in sorted(TRANSCODE_NOVA.items()):
        for m in json.load(open(os.path.join(NOVA_VECTORS, file_name)))["messages"]:
            inner = m.get("oslo_message_decoded")
            if isinstance(inner, dict) and inner.get(key) is not None:
                write(transcode, bytes([case]) + json.dumps(inner[key]).encode())
    for case, texts in TRANSCODE_OBJECTS.items():
        for text in texts:
            write(transcode, bytes([case]) + text.encode())

    urls = fresh("transport_url_fuzzer")
    for v in vectors:
        for check in v.get("result", {}).get("transport_url_parsing", []) if isinstance(v.get("result"), dict) else []:
            write(urls, check["url"])
        if isinstance(v.get("result"), dict) and "transport_url" in v["result"]:
            write(urls, v["result"]["transport_url"])
    for url in TRANSPORT_URLS:
        write(urls, url)

    for name in ("envelope_fuzzer", "failure_fuzzer", "transcode_fuzzer", "transport_url_fuzzer"):
        d = os.path.join(HERE, "corpus", name)
        files = os.listdir(d)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in files)
        print(f"{name}: {len(files)} seeds, {size} bytes")


if __name__ == "__main__":
    main()
