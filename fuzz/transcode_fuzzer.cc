// Fuzzes the descriptor-driven transcoder (bridge/transcode) with oslo JSON:
// the first byte picks a message type from tests/transcode/types.proto (every
// field shape), a well-known type or an oslo.versionedobjects message of
// tests/transcode/objects.proto, and whether the JSON is a request's
// keyword arguments (ReadArgs) or a call's result (ReadResult); the rest is
// the JSON text. What decodes must survive the trip back to JSON and in
// again unchanged: Read(Write(Read(x))) == Read(x).
//
// And the wire path (wire_transcode.h), which the bridge runs, must agree
// with the message path on the same input: the rest taken as request wire
// bytes (WriteArgsFromWire against parsing a dynamic message and WriteArgs:
// the same status and JSON text), and as a backend's response bytes
// (WriteResultFromWire against WriteResult); the message the JSON gave,
// serialised, the same way; and the JSON read straight into wire bytes
// (ReadResultToWire, ReadMessageToWire, ReadArgsToWire) against ReadResult/
// ReadMessage/ReadArgs (the same status and stats, bytes that parse to the
// same message).

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/message.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"
#include "bridge/transcode/wire_transcode.h"
#include "fuzz/fuzz_check.h"
#include "tests/transcode/objects.pb.h"
#include "tests/transcode/types.pb.h"

namespace amqp::transcode {
namespace {

enum class Mode { kArgs, kResult };

struct Case {
  const google::protobuf::Message* prototype;
  Mode mode;
  const char* result_field;  // ReadResult/WriteResult only
};

const Case* Cases(size_t* count) {
  using tests::transcode::OneField;
  using tests::transcode::Presence;
  using tests::transcode::Scalars;
  using tests::transcode::TwoFields;
  using tests::transcode::WellKnown;
  static const Case kCases[] = {
      {&Scalars::default_instance(), Mode::kArgs, ""},
      {&Presence::default_instance(), Mode::kArgs, ""},
      {&WellKnown::default_instance(), Mode::kArgs, ""},
      {&Scalars::default_instance(), Mode::kResult, ""},
      {&Presence::default_instance(), Mode::kResult, ""},
      {&WellKnown::default_instance(), Mode::kResult, ""},
      {&OneField::default_instance(), Mode::kResult, ""},
      {&TwoFields::default_instance(), Mode::kResult, ""},
      {&Presence::default_instance(), Mode::kResult, "items"},
      {&Presence::default_instance(), Mode::kResult, "counts"},
      {&WellKnown::default_instance(), Mode::kResult, "anything"},
      {&WellKnown::default_instance(), Mode::kResult, "at"},
      {&google::protobuf::Struct::default_instance(), Mode::kResult, ""},
      {&google::protobuf::Value::default_instance(), Mode::kResult, ""},
      {&google::protobuf::ListValue::default_instance(), Mode::kResult, ""},
      {&google::protobuf::Empty::default_instance(), Mode::kResult, ""},
      // oslo.versionedobjects (tests/transcode/objects.proto), after the
      // others so that the seeds' first bytes keep their cases.
      {&tests::objects::GetConsoleOutputRequest::default_instance(),
       Mode::kArgs, ""},
      {&tests::objects::Instance::default_instance(), Mode::kResult, ""},
      {&tests::objects::Diagnostics::default_instance(), Mode::kResult, ""},
      {&tests::objects::Instances::default_instance(), Mode::kResult, ""},
      {&tests::objects::Holder::default_instance(), Mode::kResult, ""},
  };
  *count = sizeof(kCases) / sizeof(kCases[0]);
  return kCases;
}

absl::Status Read(const Case& c, const rapidjson::Value& json,
                  google::protobuf::Message* message) {
  if (c.mode == Mode::kArgs) return ReadArgs(json, message);
  ResultStats stats;
  return ReadResult(json, c.result_field, message, &stats);
}

absl::Status Write(const Case& c, const google::protobuf::Message& message,
                   std::string* out) {
  oslo::PyJsonWriter writer(out);
  absl::Status status = c.mode == Mode::kArgs
                            ? WriteArgs(message, {}, &writer)
                            : WriteResult(message, c.result_field, &writer);
  if (status.ok()) FUZZ_CHECK(writer.IsComplete());
  return status;
}

bool Same(const google::protobuf::Message& a,
          const google::protobuf::Message& b) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  return differencer.Compare(a, b);
}

// The bridge parsed requests into dynamic messages: the reference for the
// wire path (generated messages keep maps in their own order).
std::unique_ptr<google::protobuf::Message> NewDynamic(
    const google::protobuf::Descriptor& type) {
  static auto* const factory = new google::protobuf::DynamicMessageFactory();
  return std::unique_ptr<google::protobuf::Message>(
      factory->GetPrototype(&type)->New());
}

// The wire path's JSON of `bytes` agrees with parsing them and the message
// path's, to the byte: WriteArgsFromWire with WriteArgs, WriteResultFromWire
// with WriteResult (with `result_field`).
void CheckWireToJson(const google::protobuf::Descriptor& type,
                     absl::string_view bytes, absl::string_view result_field) {
  std::unique_ptr<google::protobuf::Message> message = NewDynamic(type);
  const bool parses = message->ParsePartialFromArray(
      bytes.data(), static_cast<int>(bytes.size()));
  for (const bool args : {true, false}) {
    std::string want;
    absl::Status want_status;
    if (parses) {
      oslo::PyJsonWriter writer(&want);
      want_status = args ? WriteArgs(*message, {}, &writer)
                         : WriteResult(*message, result_field, &writer);
    } else {
      want_status = absl::InvalidArgumentError(
          absl::StrCat(args ? "the request bytes" : "the bytes",
                       " are not a valid ", type.full_name()));
    }
    std::string got;
    oslo::PyJsonWriter writer(&got);
    const absl::Status got_status =
        args ? WriteArgsFromWire(type, bytes, {}, &writer)
             : WriteResultFromWire(type, bytes, result_field, &writer);
    if (got_status != want_status || (want_status.ok() && got != want)) {
      std::fprintf(stderr, "%s: wire path: %s\n%s\nmessage path: %s\n%s\n",
                   args ? "args" : "result", got_status.ToString().c_str(),
                   got.c_str(), want_status.ToString().c_str(), want.c_str());
      FUZZ_CHECK(false);
    }
  }
}

// `bytes` parse to what `want` holds, exactly when its own serialisation
// parses: neither does when a string holds what is not UTF-8 (a lone
// surrogate escape) or Structs nest deeper than protobuf parses.
void CheckParsesTo(const std::string& bytes,
                   const google::protobuf::Message& want) {
  const google::protobuf::Descriptor& type = *want.GetDescriptor();
  std::unique_ptr<google::protobuf::Message> got = NewDynamic(type);
  const bool parses = got->ParsePartialFromString(bytes);
  FUZZ_CHECK(parses == NewDynamic(type)->ParsePartialFromString(
                           want.SerializeAsString()));
  if (parses && !Same(*got, want)) {
    std::fprintf(stderr, "wire path:\n%s\n---\nmessage path:\n%s\n",
                 got->DebugString().c_str(), want.DebugString().c_str());
    FUZZ_CHECK(false);
  }
}

// ReadArgsToWire agrees with ReadArgs, for the reverse direction's request.
void CheckArgsToWire(const google::protobuf::Descriptor& type,
                     const rapidjson::Value& json) {
  if (!json.IsObject()) return;  // never arguments
  std::unique_ptr<google::protobuf::Message> want = NewDynamic(type);
  const absl::Status want_status = ReadArgs(json, want.get());
  std::string bytes;
  const absl::Status got_status = ReadArgsToWire(json, type, &bytes);
  if (got_status != want_status) {
    std::fprintf(stderr, "args: wire path: %s\nmessage path: %s\n",
                 got_status.ToString().c_str(), want_status.ToString().c_str());
    FUZZ_CHECK(false);
  }
  if (want_status.ok()) CheckParsesTo(bytes, *want);
}

// ReadResultToWire (or ReadMessageToWire when `result` is false) agrees
// with ReadResult (ReadMessage).
void CheckJsonToWire(const Case& c, const rapidjson::Value& json, bool result) {
  const google::protobuf::Descriptor& type = *c.prototype->GetDescriptor();
  std::unique_ptr<google::protobuf::Message> want = NewDynamic(type);
  ResultStats want_stats;
  const absl::Status want_status =
      result ? ReadResult(json, c.result_field, want.get(), &want_stats)
             : ReadMessage(json, want.get(), &want_stats);
  std::string bytes;
  ResultStats got_stats;
  const absl::Status got_status =
      result ? ReadResultToWire(json, c.result_field, type, &bytes, &got_stats)
             : ReadMessageToWire(json, type, &bytes, &got_stats);
  if (got_status != want_status) {
    std::fprintf(stderr, "wire path: %s\nmessage path: %s\n",
                 got_status.ToString().c_str(), want_status.ToString().c_str());
    FUZZ_CHECK(false);
  }
  if (!want_status.ok()) return;
  FUZZ_CHECK(got_stats.unknown_keys == want_stats.unknown_keys);
  CheckParsesTo(bytes, *want);
}

}  // namespace
}  // namespace amqp::transcode

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace amqp::transcode;  // NOLINT(build/namespaces)
  using amqp::oslo::JsonDocument;
  if (size < 1) return 0;
  size_t count;
  const Case& c = Cases(&count)[data[0] % count];
  const absl::string_view text(reinterpret_cast<const char*>(data + 1),
                               size - 1);
  const google::protobuf::Descriptor& type = *c.prototype->GetDescriptor();
  CheckWireToJson(type, text, c.result_field);
  JsonDocument json = amqp::oslo::NewJsonDocument();
  if (!amqp::oslo::ParseJson(text, &json).ok()) return 0;
  CheckJsonToWire(c, json, /*result=*/c.mode == Mode::kResult);
  CheckJsonToWire(c, json, /*result=*/false);
  CheckArgsToWire(type, json);

  std::unique_ptr<google::protobuf::Message> first(c.prototype->New());
  if (!Read(c, json, first.get()).ok()) return 0;
  CheckWireToJson(type, first->SerializeAsString(), c.result_field);

  std::string written;
  absl::Status status = Write(c, *first, &written);
  // Only what JSON cannot carry fails: a Timestamp outside years 1..9999.
  if (!status.ok()) {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  JsonDocument again_json = amqp::oslo::NewJsonDocument();
  if (absl::Status s = amqp::oslo::ParseJson(written, &again_json); !s.ok()) {
    std::fprintf(stderr, "unparsable output: %s\n%s\n", written.c_str(),
                 std::string(s.message()).c_str());
    FUZZ_CHECK(false);
  }
  std::unique_ptr<google::protobuf::Message> second(c.prototype->New());
  if (absl::Status s = Read(c, again_json, second.get()); !s.ok()) {
    std::fprintf(stderr, "output does not read back: %s\n%s\n", written.c_str(),
                 std::string(s.message()).c_str());
    FUZZ_CHECK(false);
  }
  if (!Same(*first, *second)) {
    std::fprintf(stderr, "round trip changed the message:\n%s\n---\n%s\n",
                 first->DebugString().c_str(), second->DebugString().c_str());
    FUZZ_CHECK(false);
  }
  // And the text is a fixed point from there on.
  std::string rewritten;
  FUZZ_CHECK(Write(c, *second, &rewritten).ok());
  FUZZ_CHECK(rewritten == written);
  return 0;
}
