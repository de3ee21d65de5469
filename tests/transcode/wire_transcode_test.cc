// The wire path (wire_transcode.h) against the message path (transcode.h on
// the dynamic message the bridge used to parse requests into): for many
// messages, hand-made wire bytes, malformed bytes and every mutation of
// them, the same JSON and the same status; for many results, bytes that
// parse to the same message with the same status and stats. Then a few
// hand-written expectations.

#include "bridge/transcode/wire_transcode.h"

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/wrappers.pb.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"
#include "examples/compute.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/transcode/objects.pb.h"
#include "tests/transcode/proto2_types.pb.h"
#include "tests/transcode/types.pb.h"

namespace amqp::transcode {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::Message;
using ::testing::HasSubstr;
using ::tests::transcode::Color;
using ::tests::transcode::Inner;
using ::tests::transcode::Maps;
using ::tests::transcode::Numbers;
using ::tests::transcode::OneField;
using ::tests::transcode::Presence;
using ::tests::transcode::Repeats;
using ::tests::transcode::Scalars;
using ::tests::transcode::Tree;
using ::tests::transcode::TwoFields;
using ::tests::transcode::WellKnown;
using ::tests::transcode::WithAny;
using ::tests::transcode::proto2::Legacy;

constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr uint32_t kUint32Max = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kUint64Max = std::numeric_limits<uint64_t>::max();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------
// Wire bytes by hand, independent of the code under test.

class Wire {
 public:
  Wire& Varint(uint64_t value) {
    while (value >= 0x80) {
      bytes_.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    bytes_.push_back(static_cast<char>(value));
    return *this;
  }
  Wire& Tag(uint32_t number, int wire_type) {
    return Varint(uint64_t{number} << 3 | wire_type);
  }
  Wire& Field(uint32_t number, uint64_t value) {
    return Tag(number, 0).Varint(value);
  }
  Wire& Len(uint32_t number, absl::string_view payload) {
    Tag(number, 2).Varint(payload.size());
    bytes_.append(payload.data(), payload.size());
    return *this;
  }
  Wire& Fixed32(uint32_t number, uint32_t value) {
    Tag(number, 5);
    bytes_.append(reinterpret_cast<const char*>(&value), 4);
    return *this;
  }
  Wire& Fixed64(uint32_t number, uint64_t value) {
    Tag(number, 1);
    bytes_.append(reinterpret_cast<const char*>(&value), 8);
    return *this;
  }
  Wire& Raw(absl::string_view bytes) {
    bytes_.append(bytes.data(), bytes.size());
    return *this;
  }
  const std::string& str() const { return bytes_; }
  operator std::string() const { return bytes_; }        // NOLINT
  operator absl::string_view() const { return bytes_; }  // NOLINT

 private:
  std::string bytes_;
};

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

// ---------------------------------------------------------------------------
// The two paths.

// The bridge parsed requests into dynamic messages of its own pool: the
// reference. (Generated messages keep maps differently.)
std::unique_ptr<Message> NewDynamic(const Descriptor& type) {
  static auto* const factory = new google::protobuf::DynamicMessageFactory();
  return std::unique_ptr<Message>(factory->GetPrototype(&type)->New());
}

struct Outcome {
  absl::Status status;
  std::string json;
};

// `write`'s JSON of the message `bytes` parse to, as a `prototype`; when they
// do not parse, the error the wire path gives: "<bytes_are> not a valid
// <type>".
template <typename Write>
Outcome ViaMessage(const Message& prototype, absl::string_view bytes,
                   absl::string_view bytes_are, Write write) {
  std::unique_ptr<Message> message(prototype.New());
  if (!message->ParsePartialFromString(std::string(bytes))) {
    return {absl::InvalidArgumentError(
                absl::StrCat(bytes_are, " not a valid ",
                             prototype.GetDescriptor()->full_name())),
            ""};
  }
  std::string json;
  oslo::PyJsonWriter writer(&json);
  absl::Status status = write(*message, &writer);
  return {status, status.ok() ? json : ""};
}

// `write`'s JSON straight from the bytes, complete when it succeeds.
template <typename Write>
Outcome ViaWire(Write write) {
  std::string json;
  oslo::PyJsonWriter writer(&json);
  absl::Status status = write(&writer);
  if (status.ok()) {
    EXPECT_TRUE(writer.IsComplete());
  }
  return {status, status.ok() ? json : ""};
}

Outcome ArgsViaMessage(const Message& prototype, absl::string_view bytes,
                       absl::string_view skip) {
  return ViaMessage(prototype, bytes, "the request bytes are",
                    [&](const Message& message, oslo::PyJsonWriter* writer) {
                      return WriteArgs(message, {.skip_field = skip}, writer);
                    });
}

Outcome ArgsViaWire(const Descriptor& type, absl::string_view bytes,
                    absl::string_view skip) {
  return ViaWire([&](oslo::PyJsonWriter* writer) {
    return WriteArgsFromWire(type, bytes, {.skip_field = skip}, writer);
  });
}

// The reverse direction's result: the backend's response bytes as an oslo
// result (with `result_field`), through a message and straight.
Outcome ResultViaMessage(const Message& prototype, absl::string_view bytes,
                         absl::string_view result_field) {
  return ViaMessage(prototype, bytes, "the bytes are",
                    [&](const Message& message, oslo::PyJsonWriter* writer) {
                      return WriteResult(message, result_field, writer);
                    });
}

Outcome ResultViaWire(const Descriptor& type, absl::string_view bytes,
                      absl::string_view result_field) {
  return ViaWire([&](oslo::PyJsonWriter* writer) {
    return WriteResultFromWire(type, bytes, result_field, writer);
  });
}

// `json` as a Python peer sees it, in a canonical text: a key sent twice
// keeps its last value, and object members are sorted. (Text, because NaN
// compares unequal to itself.)
void Canonical(const rapidjson::Value& json, oslo::PyJsonWriter* writer) {
  if (json.IsArray()) {
    writer->StartArray();
    for (const auto& element : json.GetArray()) Canonical(element, writer);
    writer->EndArray();
    return;
  }
  if (!json.IsObject()) {
    json.Accept(*writer);
    return;
  }
  std::map<std::string, const rapidjson::Value*> members;
  for (const auto& member : json.GetObject()) {
    members[std::string(oslo::JsonStringView(member.name))] = &member.value;
  }
  writer->StartObject();
  for (const auto& [name, value] : members) {
    writer->Key(name);
    Canonical(*value, writer);
  }
  writer->EndObject();
}

std::string Canonical(absl::string_view text) {
  oslo::JsonDocument doc;
  if (!oslo::ParseJson(text, &doc).ok()) return absl::StrCat("bad: ", text);
  std::string out;
  oslo::PyJsonWriter writer(&out);
  Canonical(doc, &writer);
  return out;
}

int args_checked = 0;

// The wire path gives what the bridge's message path gave, to the byte:
// same status (code and text) and same JSON. And, as Python would read the
// JSON, what a generated proto3 message gives.
void ExpectSameArgs(const Descriptor& type, absl::string_view bytes,
                    absl::string_view skip = "") {
  ++args_checked;
  const Outcome want = ArgsViaMessage(*NewDynamic(type), bytes, skip);
  const Outcome got = ArgsViaWire(type, bytes, skip);
  EXPECT_EQ(got.status, want.status)
      << type.full_name() << " bytes " << Hex(bytes);
  EXPECT_EQ(got.json, want.json) << type.full_name() << " bytes " << Hex(bytes);
  // The same bytes as a backend's response, the whole of it or the field
  // that would be skipped as its result_field.
  const Outcome want_result = ResultViaMessage(*NewDynamic(type), bytes, skip);
  const Outcome got_result = ResultViaWire(type, bytes, skip);
  EXPECT_EQ(got_result.status, want_result.status)
      << type.full_name() << " result " << skip << " bytes " << Hex(bytes);
  EXPECT_EQ(got_result.json, want_result.json)
      << type.full_name() << " result " << skip << " bytes " << Hex(bytes);
  // Generated proto2 messages drop a map entry whose closed enum value is
  // unknown; dynamic ones keep it with the default value.
  if (type.file()->syntax() !=
      google::protobuf::FileDescriptor::SYNTAX_PROTO3) {
    return;
  }
  const Message* generated =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(
          &type);
  const Outcome compiled = ArgsViaMessage(*generated, bytes, skip);
  EXPECT_EQ(got.status.code(), compiled.status.code())
      << type.full_name() << " bytes " << Hex(bytes);
  if (got.status.ok() && compiled.status.ok()) {
    EXPECT_EQ(Canonical(got.json), Canonical(compiled.json))
        << "vs a generated message";
  }
}

bool SameMessage(const Message& a, const Message& b) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  return differencer.Compare(a, b);
}

oslo::JsonDocument Json(absl::string_view text) {
  oslo::JsonDocument doc;
  absl::Status status = oslo::ParseJson(text, &doc);
  EXPECT_TRUE(status.ok()) << status << " in " << text;
  return doc;
}

int results_checked = 0;

// `bytes` parse to `want`. (Or neither parse: a string that is not UTF-8,
// from a lone surrogate escape, makes bytes protobuf refuses either way.)
void ExpectParsesTo(const std::string& bytes, const Message& want,
                    const std::string& text) {
  const Descriptor& type = *want.GetDescriptor();
  std::unique_ptr<Message> got = NewDynamic(type);
  const bool parses = got->ParsePartialFromString(bytes);
  ASSERT_EQ(parses,
            NewDynamic(type)->ParsePartialFromString(want.SerializeAsString()))
      << text << " gave " << Hex(bytes);
  if (!parses) return;
  EXPECT_TRUE(SameMessage(*got, want))
      << type.full_name() << " " << text << "\nwire: " << got->DebugString()
      << "\nmessage: " << want.DebugString();
  EXPECT_TRUE(WireRequest::Check(type, bytes).ok());
}

// ReadResultToWire's bytes parse to the message ReadResult fills in, with
// the same status and stats; likewise ReadMessageToWire and ReadMessage.
void ExpectSameResult(const Descriptor& type, const rapidjson::Value& json,
                      absl::string_view result_field = "") {
  ++results_checked;
  const std::string text = oslo::ToPyJson(json);
  std::unique_ptr<Message> want = NewDynamic(type);
  ResultStats want_stats;
  const absl::Status want_status =
      ReadResult(json, result_field, want.get(), &want_stats);
  std::string bytes = "left over";
  ResultStats got_stats;
  const absl::Status got_status =
      ReadResultToWire(json, result_field, type, &bytes, &got_stats);
  EXPECT_EQ(got_status, want_status) << type.full_name() << " " << text;
  EXPECT_EQ(got_stats.unknown_keys, want_stats.unknown_keys) << text;
  if (got_status.ok() && want_status.ok()) ExpectParsesTo(bytes, *want, text);
  if (!result_field.empty()) return;
  if (json.IsObject()) {  // as the arguments of a reverse call
    want = NewDynamic(type);
    const absl::Status want_args = ReadArgs(json, want.get());
    const absl::Status got_args = ReadArgsToWire(json, type, &bytes);
    EXPECT_EQ(got_args, want_args) << type.full_name() << " args " << text;
    if (got_args.ok() && want_args.ok()) ExpectParsesTo(bytes, *want, text);
  }
  want = NewDynamic(type);
  want_stats = {};
  const absl::Status want_message = ReadMessage(json, want.get(), &want_stats);
  got_stats = {};
  const absl::Status got_message =
      ReadMessageToWire(json, type, &bytes, &got_stats);
  EXPECT_EQ(got_message, want_message) << type.full_name() << " " << text;
  EXPECT_EQ(got_stats.unknown_keys, want_stats.unknown_keys) << text;
  if (got_message.ok() && want_message.ok()) {
    ExpectParsesTo(bytes, *want, text);
  }
}

void ExpectSameResult(const Descriptor& type, absl::string_view text,
                      absl::string_view result_field = "") {
  ExpectSameResult(type, Json(text), result_field);
}

// ---------------------------------------------------------------------------
// Messages, from generated classes (serialised as protobuf does).

std::vector<std::unique_ptr<Message>> Messages() {
  std::vector<std::unique_ptr<Message>> all;
  auto add = [&all](const Message& m) {
    all.emplace_back(m.New());
    all.back()->CopyFrom(m);
  };
  add(Scalars());
  {
    Scalars m;
    m.set_i32(kInt32Min);
    m.set_i64(kInt64Min);
    m.set_u32(kUint32Max);
    m.set_u64(kUint64Max);
    m.set_s64(kInt64Min);
    m.set_f64(kUint64Max);
    m.set_d(kNaN);
    m.set_f(-std::numeric_limits<float>::infinity());
    m.set_b(true);
    m.set_s(std::string("nul \0 tab \t quote \" \xe2\x82\xac \xf0\x9f\x98\x80",
                        26));
    m.set_raw(std::string("\0\xff\x80", 3));
    m.set_color(static_cast<Color>(99));  // a number the enum does not name
    add(m);
    m.set_i32(kInt32Max);
    m.set_i64(kInt64Max);
    m.set_s64(kInt64Max);
    m.set_d(-kInf);
    m.set_f(std::numeric_limits<float>::max());
    m.set_color(static_cast<Color>(-5));
    add(m);
    m.set_i32(-1);
    m.set_d(-0.0);
    m.set_f(std::numeric_limits<float>::denorm_min());
    m.set_color(tests::transcode::GREEN);
    add(m);
  }
  add(Numbers());
  {
    Numbers m;
    m.set_s32(kInt32Min);
    m.set_f32(kUint32Max);
    m.set_sf32(kInt32Min);
    m.set_sf64(kInt64Min);
    m.set_maybe_d(0);  // set to the default: still sent
    m.set_maybe_b(false);
    m.set_maybe_s("");
    m.set_maybe_color(tests::transcode::COLOR_UNSPECIFIED);
    m.mutable_maybe_inner();
    add(m);
    m.set_s32(kInt32Max);
    m.set_sf32(kInt32Max);
    m.set_sf64(kInt64Max);
    m.set_maybe_d(kInf);
    add(m);
  }
  add(Presence());
  {
    Presence m;
    m.set_maybe(0);
    m.mutable_inner()->set_name("x");
    m.set_number(-5);
    m.add_items()->set_count(2);
    m.add_items();
    (*m.mutable_counts())["a"] = 1;
    (*m.mutable_counts())[""] = kInt64Min;
    (*m.mutable_by_id())[3].set_name("three");
    (*m.mutable_by_id())[-4];
    (*m.mutable_flags())[true] = "yes";
    (*m.mutable_flags())[false] = "";
    m.add_colors(tests::transcode::RED);
    m.add_colors(static_cast<Color>(7));
    m.set_host("h1");
    add(m);
    m.set_text("");  // the oneof switches, to a default value
    add(m);
  }
  add(Repeats());
  {
    Repeats m;
    for (int32_t v : {0, -1, kInt32Min, kInt32Max}) {
      m.add_i32(v);
      m.add_s32(v);
      m.add_sf32(v);
      m.add_unpacked(v);
    }
    for (int64_t v : {int64_t{0}, int64_t{-1}, kInt64Min, kInt64Max}) {
      m.add_i64(v);
      m.add_s64(v);
      m.add_sf64(v);
    }
    for (uint32_t v : {0u, 1u, kUint32Max}) {
      m.add_u32(v);
      m.add_f32(v);
    }
    for (uint64_t v : {uint64_t{0}, uint64_t{1} << 63, kUint64Max}) {
      m.add_u64(v);
      m.add_f64(v);
    }
    for (double v : {0.0, -0.0, kNaN, kInf, -kInf, 1e-300, 0.1}) {
      m.add_d(v);
      m.add_f(static_cast<float>(v));
    }
    m.add_b(true);
    m.add_b(false);
    m.add_s("");
    m.add_s("\xc3\xa9t\xc3\xa9");
    m.add_raw("");
    m.add_raw(std::string(300, '\x01'));
    m.add_colors(tests::transcode::GREEN);
    m.add_colors(static_cast<Color>(-1));
    m.add_inners()->set_name("i");
    m.add_inners();
    add(m);
  }
  add(Maps());
  {
    Maps m;
    for (int32_t k : {0, -1, kInt32Min, kInt32Max}) {
      (*m.mutable_i32())[k] = absl::StrCat("v", k);
      (*m.mutable_s32())[k] = k * 0.5;
      (*m.mutable_sf32())[k] = static_cast<uint64_t>(k);
    }
    for (int64_t k : {int64_t{0}, int64_t{-1}, kInt64Min, kInt64Max}) {
      (*m.mutable_i64())[k].set_count(static_cast<int32_t>(k));
      (*m.mutable_s64())[k] = static_cast<float>(k);
      (*m.mutable_sf64())[k].set_string_value(absl::StrCat(k));
    }
    for (uint32_t k : {0u, kUint32Max}) {
      (*m.mutable_u32())[k] = static_cast<Color>(k % 3);
      (*m.mutable_f32())[k] = k != 0;
    }
    for (uint64_t k : {uint64_t{0}, kUint64Max}) {
      (*m.mutable_u64())[k] = "\xff";
      (*m.mutable_f64())[k] = static_cast<int64_t>(k);
    }
    (*m.mutable_b())[true].set_name("t");
    (*m.mutable_b())[false];
    (*m.mutable_s())["epoch"];
    (*m.mutable_s())["later"].set_seconds(1795507200);
    (*m.mutable_sf64())[5];  // an unset Value: null
    add(m);
  }
  add(WellKnown());
  {
    WellKnown m;
    m.mutable_at()->set_seconds(1795507200);
    m.mutable_at()->set_nanos(123000000);
    m.mutable_took()->set_seconds(-3);
    m.mutable_took()->set_nanos(-1000);
    auto& fields = *m.mutable_meta()->mutable_fields();
    fields["n"].set_number_value(2);
    fields["l"].mutable_list_value()->add_values()->set_string_value("a");
    fields["z"].set_null_value(google::protobuf::NULL_VALUE);
    fields["s"].mutable_struct_value();
    fields["b"].set_bool_value(false);
    fields["u"];  // no kind: null
    m.mutable_anything()->mutable_list_value()->add_values();
    m.mutable_list()->add_values()->set_number_value(kNaN);
    m.mutable_big()->set_value(kInt64Min);
    m.mutable_label();
    m.mutable_flag()->set_value(true);
    m.mutable_mask()->add_paths("a.b");
    m.mutable_mask()->add_paths("");
    m.mutable_mask()->add_paths("c");
    m.mutable_nothing();
    add(m);
    m.mutable_anything()->set_string_value("s");
    m.mutable_at()->set_seconds(-62135596800);  // year 1
    m.mutable_at()->set_nanos(0);
    add(m);
    m.mutable_at()->set_seconds(253402300800);  // year 10000: refused
    add(m);
    m.mutable_at()->set_seconds(0);
    m.mutable_took()->set_seconds(1);  // mixed signs: refused
    add(m);
    m.mutable_took()->set_nanos(1);
    m.mutable_anything()->mutable_struct_value();
    add(m);
  }
  add(WithAny());
  {
    WithAny m;
    m.mutable_any()->set_type_url("type.googleapis.com/x.Y");
    add(m);
  }
  {
    Tree m;
    m.set_depth(1);
    m.mutable_a()->set_name("a");
    Tree* child = m.mutable_child();
    child->set_label("l");
    child->mutable_v()->mutable_struct_value();
    child->add_children()->mutable_b()->set_count(3);
    child->add_children()->mutable_numbers()->set_maybe_b(true);
    m.mutable_presence()->set_number(1);
    m.mutable_repeats()->add_inners();
    (*m.mutable_maps()->mutable_b())[false];
    add(m);
    Tree deep;
    Tree* at = &deep;
    for (int i = 0; i < 40; ++i) {
      at->set_depth(i);
      at = at->mutable_child();
    }
    at->mutable_wkt()->mutable_anything()->set_bool_value(true);
    add(deep);
  }
  {
    examples::compute::ListInstancesResponse list;
    for (int i = 0; i < 3; ++i) {
      examples::compute::Instance* vm = list.add_instances();
      vm->set_uuid(absl::StrCat("3f0c0ad4-4dc2-4b41-a3a4-7bd9d5cbb", i));
      vm->set_name(absl::StrCat("web-", i));
      vm->set_power_state(examples::compute::RUNNING);
      vm->mutable_flavor()->set_vcpus(2);
      vm->mutable_flavor()->set_memory_mb(4096);
      (*vm->mutable_flavor()->mutable_extra_specs())["hw:cpu_policy"] = "x";
      vm->add_tags("frontend");
      vm->mutable_launched_at()->set_seconds(1795507200 + i);
      (*vm->mutable_metadata()->mutable_fields())["backup"].set_bool_value(
          true);
    }
    add(list);
    add(list.instances(0));
    examples::compute::GetConsoleOutputRequest console;
    console.set_host("compute-1");
    console.set_instance_uuid("vm");
    console.set_tail_length(0);
    add(console);
    examples::compute::ListInstancesRequest filter;
    filter.set_power_state(examples::compute::POWER_STATE_UNSPECIFIED);
    add(filter);
    examples::compute::Diagnostics diagnostics;
    diagnostics.set_uptime_seconds(kUint64Max);
    diagnostics.set_cpu_utilisation(0.25);
    diagnostics.add_nics()->set_rx_octets(1);
    add(diagnostics);
    add(examples::compute::RebootInstanceRequest());
  }
  // oslo.versionedobjects (objects.proto): object primitives, their
  // presence rules and enum spellings.
  add(tests::objects::Instance());
  {
    tests::objects::Instances m;
    tests::objects::Instance* vm = m.add_instances();
    vm->set_uuid("6c2f3d1e");
    vm->set_vm_state(tests::objects::SOFT_DELETED);
    vm->set_power_state(0);
    vm->set_locked(false);
    vm->mutable_launched_at()->set_seconds(1795507200);
    vm->mutable_tags()->add_objects()->set_tag("web");
    vm->mutable_tags()->add_objects();
    tests::objects::Flavor* flavor = vm->mutable_flavor();
    flavor->set_name("m1.small");
    flavor->set_rxtx_factor(-0.0);
    (*flavor->mutable_extra_specs())["hw:cpu_policy"] = "dedicated";
    flavor->add_projects("p1");
    (*vm->mutable_metadata())["k"] = "";
    m.add_instances();
    (*m.mutable_flavors())["tiny"].set_vcpus(1);
    (*m.mutable_flavors())["empty"];
    tests::objects::Holder* holder = m.mutable_holder();
    holder->set_count(-1);
    holder->set_ratio(-0.0);
    holder->set_blob(std::string("\0\xff", 2));
    holder->add_states(tests::objects::VM_STATE_UNSPECIFIED);
    holder->add_states(static_cast<tests::objects::VmState>(42));
    (*holder->mutable_tags_by_name())["a"].set_resource_id("r");
    holder->mutable_child()->set_nothing("");
    holder->mutable_child()->mutable_child()->mutable_flavor();
    add(m);
    tests::objects::Diagnostics diagnostics;
    diagnostics.set_state(tests::objects::RUNNING);
    diagnostics.set_driver(static_cast<tests::objects::HypervisorDriver>(9));
    diagnostics.set_config_drive(false);
    diagnostics.add_cpu_details()->set_id(0);
    diagnostics.add_nic_details();
    diagnostics.mutable_memory_details();
    add(diagnostics);
  }
  add(Legacy());
  {
    Legacy m;
    m.set_a(0);
    m.set_text("\xff not UTF-8: proto2 does not mind");
    m.set_closed(tests::transcode::proto2::TWO);
    m.add_closeds(tests::transcode::proto2::ONE);
    m.add_unpacked(-1);
    m.add_packed_closeds(tests::transcode::proto2::ZERO);
    m.mutable_grp()->set_g(5);
    m.add_rgrp()->set_r(6);
    m.add_rgrp();
    (*m.mutable_closed_map())[1] = tests::transcode::proto2::TWO;
    m.mutable_child()->set_text_choice("c");
    m.set_closed_choice(tests::transcode::proto2::ONE);
    add(m);
  }
  return all;
}

// ---------------------------------------------------------------------------
// Request bytes -> oslo arguments.

TEST(WireArgsDifferentialTest, SerialisedMessages) {
  for (const auto& message : Messages()) {
    const std::string bytes = message->SerializeAsString();
    ExpectSameArgs(*message->GetDescriptor(), bytes);
    // The server_field is left out wherever it is.
    for (const char* skip : {"host", "inner", "i32", "meta", "child", "grp"}) {
      ExpectSameArgs(*message->GetDescriptor(), bytes, skip);
    }
  }
}

TEST(WireArgsDifferentialTest, WhatTheWireAllowsBeyondSerialisation) {
  const Descriptor& presence = *Presence::descriptor();
  const Descriptor& repeats = *Repeats::descriptor();
  const Descriptor& scalars = *Scalars::descriptor();
  const Descriptor& legacy = *Legacy::descriptor();
  const Descriptor& tree = *Tree::descriptor();
  const Descriptor& maps = *Maps::descriptor();
  const Descriptor& numbers = *Numbers::descriptor();
  const Descriptor& wkt = *WellKnown::descriptor();
  auto entry = [](absl::string_view key, uint64_t value) {
    return Wire().Len(1, key).Field(2, value).str();
  };
  const std::vector<std::pair<const Descriptor*, std::string>> cases = {
      // A map key sent twice.
      {&presence, Wire()
                      .Len(6, entry("a", 1))
                      .Len(6, entry("b", 2))
                      .Len(6, entry("a", 3))},
      // Map entries missing their key or value, or sending one twice, or
      // their fields in the other order, or with unknown fields.
      {&presence, Wire().Len(6, "").Len(6, Wire().Field(2, 5))},
      {&presence, Wire().Len(6, Wire().Len(1, "k").Len(1, "j").Field(2, 9))},
      {&presence, Wire().Len(6, Wire().Field(2, 9).Len(1, "k").Field(7, 1))},
      {&presence,
       Wire().Len(
           7, Wire().Len(2, Wire().Len(1, "n")).Len(2, Wire().Field(2, 4)))},
      // A singular message in pieces merges; scalars: the last wins.
      {&presence, Wire()
                      .Len(2, Wire().Len(1, "x"))
                      .Field(1, 4)
                      .Len(2, Wire().Field(2, 7))
                      .Field(1, 5)
                      .Len(2, Wire().Len(1, "y"))},
      // Packed and unpacked runs of one repeated field, mixed.
      {&presence, Wire()
                      .Len(9, Wire().Varint(1).Varint(2))
                      .Field(9, 1)
                      .Len(9, "")
                      .Len(9, Wire().Varint(uint64_t(-3)))},
      {&repeats, Wire()
                     .Fixed32(7, 5)
                     .Len(7, Wire().Raw(std::string(8, '\x01')))
                     .Fixed64(12, 0x3ff0000000000000)
                     .Len(12, std::string(8, '\0'))
                     .Field(18, 7)
                     .Len(18, Wire().Varint(8).Varint(9))
                     .Field(13, 2)
                     .Len(13, Wire().Varint(0).Varint(300))},
      // Unknown fields of every wire type, groups nested, and known fields
      // with the wrong wire type (unknown too).
      {&scalars, Wire()
                     .Field(99, 1)
                     .Fixed32(98, 2)
                     .Fixed64(97, 3)
                     .Len(96, "junk")
                     .Tag(95, 3)
                     .Field(1, 1)
                     .Tag(94, 3)
                     .Tag(94, 4)
                     .Tag(95, 4)
                     .Fixed32(1, 7)
                     .Len(2, "x")
                     .Tag(10, 0)
                     .Varint(3)
                     .Field(536870911, 1)},
      // Explicit defaults, over-long varints, 5-byte tags.
      {&scalars, Wire()
                     .Field(1, 5)
                     .Field(1, 0)
                     .Raw(std::string("\x10\x80\x80\x00", 4))
                     .Raw(std::string("\x98\x80\x80\x80\x00\x07", 6))
                     .Raw("\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f")},
      // Ints sent as 64-bit varints are truncated; bool is any non-zero.
      {&scalars, Wire()
                     .Field(1, uint64_t{1} << 40 | 3)
                     .Field(3, kUint64Max)
                     .Field(9, 256)},
      // Oneofs: the last member sent wins, a message member merges only
      // while the oneof holds it.
      {&presence, Wire().Len(3, "a").Field(4, 5).Len(3, "b")},
      {&presence, Wire().Len(3, "a").Field(4, 5)},
      {&tree, Wire()
                  .Len(5, Wire().Len(1, "one"))
                  .Len(5, Wire().Field(2, 2))
                  .Len(6, Wire().Field(2, 3))
                  .Len(5, Wire().Len(1, "two"))},
      {&tree, Wire().Len(5, Wire().Len(1, "one")).Len(8, "")},
      {&tree, Wire().Len(7, Wire().Fixed64(2, 0)).Len(7, Wire().Len(3, "s"))},
      {&tree, Wire().Len(7, "").Len(7, Wire().Field(1, 0))},
      // proto3 `optional`: present even when default.
      {&numbers, Wire().Field(6, 0).Len(7, "").Field(8, 0).Len(9, "")},
      // Nested: a child in pieces, each with pieces.
      {&tree, Wire()
                  .Len(1, Wire().Len(1, Wire().Field(4, 1)))
                  .Len(1, Wire().Len(1, Wire().Field(4, 2)).Field(4, 3))},
      // Maps of every key type, keys sent twice.
      {&maps, Wire()
                  .Len(5, Wire().Field(1, 3).Fixed64(2, 0))
                  .Len(5, Wire().Field(1, 3).Fixed64(2, 0x4000000000000000))
                  .Len(11, Wire().Field(1, 1))
                  .Len(11, Wire().Field(1, 1).Len(2, Wire().Len(1, "t")))},
      // Well-known types in pieces and with unknown fields.
      {&wkt, Wire()
                 .Len(1, Wire().Field(1, 5))
                 .Len(1, Wire().Field(2, 7).Field(9, 1))
                 .Len(4, Wire().Len(5, ""))
                 .Len(4, Wire().Field(4, 1))
                 .Len(9, Wire().Len(1, "a"))
                 .Len(9, Wire().Len(1, "b"))
                 .Len(6, Wire().Field(1, 0))
                 .Len(10, Wire().Field(1, 1))},
      // A Timestamp's and a Duration's fields sent twice (the last wins),
      // or with another wire type (an unknown field).
      {&wkt, Wire()
                 .Len(1, Wire()
                             .Field(1, 5)
                             .Field(2, 9)
                             .Field(1, 1795507200)
                             .Fixed64(1, 3))
                 .Len(2, Wire()
                             .Field(1, uint64_t(-3))
                             .Field(2, uint64_t(-1000))
                             .Field(2, uint64_t(-5))
                             .Fixed32(2, 7))},
      // proto2: closed enums drop unknown numbers (to the unknown fields),
      // groups, unpacked and packed repeated fields, a oneof.
      {&legacy, Wire()
                    .Field(3, 1)
                    .Field(3, 77)
                    .Field(4, 2)
                    .Field(4, 9)
                    .Len(4, Wire().Varint(1).Varint(55).Varint(0))
                    .Len(6, Wire().Varint(66).Varint(2))
                    .Field(6, 1)},
      {&legacy, Wire()
                    .Len(12, Wire().Field(1, 1).Field(2, 99))
                    .Len(12, Wire().Field(1, 2).Field(2, 1))},
      {&legacy, Wire().Field(15, 1).Field(15, 42)},
      {&legacy, Wire().Len(16, "t").Field(15, 42)},
      {&legacy, Wire()
                    .Tag(7, 3)
                    .Field(8, 1)
                    .Tag(7, 4)
                    .Tag(7, 3)
                    .Len(9, "g")
                    .Tag(7, 4)
                    .Tag(10, 3)
                    .Tag(10, 4)
                    .Tag(10, 3)
                    .Field(11, 4)
                    .Field(12, 4)
                    .Tag(10, 4)},
      // A group field sent length-delimited: unknown.
      {&legacy, Wire().Len(7, Wire().Field(8, 1))},
      {&legacy, Wire().Len(2, "\xff\xfe").Len(14, Wire().Len(2, "\x80"))},
  };
  for (const auto& [type, bytes] : cases) ExpectSameArgs(*type, bytes);
}

TEST(WireArgsDifferentialTest, MalformedBytes) {
  const Descriptor& presence = *Presence::descriptor();
  const Descriptor& scalars = *Scalars::descriptor();
  const Descriptor& repeats = *Repeats::descriptor();
  const Descriptor& legacy = *Legacy::descriptor();
  const Descriptor& maps = *Maps::descriptor();
  const std::vector<std::pair<const Descriptor*, std::string>> cases = {
      {&scalars, "\x08"},      // truncated varint
      {&scalars, "\x08\x80"},  // truncated varint
      {&scalars, "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"},  // 11 bytes
      {&scalars,
       "\x52\x05"
       "abc"},                                         // length past the end
      {&scalars, "\x52\xff\xff\xff\xff\x0f"},          // length over 2 GiB
      {&scalars, "\x52\x80\x80\x80\x80\x08"},          // 5th byte >= 8
      {&scalars, "\x52\x80\x80\x80\x80\x10"},          // would wrap to 0
      {&scalars, "\x0e"},                              // wire type 6
      {&scalars, "\x0f\x00"},                          // wire type 7
      {&scalars, std::string("\x00", 1)},              // tag 0
      {&scalars, std::string("\x02\x00", 2)},          // field 0
      {&scalars, "\x0c"},                              // end group, no group
      {&scalars, "\x80\x80\x80\x80\x80\x01"},          // tag over 5 bytes
      {&scalars, "\x0b\x08\x01"},                      // group never closed
      {&scalars, "\x0b\x14"},                          // closed by another
      {&scalars, "\x1d\x01\x02"},                      // fixed32 cut short
      {&scalars, "\x31\x01\x02\x03\x04\x05\x06\x07"},  // fixed64 cut short
      {&scalars, "\x52\x02\xc3\x28"},                  // string not UTF-8
      {&scalars, "\x52\x03\xed\xa0\x80"},              // a surrogate
      {&scalars, "\x52\x02\xc0\x80"},                  // overlong
      // Past the first eight bytes, which are read at once, and in text
      // long enough for protobuf's own check.
      {&scalars, Wire().Len(10, std::string(40, 'a') + "\xc3\x28")},
      {&scalars, Wire().Len(10, std::string(40, 'a') + "\xc3\xa9")},
      {&scalars, Wire().Len(10, "0123456789abcdef\xc3\x28")},
      {&scalars, Wire().Len(10,
                            "0123456789\xc3\xa9"
                            "bcdef\xed\xa0\x80")},
      {&scalars, Wire().Len(10, "0123456789abcdef\xc3\xa9")},  // fine
      {&scalars, "\x5a\x02\xc3\x28"},                          // bytes: fine
      {&presence, "\x12\x03\x0a\x01\xff"},                     // nested string
      {&presence, "\x32\x03\x0a\x01\xff"},                     // a map key
      {&presence, "\x12\x02\x08"},      // nested varint cut
      {&presence, "\x12\x01\x0c"},      // end group in message
      {&presence, "\x12\x02\x08\x80"},  // runs past its message
      {&presence, "\x4a\x02\x01"},      // packed past its end
      {&presence, "\x4a\x01\x80"},      // packed varint cut
      // A oneof member that a later one replaces is still parsed.
      {&presence, "\x1a\x01\xff\x20\x01"},
      {&repeats, "\x3a\x03\x01\x02\x03"},      // packed fixed32, 3 bytes
      {&repeats, "\x42\x04\x01\x02\x03\x04"},  // packed fixed64, 4 bytes
      {&maps, "\x62\x04\x0a\x02\xc3\x28"},     // map<string, ...> key
      {&legacy, "\x3b\x40\x01\x3c"},           // group, field 8 cut
      {&legacy, "\x3b\x40\x01\x54"},           // group closed by 10
      {&legacy, "\x12\x01\xff"},               // proto2 string: fine
      {&scalars, "\xab\x06\x08\x01\xac\x06\xab\x06"},  // unknown group open
  };
  for (const auto& [type, bytes] : cases) ExpectSameArgs(*type, bytes);
}

// Thousands of occurrences in one message, fields interleaved and out of
// declaration order, inside messages that have their own: the reader's
// memory grows in the middle of a message, and the fields still come out
// in declaration order, each in wire order.
TEST(WireArgsDifferentialTest, ManyOccurrencesInterleaved) {
  const Descriptor& repeats = *Repeats::descriptor();
  Wire inner;
  Wire outer;
  for (int i = 0; i < 3000; ++i) {
    inner.Field(18, i).Len(14, absl::StrCat("s", i)).Field(1, i % 7);
    Wire names;  // a singular field sent again and again: the last wins
    for (int j = 0; j < (i % 500 == 0 ? 1000 : 1); ++j) {
      names.Len(1, absl::StrCat("n", i, "-", j)).Field(2, j);
    }
    outer.Len(17, names).Field(18, i).Field(1, i);
  }
  ExpectSameArgs(repeats, inner.str());
  ExpectSameArgs(repeats, outer.str());
  ExpectSameArgs(repeats, Wire().Len(17, "").Raw(inner.str()).str());
}

// Short strings are judged ASCII by whole words, the last overlapping
// the others: a byte that is not at every place of every size around that,
// and past the size judged inline.
TEST(WireArgsDifferentialTest, Utf8AtEveryPlace) {
  const Descriptor& scalars = *Scalars::descriptor();
  for (size_t size = 0; size <= 72; ++size) {
    const std::string ascii(size, 'a');
    ExpectSameArgs(scalars, Wire().Len(10, ascii));
    for (size_t at = 0; at < size; ++at) {
      for (const std::string sequence : {"\xc3\xa9", "\xc3\x28", "\xff"}) {
        std::string text = ascii;
        text.replace(at, std::min(sequence.size(), size - at), sequence);
        ExpectSameArgs(scalars, Wire().Len(10, text));
      }
    }
  }
}

// The wire path judges the bytes while it writes the arguments. These are
// the bytes it does not come to read as they were sent, and the errors it
// may meet first: the answer must still be the parser's.
TEST(WireArgsDifferentialTest, MalformedBytesTheWritingDoesNotVisit) {
  const Descriptor& tree = *Tree::descriptor();
  const std::string bad_inner = Wire().Len(1, "\xff");  // not UTF-8
  const std::string far_future =  // a Timestamp JSON cannot carry
      Wire().Len(3, Wire().Len(1, Wire().Field(1, 253402300800)));
  const std::vector<std::pair<const Descriptor*, std::string>> cases = {
      // A oneof message member that a later member replaced.
      {&tree, Wire().Len(5, bad_inner).Len(6, "")},
      {&tree, Wire().Len(5, bad_inner).Len(8, "x")},
      // ... or that the same member, sent again after another, replaced.
      {&tree, Wire().Len(5, bad_inner).Len(6, "").Len(5, "")},
      // A message in two pieces that are only valid together.
      {&tree, Wire().Len(2, "\x08").Len(2, "\x01")},
      {&tree, Wire().Len(2, "\x0a").Len(2, "\x01x")},
      // An error writing an earlier field, bad bytes in a later one.
      {&tree, Wire().Raw(far_future).Len(2, bad_inner)},
      {&tree, Wire().Raw(far_future).Len(12, "\x0a")},
      {WithAny::descriptor(),
       Wire().Len(1, Wire().Len(1, "type.googleapis.com/x.Y")).Len(2, "\x12")},
      // ... or in the same message, after the field that cannot be written.
      {&tree,
       Wire().Len(3,
                  Wire().Len(1, Wire().Field(1, 253402300800)).Len(4, "\x12"))},
  };
  for (const auto& [type, bytes] : cases) ExpectSameArgs(*type, bytes);
  // The valid cases among them still write what the parser's message says.
  ExpectSameArgs(tree, Wire().Len(2, "\x08").Len(2, "\x01\x12\x00"));
  // A skipped field is never written, but its bytes are judged.
  ExpectSameArgs(tree, Wire().Len(2, bad_inner), "presence");
  ExpectSameArgs(tree, Wire().Len(2, "\x08\x01").Field(4, 1), "presence");
}

TEST(WireArgsDifferentialTest, NestingLimit) {
  // Tree.child nested 99, 100 and 101 deep; Value/ListValue likewise.
  for (int depth : {99, 100, 101, 150}) {
    std::string bytes = Wire().Field(4, depth);
    for (int i = 0; i < depth; ++i) bytes = Wire().Len(1, bytes);
    ExpectSameArgs(*Tree::descriptor(), bytes);
    std::string group;  // unknown groups count too
    for (int i = 0; i < depth; ++i) {
      group = Wire().Tag(90, 3).Raw(group).Tag(90, 4);
    }
    ExpectSameArgs(*Scalars::descriptor(), group);
  }
}

// Every truncation of every message, and every byte of it changed in a few
// ways: the wire path must judge each exactly as protobuf's parser does.
TEST(WireArgsDifferentialTest, EveryMutation) {
  args_checked = 0;
  for (const auto& message : Messages()) {
    const std::string bytes = message->SerializeAsString();
    const Descriptor& type = *message->GetDescriptor();
    const size_t step = bytes.size() > 400 ? bytes.size() / 200 : 1;
    for (size_t i = 0; i < bytes.size(); i += step) {
      ExpectSameArgs(type, absl::string_view(bytes).substr(0, i));
      for (uint8_t change : {0x80, 0x01, 0x07, 0xff}) {
        std::string mutated = bytes;
        mutated[i] = static_cast<char>(mutated[i] ^ change);
        ExpectSameArgs(type, mutated);
      }
      std::string zero = bytes;
      zero[i] = '\0';
      ExpectSameArgs(type, zero);
    }
  }
  EXPECT_GT(args_checked, 10000);
}

// ---------------------------------------------------------------------------
// Results -> response bytes.

// The JSON a message's fields make, to read back as a result.
std::string ArgsJson(const Message& message) {
  std::string json;
  oslo::PyJsonWriter writer(&json);
  EXPECT_TRUE(WriteArgs(message, {}, &writer).ok() ||
              message.GetDescriptor() == WellKnown::descriptor() ||
              message.GetDescriptor() == WithAny::descriptor());
  return json;
}

TEST(WireResultDifferentialTest, WhatMessagesWrite) {
  for (const auto& message : Messages()) {
    const std::string json = ArgsJson(*message);
    if (json.empty() || json.back() != '}') continue;  // refused
    ExpectSameResult(*message->GetDescriptor(), json);
  }
}

// JSON objects with keys sent twice: later members clear (null), reset
// (a default), replace or merge into what earlier ones set. The wire can
// only append, so these are where the sink rewrites its bytes.
TEST(WireResultDifferentialTest, RepeatedKeysClearResetAndMerge) {
  results_checked = 0;
  for (const auto& message : Messages()) {
    const Descriptor& type = *message->GetDescriptor();
    const std::string json = ArgsJson(*message);
    if (json.empty() || json.back() != '}') continue;
    const oslo::JsonDocument full = Json(json);
    const oslo::JsonDocument defaults = Json(ArgsJson(*NewDynamic(type)));
    for (const auto& member : full.GetObject()) {
      // Then null; then the default; then the value again.
      for (int variant = 0; variant < 4; ++variant) {
        oslo::JsonDocument doc;
        doc.CopyFrom(full, doc.GetAllocator());
        rapidjson::Value name(member.name, doc.GetAllocator());
        rapidjson::Value value;
        switch (variant) {
          case 0:
            value.SetNull();
            break;
          case 1:
            if (!defaults.HasMember(member.name)) continue;
            value.CopyFrom(defaults[member.name], doc.GetAllocator());
            break;
          case 2:
            value.CopyFrom(member.value, doc.GetAllocator());
            break;
          case 3: {  // null, then the value again
            doc.AddMember(rapidjson::Value(member.name, doc.GetAllocator()),
                          rapidjson::Value(), doc.GetAllocator());
            value.CopyFrom(member.value, doc.GetAllocator());
            break;
          }
        }
        doc.AddMember(name, value, doc.GetAllocator());
        ExpectSameResult(type, doc);
      }
    }
    // Every pair of messages of a type, one object after the other.
    for (const auto& other : Messages()) {
      if (other->GetDescriptor() != &type || other == message) continue;
      const std::string other_json = ArgsJson(*other);
      if (other_json.empty() || other_json.back() != '}') continue;
      oslo::JsonDocument doc;
      doc.CopyFrom(full, doc.GetAllocator());
      const oslo::JsonDocument other_doc = Json(other_json);
      for (const auto& m : other_doc.GetObject()) {
        doc.AddMember(rapidjson::Value(m.name, doc.GetAllocator()),
                      rapidjson::Value(m.value, doc.GetAllocator()),
                      doc.GetAllocator());
      }
      ExpectSameResult(type, doc);
    }
  }
  EXPECT_GT(results_checked, 500);
}

TEST(WireResultDifferentialTest, HandWrittenResults) {
  const Descriptor& presence = *Presence::descriptor();
  const Descriptor& scalars = *Scalars::descriptor();
  const Descriptor& tree = *Tree::descriptor();
  const Descriptor& wkt = *WellKnown::descriptor();
  const Descriptor& maps = *Maps::descriptor();
  const Descriptor& legacy = *Legacy::descriptor();
  const std::vector<std::pair<const Descriptor*, const char*>> cases = {
      {&scalars, R"({"i32": 3.0, "i64": "42", "u64": 1e3, "color": 2,
                     "d": "NaN", "f": "-Infinity", "s": null, "raw": "_-8="})"},
      {&scalars, R"({"i32": 1, "extra": {"deep": [1]}, "i32": 0})"},
      {&scalars, R"({"s": "x", "s": ""})"},
      {&scalars, R"({"d": -0.0})"},
      {&scalars, R"({"color": 99})"},
      {&scalars, R"({"s": "lone \udc0d surrogate"})"},
      // A string that is not UTF-8, then replaced: the message is fine.
      {&scalars, R"({"s": "\udfff", "s": "ok"})"},
      {&presence, R"({"text": "\udfff", "number": 5})"},
      {&presence, R"({"inner": {"name": "\udfff"}, "inner": {"name": "x"}})"},
      {&tree, R"({"v": "\udfff", "v": 1})"},
      {&presence, R"({"counts": {"\udc0d": 1}, "inner": {"name": "\udc0d"}})"},
      {&presence, R"({"text": "a", "number": 5})"},
      {&presence, R"({"number": 5, "text": null})"},
      {&presence, R"({"text": "a", "number": null})"},
      {&presence, R"({"number": 5, "text": "a", "text": null})"},
      {&presence, R"({"maybe": 0, "maybe": null})"},
      // Set again while a packed run is open.
      {&presence, R"({"maybe": 1, "colors": ["RED", 2], "maybe": 0})"},
      {&presence, R"({"host": "a", "colors": [1], "host": "", "colors": [2]})"},
      {&presence, R"({"inner": {"name": "x"}, "inner": {"count": 2}})"},
      {&presence, R"({"inner": {"name": "x"}, "inner": {"name": null}})"},
      {&presence, R"({"inner": {"name": "x"}, "inner": null, "inner": {}})"},
      {&presence, R"({"items": [{}], "items": [{"count": 1}]})"},
      {&presence, R"({"counts": {"a": 1, "a": 2}, "counts": {"b": 3}})"},
      {&presence, R"({"by_id": {"-1": {"name": "x"}, "7": null}})"},
      {&presence, R"({"flags": {"true": "t", "false": ""}})"},
      {&presence, R"({"colors": ["RED", 2, 7], "colors": ["GREEN"]})"},
      {&tree, R"({"a": {"name": "x"}, "b": {}, "a": {"count": 1}})"},
      {&tree, R"({"a": {"name": "x"}, "a": {"count": 1}})"},
      {&tree, R"({"a": {"name": "x"}, "label": "l", "a": null})"},
      {&tree, R"({"v": {"k": 1}, "v": {"j": [true]}})"},
      {&tree, R"({"v": {"k": 1}, "v": null})"},
      {&tree, R"({"v": 1, "v": "s", "v": [null]})"},
      {&tree, R"({"child": {"child": {"depth": 3}}, "child": {"depth": 1},
                  "child": {"child": {"depth": 0, "label": "x"}}})"},
      {&tree, R"({"repeats": {"i32": [1, 2], "i32": [3], "u64": [0, 0]},
                  "repeats": {"i32": [4], "f": [1e38, "NaN"]}})"},
      {&tree, R"({"numbers": {"maybe_d": 0, "s32": -1, "s32": 0}})"},
      {&wkt,
       R"({"at": "2026-11-24T08:00:00.5Z", "at": "1970-01-01T00:00:00Z"})"},
      {&wkt, R"({"at": "2026-11-24T08:00:00Z", "at": null})"},
      {&wkt, R"({"took": "-1.5s", "meta": {"a": {"b": null}}, "meta": {}})"},
      {&wkt, R"({"big": 5, "big": 0, "label": "", "flag": null})"},
      {&wkt, R"({"mask": "a,,b", "mask": "c", "list": [1, "x", {}, []]})"},
      {&wkt, R"({"nothing": {}, "anything": null})"},
      {&maps, R"({"i32": {"-2147483648": "min"}, "u64": {"0": "AA=="},
                  "sf64": {"1": null, "2": {"x": 1}}, "s": {"t": null},
                  "b": {"true": {"name": "n"}}, "f32": {"4294967295": true}})"},
      {&legacy, R"({"a": 0, "text": "", "closed": "TWO", "closed": 9,
                    "closeds": ["ONE", 7], "packed_closeds": [2, 8],
                    "grp": {"g": 1}, "grp": {"gs": "s"}, "rgrp": [{}, {"r": 2}],
                    "closed_map": {"1": "ONE", "2": 5},
                    "text_choice": "t", "closed_choice": 8})"},
      {&legacy, R"({"child": {"a": 1}, "child": {"child": {"text": "x"}}})"},
      // Errors: INTERNAL naming the field, as ReadResult gives them.
      {&scalars, R"({"i32": "x"})"},
      {&scalars, R"({"u32": -1})"},
      {&scalars, R"({"f": 1e300})"},
      {&scalars, R"({"color": "BLUE"})"},
      {&scalars, R"({"raw": "!!"})"},
      {&scalars, R"({"b": 1})"},
      {&presence, R"({"items": [{"count": 1}, {"count": "two"}]})"},
      {&presence, R"({"flags": {"yes": "x"}})"},
      {&presence, R"({"by_id": {"x": {}}})"},
      {&presence, R"({"counts": {"a": null}})"},
      {&presence, R"({"inner": [1]})"},
      {&wkt, R"({"at": "yesterday"})"},
      {&wkt, R"({"nothing": 5})"},
      {&tree, R"({"children": [{"wkt": {"took": 1}}]})"},
      {&tree, R"([1, 2])"},
      {&tree, R"("a string")"},
      {&tree, R"(null)"},
  };
  for (const auto& [type, text] : cases) ExpectSameResult(*type, text);
}

// Object primitives: the checks, repeated keys inside data, nulls, both
// enum spellings, unknown keys at both levels.
TEST(WireResultDifferentialTest, ObjectPrimitives) {
  const Descriptor& instance = *tests::objects::Instance::descriptor();
  const Descriptor& holder = *tests::objects::Holder::descriptor();
  const Descriptor& diagnostics = *tests::objects::Diagnostics::descriptor();
  const std::string head =
      R"({"nova_object.name": "Instance", "nova_object.version": "2.7", )";
  const std::vector<std::pair<const Descriptor*, std::string>> cases = {
      {&instance, head + R"("nova_object.data": {"uuid": "u", "uuid": "v",
                    "vm_state": "active", "vm_state": "BUILDING",
                    "host": "h", "host": null, "flavor": {
                    "nova_object.name": "Flavor", "nova_object.version": "1.0",
                    "nova_object.data": {"vcpus": 1, "extra_specs": {"a": "b"}}},
                    "flavor": {"nova_object.name": "Flavor",
                    "nova_object.version": "1.9",
                    "nova_object.data": {"name": "n", "future": 1}},
                    "tags": {"nova_object.name": "TagList",
                    "nova_object.version": "1.1", "nova_object.data":
                    {"objects": [{"nova_object.name": "Tag",
                    "nova_object.version": "1.0",
                    "nova_object.data": {"tag": "t"}}, null]}}},
                    "nova_object.changes": ["uuid"], "x": 1})"},
      {&instance, head + R"("nova_object.data": null})"},
      {&instance, head + R"("nova_object.changes": []})"},
      {&instance, R"(null)"},
      {&holder, R"({"versioned_object.name": "ObjectHolder",
                    "versioned_object.version": "3.0",
                    "versioned_object.data": {"tags_by_name": {"a": {
                    "nova_object.name": "Tag", "nova_object.version": "1.1",
                    "nova_object.data": {"tag": "x"}}, "b": null},
                    "flavor": {"nova_object.name": "Flavor",
                    "nova_object.version": "1.2", "nova_object.data": {}},
                    "nothing": "", "count": 0, "ratio": -0.0,
                    "states": ["active", "ERROR", 3]}})"},
      {&diagnostics, R"({"nova_object.name": "Diagnostics",
                    "nova_object.version": "1.0", "nova_object.data": {
                    "state": "running", "driver": "libvirt",
                    "cpu_details": [{"nova_object.name": "CpuDiagnostics",
                    "nova_object.version": "1.0", "nova_object.data":
                    {"id": 0}}], "nic_details": []}})"},
      // Errors: the same INTERNAL text from both walkers.
      {&instance, R"({"nova_object.name": "Flavor", "nova_object.version":
                    "2.7"})"},
      {&instance, head.substr(0, head.size() - 2) + "}"},
      {&instance, R"({"nova_object.name": "Instance"})"},
      {&instance, R"({"nova_object.name": "Instance",
                    "nova_object.version": "1.7"})"},
      {&instance, R"({"nova_object.name": "Instance",
                    "nova_object.version": 2.7})"},
      {&instance, head + R"("nova_object.data": [1]})"},
      {&instance, head + R"("nova_object.changes": {}})"},
      {&instance, head + R"("nova_object.changes": [1]})"},
      {&instance, head + R"("nova_object.data": {"vm_state": "asleep"}})"},
      {&instance, head + R"("nova_object.data": {"uuid": "u", "flavor": {
                    "name": "m1"}}})"},
      {&instance, R"({"uuid": "u"})"},
      {&instance, R"([1])"},
      {&holder, R"({"versioned_object.name": "ObjectHolder",
                    "versioned_object.version": "3.1",
                    "versioned_object.data": {"tags_by_name": {"a": {
                    "nova_object.name": "Tag", "nova_object.version": "1.1",
                    "nova_object.data": {"tag": 5}}}}})"},
  };
  for (const auto& [type, text] : cases) ExpectSameResult(*type, text);
}

TEST(WireResultDifferentialTest, ResultFieldsAndWholeResults) {
  ExpectSameResult(*Presence::descriptor(), R"([{"name": "a"}, {}])", "items");
  ExpectSameResult(*Presence::descriptor(), R"({"k": 5})", "counts");
  ExpectSameResult(*Presence::descriptor(), R"({"name": "n"})", "inner");
  ExpectSameResult(*Presence::descriptor(), R"(null)", "inner");
  ExpectSameResult(*Presence::descriptor(), R"(0)", "maybe");
  ExpectSameResult(*Presence::descriptor(), R"(0)", "number");
  ExpectSameResult(*Presence::descriptor(), R"(["RED"])", "colors");
  ExpectSameResult(*Presence::descriptor(), R"("x")", "missing");
  ExpectSameResult(*Presence::descriptor(), R"("x")", "items");
  ExpectSameResult(*WellKnown::descriptor(), R"({"a": [1]})", "anything");
  ExpectSameResult(*WellKnown::descriptor(), R"(null)", "anything");
  ExpectSameResult(*WellKnown::descriptor(), R"("1970-01-01T00:00:01Z")", "at");
  ExpectSameResult(*OneField::descriptor(), R"("only")");
  ExpectSameResult(*OneField::descriptor(), R"("")");
  ExpectSameResult(*OneField::descriptor(), R"(5)");
  ExpectSameResult(*TwoFields::descriptor(), R"(42)");
  ExpectSameResult(*google::protobuf::Empty::descriptor(), R"([1, 2])");
  ExpectSameResult(*google::protobuf::Struct::descriptor(),
                   R"({"a": [1, {"b": null}], "a": 2})");
  ExpectSameResult(*google::protobuf::Value::descriptor(), R"(null)");
  ExpectSameResult(*google::protobuf::Value::descriptor(), R"([[], {}])");
  ExpectSameResult(*google::protobuf::ListValue::descriptor(), R"([1, "a"])");
  ExpectSameResult(*google::protobuf::Int64Value::descriptor(), R"(0)");
  ExpectSameResult(*google::protobuf::StringValue::descriptor(), R"("s")");
  ExpectSameResult(*examples::compute::ListInstancesResponse::descriptor(),
                   R"([{"name": "vm", "flavor": {"extra_specs": {"a": "b"}},
                       "launched_at": "2026-11-24T08:00:00Z",
                       "metadata": {"x": [1]}}])",
                   "instances");
  ExpectSameResult(*examples::compute::ConsoleOutput::descriptor(),
                   R"("console text")", "output");
}

// ---------------------------------------------------------------------------
// Hand-written expectations.

std::string WireArgs(const Descriptor& type, absl::string_view bytes,
                     absl::string_view skip = "") {
  std::string json;
  oslo::PyJsonWriter writer(&json);
  absl::Status status =
      WriteArgsFromWire(type, bytes, {.skip_field = skip}, &writer);
  EXPECT_TRUE(status.ok()) << status;
  return json;
}

TEST(WriteArgsFromWireTest, WritesWhatTheBytesSay) {
  // Defaults for absent scalars; a map key twice stays twice, in wire order.
  EXPECT_EQ(WireArgs(*Presence::descriptor(),
                     Wire()
                         .Len(6, Wire().Len(1, "a").Field(2, 1))
                         .Len(6, Wire().Len(1, "b").Field(2, 2))
                         .Len(6, Wire().Len(1, "a").Field(2, 3))),
            R"({"items": [], "counts": {"a": 1, "b": 2, "a": 3}, )"
            R"("by_id": {}, "flags": {}, "colors": [], "host": ""})");
  // A message in two pieces; packed and unpacked; a oneof's last member;
  // unknown fields; the server field left out.
  EXPECT_EQ(WireArgs(*Presence::descriptor(),
                     Wire()
                         .Len(2, Wire().Len(1, "x"))
                         .Len(3, "a")
                         .Len(9, Wire().Varint(1))
                         .Field(77, 1)
                         .Len(2, Wire().Field(2, 2))
                         .Field(9, 2)
                         .Field(4, uint64_t(-5))
                         .Len(10, "h1"),
                     "host"),
            R"({"inner": {"name": "x", "count": 2}, "number": -5, )"
            R"("items": [], "counts": {}, "by_id": {}, "flags": {}, )"
            R"("colors": ["RED", "GREEN"]})");
  // 64-bit extremes are JSON numbers; sint64 zigzag; NaN as Python has it.
  EXPECT_EQ(WireArgs(*Scalars::descriptor(), Wire()
                                                 .Field(2, uint64_t(kInt64Min))
                                                 .Field(4, kUint64Max)
                                                 .Field(5, 1)
                                                 .Fixed64(7, 0x7ff8000000000000)
                                                 .Field(12, 9)),
            R"({"i32": 0, "i64": -9223372036854775808, "u32": 0, )"
            R"("u64": 18446744073709551615, "s64": -1, "f64": 0, "d": NaN, )"
            R"("f": 0.0, "b": false, "s": "", "raw": "", "color": 9})");
}

TEST(WriteArgsFromWireTest, RefusesWhatTheMessagePathRefuses) {
  std::string json;
  oslo::PyJsonWriter writer(&json);
  absl::Status status =
      WriteArgsFromWire(*Presence::descriptor(), "\x12\x05\x0a", {}, &writer);
  EXPECT_EQ(status,
            absl::InvalidArgumentError("the request bytes are not a valid "
                                       "tests.transcode.Presence"));
  WithAny any;
  any.mutable_any()->set_type_url("x");
  status = WriteArgsFromWire(*WithAny::descriptor(), any.SerializeAsString(),
                             {}, &writer);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("field 'any': google.protobuf.Any"));
}

TEST(WireRequestTest, GetStringReadsWhatAMessageWouldHold) {
  const Descriptor& presence = *Presence::descriptor();
  const auto& host = *presence.FindFieldByName("host");
  const auto& text = *presence.FindFieldByName("text");
  const std::string bytes =
      Wire().Len(10, "first").Len(3, "t").Len(10, "last").Field(4, 1);
  absl::StatusOr<WireRequest> request = WireRequest::Check(presence, bytes);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->GetString(host), "last");
  EXPECT_EQ(request->GetString(text), "");  // the oneof moved on
  request = WireRequest::Check(presence, "");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->GetString(host), "");
  request = WireRequest::Check(*Legacy::descriptor(), "");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->GetString(*Legacy::descriptor()->FindFieldByName("text")),
            "hi");  // the proto2 default
}

std::string ResultBytes(const Descriptor& type, absl::string_view json,
                        absl::string_view result_field = "") {
  std::string bytes;
  ResultStats stats;
  absl::Status status =
      ReadResultToWire(Json(json), result_field, type, &bytes, &stats);
  EXPECT_TRUE(status.ok()) << status;
  return bytes;
}

TEST(ReadResultToWireTest, WritesCompactBytes) {
  EXPECT_EQ(ResultBytes(*OneField::descriptor(), R"("x")"), "\x0a\x01x");
  // proto3 defaults are not written; a default after a value clears it.
  EXPECT_EQ(ResultBytes(*Scalars::descriptor(), R"({"i32": 0, "s": ""})"), "");
  EXPECT_EQ(ResultBytes(*Scalars::descriptor(), R"({"i32": 5, "i32": 0})"), "");
  EXPECT_EQ(ResultBytes(*Scalars::descriptor(), R"({"i32": -1})"),
            "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
  // Repeated scalars packed; a null clears what came before.
  EXPECT_EQ(ResultBytes(*Repeats::descriptor(), R"({"i32": [1, 2, 300]})"),
            "\x0a\x04\x01\x02\xac\x02");
  EXPECT_EQ(ResultBytes(*Repeats::descriptor(),
                        R"({"i32": [1], "s": ["a"], "i32": null})"),
            "\x72\x01"
            "a");
  // A message set twice is one message.
  EXPECT_EQ(ResultBytes(*Presence::descriptor(),
                        R"({"inner": {"name": "x"}, "maybe": 1,
                            "inner": {"count": 2}})"),
            "\x08\x01\x12\x05\x0a\x01x\x10\x02");
  // A message of 128 bytes or more takes a longer length.
  const std::string name(200, 'n');
  const std::string bytes =
      ResultBytes(*Presence::descriptor(),
                  absl::StrCat(R"({"inner": {"name": ")", name, R"("}})"));
  EXPECT_EQ(bytes, absl::StrCat("\x12\xcb\x01\x0a\xc8\x01", name));
}

TEST(ReadResultToWireTest, ErrorsAreInternalAndNameTheField) {
  std::string bytes;
  ResultStats stats;
  absl::Status status =
      ReadResultToWire(Json(R"({"output": 5, "x": 1})"), "",
                       *OneField::descriptor(), &bytes, &stats);
  EXPECT_EQ(status, absl::InternalError(
                        "field 'output': expected a string, got a number"));
  status = ReadResultToWire(Json(R"({"x": 1, "y": {}, "output": "o"})"), "",
                            *OneField::descriptor(), &bytes, &stats);
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(stats.unknown_keys, 2);
}

}  // namespace
}  // namespace amqp::transcode
