// Microbenchmarks of the bridge's transcoding, both ways, each done two ways:
//  - proto -> args: the gRPC request bytes parsed into the route's (dynamic)
//    request prototype and written as oslo keyword arguments (Python-style
//    JSON); wire -> args: the same JSON straight from the bytes
//    (wire_transcode.h), as the bridge does;
//  - result -> proto: an oslo result (parsed JSON) read into the route's
//    response prototype and serialised for gRPC; result -> wire: the
//    response bytes straight from the JSON, as the bridge does.
// For Ping with a 64-byte and a 4 KiB payload, and for a ~4 KiB structured
// message (ListInstancesResponse: nested messages, enums, maps, repeated
// fields, a Timestamp and a Struct). Next to them, protobuf's own JSON
// (util::MessageToJsonString / JsonStringToMessage) on the same structured
// message, the yardstick of the "4x faster" target (bench/run.py): protobuf
// gets the message already parsed, and its parse gives a message, not bytes,
// so both favour it.
//
//   bazel run -c opt //bench:micro_transcode

#include <benchmark/benchmark.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/micro_routes.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"
#include "bridge/transcode/wire_transcode.h"
#include "examples/compute.pb.h"

namespace amqp::bench {
namespace {

using google::protobuf::Message;

const gateway::RouteTable& Routes() {
  static const gateway::RouteTable* const kRoutes =
      LoadComputeRoutes().release();
  return *kRoutes;
}

const gateway::Route& PingRoute() {
  return *Routes().Find("/examples.compute.Compute/Ping");
}

const gateway::Route& ListRoute() {
  return *Routes().Find("/examples.compute.Compute/ListInstances");
}

// About 4 KiB of JSON: instances like the example servers' ones.
examples::compute::ListInstancesResponse Instances(int count) {
  examples::compute::ListInstancesResponse list;
  for (int i = 0; i < count; ++i) {
    examples::compute::Instance* vm = list.add_instances();
    vm->set_uuid(absl::StrCat("3f0c0ad4-4dc2-4b41-a3a4-7bd9d5cbb", 100 + i));
    vm->set_name(absl::StrCat("web-", i));
    vm->set_host("compute-host-1");
    vm->set_power_state(examples::compute::RUNNING);
    vm->mutable_flavor()->set_name("m1.small");
    vm->mutable_flavor()->set_vcpus(2);
    vm->mutable_flavor()->set_memory_mb(4096);
    (*vm->mutable_flavor()->mutable_extra_specs())["hw:cpu_policy"] =
        "dedicated";
    vm->add_tags("frontend");
    vm->add_tags("production");
    vm->mutable_launched_at()->set_seconds(1795507200 + i);
    (*vm->mutable_metadata()->mutable_fields())["backup"].set_bool_value(true);
    (*vm->mutable_metadata()->mutable_fields())["owner"].set_string_value(
        "team-a");
  }
  return list;
}

// The wire bytes of a message, as gRPC hands them to the bridge.
std::string PingBytes(int payload_bytes) {
  examples::compute::PingRequest request;
  request.set_payload(std::string(payload_bytes, 'x'));
  return request.SerializeAsString();
}

// A proto -> args row: `write` makes the arguments of the request bytes,
// into a string reserved as the bridge reserves it.
template <typename Write>
void ArgsRow(benchmark::State& state, size_t request_bytes, Write write) {
  size_t json_bytes = 0;
  for (auto _ : state) {
    std::string args;
    args.reserve(transcode::ArgsBytesHint(request_bytes));
    oslo::PyJsonWriter writer(&args);
    if (!write(&writer)) state.SkipWithError("cannot write the arguments");
    json_bytes = args.size();
    benchmark::DoNotOptimize(args);
  }
  state.counters["json_bytes"] = json_bytes;
  state.SetBytesProcessed(state.iterations() * json_bytes);
}

void ProtoToArgs(benchmark::State& state, const Message& prototype,
                 const std::string& bytes) {
  ArgsRow(state, bytes.size(), [&](oslo::PyJsonWriter* writer) {
    // As the bridge parsed requests (no required fields in these types).
    std::unique_ptr<Message> message(prototype.New());
    return message->ParsePartialFromString(bytes) &&
           transcode::WriteArgs(*message, {}, writer).ok();
  });
}

void WireToArgs(benchmark::State& state, const Message& prototype,
                const std::string& bytes) {
  ArgsRow(state, bytes.size(), [&](oslo::PyJsonWriter* writer) {
    return transcode::WriteArgsFromWire(*prototype.GetDescriptor(), bytes, {},
                                        writer)
        .ok();
  });
}

// A result -> proto row: `read` makes the response bytes of the result.
template <typename Read>
void ResultRow(benchmark::State& state, const std::string& result_json,
               Read read) {
  oslo::JsonDocument result;
  if (!oslo::ParseJson(result_json, &result).ok()) std::abort();
  size_t proto_bytes = 0;
  for (auto _ : state) {
    std::string bytes;
    if (!read(result, &bytes)) state.SkipWithError("cannot read the result");
    proto_bytes = bytes.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["json_bytes"] = result_json.size();
  state.counters["proto_bytes"] = proto_bytes;
  state.SetBytesProcessed(state.iterations() * result_json.size());
}

void ResultToProto(benchmark::State& state, const Message& prototype,
                   const std::string& result_json) {
  ResultRow(
      state, result_json,
      [&](const oslo::JsonDocument& result, std::string* bytes) {
        std::unique_ptr<Message> message(prototype.New());
        transcode::ResultStats stats;
        if (!transcode::ReadResult(result, "", message.get(), &stats).ok()) {
          return false;
        }
        *bytes = message->SerializeAsString();
        return true;
      });
}

void ResultToWire(benchmark::State& state, const Message& prototype,
                  const std::string& result_json) {
  ResultRow(state, result_json,
            [&](const oslo::JsonDocument& result, std::string* bytes) {
              transcode::ResultStats stats;
              return transcode::ReadResultToWire(
                         result, "", *prototype.GetDescriptor(), bytes, &stats)
                  .ok();
            });
}

std::string PingResultJson(int payload_bytes) {
  return absl::StrCat(R"({"host": "host1", "payload": ")",
                      std::string(payload_bytes, 'x'), R"("})");
}

std::string InstancesJson() {
  std::string json;
  oslo::PyJsonWriter writer(&json);
  if (!transcode::WriteResult(Instances(10), "", &writer).ok()) std::abort();
  return json;
}

void BM_ProtoToArgs_Ping(benchmark::State& state) {
  ProtoToArgs(state, *PingRoute().request_prototype, PingBytes(state.range(0)));
}
BENCHMARK(BM_ProtoToArgs_Ping)->Arg(64)->Arg(4096);

void BM_ProtoToArgs_Instances4K(benchmark::State& state) {
  ProtoToArgs(state, *ListRoute().response_prototype,
              Instances(10).SerializeAsString());
}
BENCHMARK(BM_ProtoToArgs_Instances4K);

void BM_WireToArgs_Ping(benchmark::State& state) {
  WireToArgs(state, *PingRoute().request_prototype, PingBytes(state.range(0)));
}
BENCHMARK(BM_WireToArgs_Ping)->Arg(64)->Arg(4096);

void BM_WireToArgs_Instances4K(benchmark::State& state) {
  WireToArgs(state, *ListRoute().response_prototype,
             Instances(10).SerializeAsString());
}
BENCHMARK(BM_WireToArgs_Instances4K);

void BM_ResultToProto_Ping(benchmark::State& state) {
  ResultToProto(state, *PingRoute().response_prototype,
                PingResultJson(state.range(0)));
}
BENCHMARK(BM_ResultToProto_Ping)->Arg(64)->Arg(4096);

void BM_ResultToProto_Instances4K(benchmark::State& state) {
  ResultToProto(state, *ListRoute().response_prototype, InstancesJson());
}
BENCHMARK(BM_ResultToProto_Instances4K);

void BM_ResultToWire_Ping(benchmark::State& state) {
  ResultToWire(state, *PingRoute().response_prototype,
               PingResultJson(state.range(0)));
}
BENCHMARK(BM_ResultToWire_Ping)->Arg(64)->Arg(4096);

void BM_ResultToWire_Instances4K(benchmark::State& state) {
  ResultToWire(state, *ListRoute().response_prototype, InstancesJson());
}
BENCHMARK(BM_ResultToWire_Instances4K);

// The reverse direction (bridge/reverse): oslo arguments -> the backend's
// request bytes, and its response bytes -> the oslo result, through a
// message (as before) and straight (wire_transcode.h).
void ReverseArgsToProto(benchmark::State& state, const Message& prototype,
                        const std::string& args_json) {
  ResultRow(state, args_json,
            [&](const oslo::JsonDocument& args, std::string* bytes) {
              std::unique_ptr<Message> message(prototype.New());
              if (!transcode::ReadArgs(args, message.get()).ok()) return false;
              *bytes = message->SerializeAsString();
              return true;
            });
}

void ReverseArgsToWire(benchmark::State& state, const Message& prototype,
                       const std::string& args_json) {
  ResultRow(state, args_json,
            [&](const oslo::JsonDocument& args, std::string* bytes) {
              return transcode::ReadArgsToWire(args, *prototype.GetDescriptor(),
                                               bytes)
                  .ok();
            });
}

void ReverseProtoToResult(benchmark::State& state, const Message& prototype,
                          const std::string& bytes) {
  ArgsRow(state, bytes.size(), [&](oslo::PyJsonWriter* writer) {
    std::unique_ptr<Message> message(prototype.New());
    return message->ParsePartialFromString(bytes) &&
           transcode::WriteResult(*message, "", writer).ok();
  });
}

void ReverseWireToResult(benchmark::State& state, const Message& prototype,
                         const std::string& bytes) {
  ArgsRow(state, bytes.size(), [&](oslo::PyJsonWriter* writer) {
    return transcode::WriteResultFromWire(*prototype.GetDescriptor(), bytes, "",
                                          writer)
        .ok();
  });
}

std::string PingArgsJson(int payload_bytes) {
  return absl::StrCat(R"({"payload": ")", std::string(payload_bytes, 'x'),
                      R"("})");
}

std::string PingReplyBytes(int payload_bytes) {
  examples::compute::PingReply reply;
  reply.set_host("host1");
  reply.set_payload(std::string(payload_bytes, 'x'));
  return reply.SerializeAsString();
}

void BM_ReverseArgsToProto_Ping(benchmark::State& state) {
  ReverseArgsToProto(state, *PingRoute().request_prototype,
                     PingArgsJson(state.range(0)));
}
BENCHMARK(BM_ReverseArgsToProto_Ping)->Arg(64)->Arg(4096);

void BM_ReverseArgsToWire_Ping(benchmark::State& state) {
  ReverseArgsToWire(state, *PingRoute().request_prototype,
                    PingArgsJson(state.range(0)));
}
BENCHMARK(BM_ReverseArgsToWire_Ping)->Arg(64)->Arg(4096);

void BM_ReverseArgsToProto_Instances4K(benchmark::State& state) {
  ReverseArgsToProto(state, *ListRoute().response_prototype, InstancesJson());
}
BENCHMARK(BM_ReverseArgsToProto_Instances4K);

void BM_ReverseArgsToWire_Instances4K(benchmark::State& state) {
  ReverseArgsToWire(state, *ListRoute().response_prototype, InstancesJson());
}
BENCHMARK(BM_ReverseArgsToWire_Instances4K);

void BM_ReverseProtoToResult_Ping(benchmark::State& state) {
  ReverseProtoToResult(state, *PingRoute().response_prototype,
                       PingReplyBytes(state.range(0)));
}
BENCHMARK(BM_ReverseProtoToResult_Ping)->Arg(64)->Arg(4096);

void BM_ReverseWireToResult_Ping(benchmark::State& state) {
  ReverseWireToResult(state, *PingRoute().response_prototype,
                      PingReplyBytes(state.range(0)));
}
BENCHMARK(BM_ReverseWireToResult_Ping)->Arg(64)->Arg(4096);

void BM_ReverseProtoToResult_Instances4K(benchmark::State& state) {
  ReverseProtoToResult(state, *ListRoute().response_prototype,
                       Instances(10).SerializeAsString());
}
BENCHMARK(BM_ReverseProtoToResult_Instances4K);

void BM_ReverseWireToResult_Instances4K(benchmark::State& state) {
  ReverseWireToResult(state, *ListRoute().response_prototype,
                      Instances(10).SerializeAsString());
}
BENCHMARK(BM_ReverseWireToResult_Instances4K);

// protobuf's JSON printer on the parsed message (its JSON is not oslo's: this
// measures the library's reflection walk, the alternative to ours).
void BM_ProtobufToJson_Instances4K(benchmark::State& state) {
  const examples::compute::ListInstancesResponse message = Instances(10);
  size_t json_bytes = 0;
  for (auto _ : state) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(message, &json).ok()) {
      state.SkipWithError("MessageToJsonString failed");
    }
    json_bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["json_bytes"] = json_bytes;
}
BENCHMARK(BM_ProtobufToJson_Instances4K);

// protobuf's JSON parser into the message, from its own JSON of it.
void BM_ProtobufFromJson_Instances4K(benchmark::State& state) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(Instances(10), &json).ok()) {
    std::abort();
  }
  for (auto _ : state) {
    examples::compute::ListInstancesResponse message;
    if (!google::protobuf::util::JsonStringToMessage(json, &message).ok()) {
      state.SkipWithError("JsonStringToMessage failed");
    }
    benchmark::DoNotOptimize(message);
  }
  state.counters["json_bytes"] = json.size();
}
BENCHMARK(BM_ProtobufFromJson_Instances4K);

}  // namespace
}  // namespace amqp::bench
