// Microbenchmarks of the oslo wire codec on the call path: a request as the
// bridge encodes it (args spliced in, envelope around) and as a server
// decodes it, and the reply the other way round, for a 64-byte and a 4 KiB
// payload.
//
//   bazel run -c opt //bench:micro_envelope

#include <benchmark/benchmark.h>

#include <string>

#include "bridge/oslo/ids.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/reply.h"
#include "bridge/oslo/request.h"

namespace amqp::oslo {
namespace {

std::string PingArgs(int payload_bytes) {
  std::string args;
  PyJsonWriter writer(&args);
  writer.StartObject();
  writer.Key("payload");
  writer.String(std::string(payload_bytes, 'x'));
  writer.EndObject();
  return args;
}

// The context the bridge sends with every call.
JsonDocument Context() {
  JsonDocument context;
  (void)ParseJson(
      R"({"request_id": "req-5f0c0ad4-4dc2-4b41-a3a4-7bd9d5cbbd6e",
          "user_id": "u1", "project_id": "p1"})",
      &context);
  return context;
}

std::string RequestBody(int payload_bytes) {
  const std::string args = PingArgs(payload_bytes);
  const JsonDocument context = Context();
  OutgoingRequest request;
  request.method = "ping";
  request.args_json = args;
  request.version = "5.0";
  request.msg_id = "1b4f0e9868c54c4a9e0f1f0c4e1a2b3c";
  request.reply_q = "reply_0123456789abcdef0123456789abcdef";
  request.unique_id = "9c1e0f0c4e1a2b3c1b4f0e9868c54c4a";
  request.context = &context;
  return EncodeRequest(request);
}

std::string ReplyBody(int payload_bytes) {
  const std::string result = R"({"host": "host1", "payload": ")" +
                             std::string(payload_bytes, 'x') + R"("})";
  OutgoingReply reply;
  reply.result_json = result;
  reply.msg_id = "1b4f0e9868c54c4a9e0f1f0c4e1a2b3c";
  reply.unique_id = "9c1e0f0c4e1a2b3c1b4f0e9868c54c4a";
  return EncodeReply(reply);
}

void BM_EncodeRequest(benchmark::State& state) {
  const std::string args = PingArgs(state.range(0));
  const JsonDocument context = Context();
  for (auto _ : state) {
    const std::string msg_id = NewUuid4Hex();
    const std::string unique_id = NewUuid4Hex();
    OutgoingRequest request;
    request.method = "ping";
    request.args_json = args;
    request.version = "5.0";
    request.msg_id = msg_id;
    request.reply_q = "reply_0123456789abcdef0123456789abcdef";
    request.unique_id = unique_id;
    request.context = &context;
    benchmark::DoNotOptimize(EncodeRequest(request));
  }
  state.SetBytesProcessed(state.iterations() *
                          RequestBody(state.range(0)).size());
}
BENCHMARK(BM_EncodeRequest)->Arg(64)->Arg(4096);

void BM_DecodeRequest(benchmark::State& state) {
  const std::string body = RequestBody(state.range(0));
  for (auto _ : state) {
    absl::StatusOr<Request> request = Request::Decode(body);
    if (!request.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(request);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_DecodeRequest)->Arg(64)->Arg(4096);

void BM_EncodeReply(benchmark::State& state) {
  const std::string result = R"({"host": "host1", "payload": ")" +
                             std::string(state.range(0), 'x') + R"("})";
  for (auto _ : state) {
    OutgoingReply reply;
    reply.result_json = result;
    reply.msg_id = "1b4f0e9868c54c4a9e0f1f0c4e1a2b3c";
    benchmark::DoNotOptimize(EncodeReply(reply));
  }
  state.SetBytesProcessed(state.iterations() *
                          ReplyBody(state.range(0)).size());
}
BENCHMARK(BM_EncodeReply)->Arg(64)->Arg(4096);

void BM_DecodeReply(benchmark::State& state) {
  const std::string body = ReplyBody(state.range(0));
  for (auto _ : state) {
    absl::StatusOr<Reply> reply = Reply::Decode(body);
    if (!reply.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(reply);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_DecodeReply)->Arg(64)->Arg(4096);

}  // namespace
}  // namespace amqp::oslo
