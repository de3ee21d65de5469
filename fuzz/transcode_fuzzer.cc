// Fuzzes the descriptor-driven transcoder (bridge/transcode) with oslo JSON:
// the first byte picks a message type from tests/transcode/types.proto (every
// field shape) or a well-known type, and whether the JSON is a request's
// keyword arguments (ReadArgs) or a call's result (ReadResult); the rest is
// the JSON text. What decodes must survive the trip back to JSON and in
// again unchanged: Read(Write(Read(x))) == Read(x).

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
#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"
#include "fuzz/fuzz_check.h"
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
  JsonDocument json = amqp::oslo::NewJsonDocument();
  if (!amqp::oslo::ParseJson(text, &json).ok()) return 0;

  std::unique_ptr<google::protobuf::Message> first(c.prototype->New());
  if (!Read(c, json, first.get()).ok()) return 0;

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
