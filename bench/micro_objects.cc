// What (amqp.object) costs: a ~4 KiB Instance shaped like nova's
// (bench/objects.proto) encoded and decoded as an oslo.versionedobjects
// primitive (ObjInstance) next to the same fields as a plain JSON object
// (PlainInstance), each way by both walkers:
//  - encode/message: WriteResult() of the message (a generated endpoint's
//    result); encode/wire: WriteArgsFromWire() of a request holding it (the
//    bridge's arguments);
//  - decode/message: ReadResult() into the message (a typed client's
//    result); decode/wire: ReadResultToWire() (the bridge's response).
// The target is object <= 1.3 x plain. bench/object_ratio.py runs this with
// the rows interleaved and reports the ratios.
//
//   bazel run -c opt //bench:micro_objects

#include <benchmark/benchmark.h>
#include <google/protobuf/message.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/objects.pb.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"
#include "bridge/transcode/wire_transcode.h"

namespace amqp::bench {
namespace {

using ::bench::objects::ObjInstance;
using ::bench::objects::ObjRequest;
using ::bench::objects::PlainInstance;
using ::bench::objects::PlainRequest;
using google::protobuf::Message;

// An active instance as nova-compute holds it: most fields set, a flavor
// with extra specs, tags, and nova's long system_metadata.
ObjInstance Filled() {
  ObjInstance vm;
  vm.set_id(4711);
  vm.set_user_id("8f2c7c1e3d4b4a5f9e6d7c8b9a0f1e2d");
  vm.set_project_id("1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6");
  vm.set_image_ref("155d900f-4e14-4e4c-a73d-069cbf4541e6");
  vm.set_kernel_id("");
  vm.set_ramdisk_id("");
  vm.set_hostname("web-1");
  vm.set_launch_index(0);
  vm.set_key_name("ops");
  vm.set_key_data("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG5vdmEgYmVuY2ggb3Bz");
  vm.set_power_state(1);
  vm.set_vm_state(::bench::objects::ACTIVE);
  vm.set_memory_mb(2048);
  vm.set_vcpus(2);
  vm.set_root_gb(20);
  vm.set_ephemeral_gb(0);
  vm.set_host("compute-host-1");
  vm.set_node("compute-host-1.example.org");
  vm.set_instance_type_id(6);
  vm.set_reservation_id("r-3w2x1y0z");
  vm.mutable_launched_at()->set_seconds(1795507200);
  vm.set_availability_zone("nova");
  vm.set_display_name("web-1");
  vm.set_display_description("frontend web server");
  vm.set_launched_on("compute-host-1");
  vm.set_locked(false);
  vm.set_os_type("linux");
  vm.set_architecture("x86_64");
  vm.set_vm_mode("hvm");
  vm.set_uuid("6c2f3d1e-0000-4000-8000-000000000001");
  vm.set_root_device_name("/dev/vda");
  vm.set_config_drive("");
  vm.set_access_ip_v4("192.0.2.10");
  vm.set_auto_disk_config(false);
  vm.set_progress(0);
  vm.set_shutdown_terminate(false);
  vm.set_cleaned(false);
  (*vm.mutable_metadata())["role"] = "frontend";
  (*vm.mutable_metadata())["backup"] = "daily";
  for (const char* key :
       {"image_base_image_ref", "image_container_format", "image_disk_format",
        "image_min_disk", "image_min_ram", "image_hw_disk_bus",
        "image_hw_vif_model", "image_os_distro", "image_os_type",
        "image_owner_specified.openstack.md5",
        "image_owner_specified.openstack.object",
        "image_owner_specified.openstack.sha256", "boot_roles",
        "owner_project_name", "owner_user_name", "clean_attempts"}) {
    (*vm.mutable_system_metadata())[key] =
        absl::StrCat("value-of-", key, "-0123456789abcdef");
  }
  for (const char* tag : {"frontend", "prod", "web", "eu-west", "team-a"}) {
    ::bench::objects::ObjTag* t = vm.mutable_tags()->add_objects();
    t->set_resource_id(vm.uuid());
    t->set_tag(tag);
  }
  ::bench::objects::ObjFlavor* flavor = vm.mutable_flavor();
  flavor->set_id(6);
  flavor->set_name("m1.small");
  flavor->set_memory_mb(2048);
  flavor->set_vcpus(2);
  flavor->set_root_gb(20);
  flavor->set_ephemeral_gb(0);
  flavor->set_flavorid("2");
  flavor->set_swap(0);
  flavor->set_rxtx_factor(1.0);
  flavor->set_is_public(true);
  (*flavor->mutable_extra_specs())["hw:cpu_policy"] = "dedicated";
  (*flavor->mutable_extra_specs())["hw:mem_page_size"] = "large";
  vm.mutable_created_at()->set_seconds(1795500000);
  vm.mutable_updated_at()->set_seconds(1795507300);
  vm.set_deleted(false);
  return vm;
}

// The same instance as a `Type` (the two have the same field numbers).
template <typename Type>
Type Instance() {
  Type vm;
  if (!vm.ParseFromString(Filled().SerializeAsString())) std::abort();
  return vm;
}

template <typename Type>
std::string ResultJson() {
  std::string json;
  oslo::PyJsonWriter writer(&json);
  if (!transcode::WriteResult(Instance<Type>(), "", &writer).ok()) {
    std::abort();
  }
  return json;
}

template <typename Type>
void BM_Encode_Message(benchmark::State& state) {
  const Type vm = Instance<Type>();
  size_t size = 0;
  for (auto _ : state) {
    std::string json;
    oslo::PyJsonWriter writer(&json);
    if (!transcode::WriteResult(vm, "", &writer).ok()) std::abort();
    size = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["json_bytes"] = size;
}

template <typename Type, typename Request>
void BM_Encode_Wire(benchmark::State& state) {
  Request request;
  *request.mutable_instance() = Instance<Type>();
  const std::string bytes = request.SerializeAsString();
  size_t size = 0;
  for (auto _ : state) {
    std::string json;
    json.reserve(transcode::ArgsBytesHint(bytes.size()));
    oslo::PyJsonWriter writer(&json);
    if (!transcode::WriteArgsFromWire(*Request::descriptor(), bytes, {},
                                      &writer)
             .ok()) {
      std::abort();
    }
    size = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["json_bytes"] = size;
}

template <typename Type>
void BM_Decode_Message(benchmark::State& state) {
  oslo::JsonDocument json;
  if (!oslo::ParseJson(ResultJson<Type>(), &json).ok()) std::abort();
  for (auto _ : state) {
    Type vm;
    transcode::ResultStats stats;
    if (!transcode::ReadResult(json, "", &vm, &stats).ok()) std::abort();
    benchmark::DoNotOptimize(vm);
  }
}

template <typename Type>
void BM_Decode_Wire(benchmark::State& state) {
  oslo::JsonDocument json;
  if (!oslo::ParseJson(ResultJson<Type>(), &json).ok()) std::abort();
  for (auto _ : state) {
    std::string bytes;
    transcode::ResultStats stats;
    if (!transcode::ReadResultToWire(json, "", *Type::descriptor(), &bytes,
                                     &stats)
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(bytes);
  }
}

BENCHMARK_TEMPLATE(BM_Encode_Message, PlainInstance)
    ->Name("encode/message/plain");
BENCHMARK_TEMPLATE(BM_Encode_Message, ObjInstance)
    ->Name("encode/message/object");
BENCHMARK_TEMPLATE(BM_Encode_Wire, PlainInstance, PlainRequest)
    ->Name("encode/wire/plain");
BENCHMARK_TEMPLATE(BM_Encode_Wire, ObjInstance, ObjRequest)
    ->Name("encode/wire/object");
BENCHMARK_TEMPLATE(BM_Decode_Message, PlainInstance)
    ->Name("decode/message/plain");
BENCHMARK_TEMPLATE(BM_Decode_Message, ObjInstance)
    ->Name("decode/message/object");
BENCHMARK_TEMPLATE(BM_Decode_Wire, PlainInstance)->Name("decode/wire/plain");
BENCHMARK_TEMPLATE(BM_Decode_Wire, ObjInstance)->Name("decode/wire/object");

}  // namespace
}  // namespace amqp::bench
