// oslo.versionedobjects primitives <-> messages with (amqp.object), through
// both walkers (reflection and wire bytes), on nova's real traffic
// (testdata/nova) and on the bad input a peer may send.

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"
#include "bridge/transcode/transcode.h"
#include "bridge/transcode/wire_transcode.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/transcode/objects.pb.h"

namespace amqp::transcode {
namespace {

using ::google::protobuf::Message;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::tests::objects::Diagnostics;
using ::tests::objects::Flavor;
using ::tests::objects::GetConsoleOutputRequest;
using ::tests::objects::Holder;
using ::tests::objects::Instance;
using ::tests::objects::Instances;
using ::tests::objects::RebootInstanceRequest;

std::string ReadFile(absl::string_view relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  const std::string path =
      absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                   workspace != nullptr ? workspace : "grpc_amqp_bridge",
                   "/tests/transcode/testdata/", relative);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

oslo::JsonDocument Json(absl::string_view text,
                        int max_depth = oslo::kMaxJsonDepth) {
  oslo::JsonDocument doc;
  absl::Status status = oslo::ParseJson(text, &doc, max_depth);
  EXPECT_TRUE(status.ok()) << status << " in " << text.substr(0, 200);
  return doc;
}

// The decoded oslo message of a vector that has `key` ("args", "result").
oslo::JsonDocument VectorMember(absl::string_view file, const char* key) {
  oslo::JsonDocument vector = Json(ReadFile(absl::StrCat("nova/", file)));
  for (const auto& message : vector["messages"].GetArray()) {
    if (!message.HasMember("oslo_message_decoded")) continue;
    const auto& decoded = message["oslo_message_decoded"];
    if (decoded.HasMember(key)) {
      return Json(oslo::ToPyJson(decoded[key]));
    }
  }
  ADD_FAILURE() << file << " has no " << key;
  return Json("null");
}

// ReadResult() through reflection into `*out` and through the wire walker:
// the same status, stats and message. Returns the status.
absl::Status ReadResultBoth(const rapidjson::Value& json, Message* out,
                            ResultStats* stats = nullptr) {
  ResultStats by_message;
  const absl::Status status = ReadResult(json, "", out, &by_message);
  std::string bytes;
  ResultStats by_wire;
  const absl::Status wire =
      ReadResultToWire(json, "", *out->GetDescriptor(), &bytes, &by_wire);
  EXPECT_EQ(wire, status);
  EXPECT_EQ(by_wire.unknown_keys, by_message.unknown_keys);
  if (status.ok() && wire.ok()) {
    std::unique_ptr<Message> parsed(out->New());
    EXPECT_TRUE(parsed->ParseFromString(bytes));
    EXPECT_TRUE(MessageDifferencer::Equals(*parsed, *out))
        << "wire: " << parsed->ShortDebugString()
        << "\nmessage: " << out->ShortDebugString();
  }
  if (stats != nullptr) *stats = by_message;
  return status;
}

// WriteArgs() of `request` through reflection and through its wire bytes:
// the same JSON (or the same error).
std::string ArgsBoth(const Message& request, absl::Status* error = nullptr) {
  std::string by_message;
  oslo::PyJsonWriter message_writer(&by_message);
  const absl::Status status = WriteArgs(request, {}, &message_writer);
  std::string by_wire;
  oslo::PyJsonWriter wire_writer(&by_wire);
  const absl::Status wire = WriteArgsFromWire(
      *request.GetDescriptor(), request.SerializeAsString(), {}, &wire_writer);
  EXPECT_EQ(wire, status);
  if (status.ok()) EXPECT_EQ(by_wire, by_message);
  if (error != nullptr) {
    *error = status;
  } else {
    EXPECT_TRUE(status.ok()) << status;
  }
  return by_message;
}

std::string ResultText(const Message& response) {
  std::string out;
  oslo::PyJsonWriter writer(&out);
  const absl::Status status = WriteResult(response, "", &writer);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

// Every object primitive's changes in sorted order: Python sends a set's
// order, which changes from run to run.
void SortChanges(rapidjson::Value* json) {
  if (json->IsArray()) {
    for (auto& element : json->GetArray()) SortChanges(&element);
    return;
  }
  if (!json->IsObject()) return;
  for (auto& member : json->GetObject()) {
    const absl::string_view key = oslo::JsonStringView(member.name);
    if (key.size() > 8 && key.substr(key.size() - 8) == ".changes" &&
        member.value.IsArray()) {
      auto array = member.value.GetArray();
      std::sort(array.begin(), array.end(),
                [](const rapidjson::Value& a, const rapidjson::Value& b) {
                  return oslo::JsonStringView(a) < oslo::JsonStringView(b);
                });
    } else {
      SortChanges(&member.value);
    }
  }
}

// What the bridge cannot say back the way nova said it, taken out of a
// captured primitive: a data member that is null (JSON null leaves a field
// unset, and unset fields are not sent) or an empty list (repeated fields
// are sent when not empty), and their names in the changes.
void DropUnsaid(rapidjson::Value* json) {
  if (json->IsArray()) {
    for (auto& element : json->GetArray()) DropUnsaid(&element);
    return;
  }
  if (!json->IsObject()) return;
  rapidjson::Value* data = nullptr;
  rapidjson::Value* changes = nullptr;
  for (auto& member : json->GetObject()) {
    const absl::string_view key = oslo::JsonStringView(member.name);
    if (key == "nova_object.data") data = &member.value;
    if (key == "nova_object.changes") changes = &member.value;
    DropUnsaid(&member.value);
  }
  if (data == nullptr || !data->IsObject()) return;
  std::vector<std::string> dropped;
  for (auto it = data->MemberBegin(); it != data->MemberEnd();) {
    if (it->value.IsNull() || (it->value.IsArray() && it->value.Empty())) {
      dropped.emplace_back(oslo::JsonStringView(it->name));
      it = data->EraseMember(it);
    } else {
      ++it;
    }
  }
  if (changes == nullptr) return;
  for (auto it = changes->Begin(); it != changes->End();) {
    if (std::find(dropped.begin(), dropped.end(), oslo::JsonStringView(*it)) !=
        dropped.end()) {
      it = changes->Erase(it);
    } else {
      ++it;
    }
  }
}

// `captured` (nova's JSON) and `ours` (the bridge's) are the same JSON, to
// the order of the members, once the changes are sorted and what the bridge
// cannot say back (DropUnsaid) is taken out of the captured one.
void ExpectSameAsNova(const rapidjson::Value& captured,
                      absl::string_view ours) {
  oslo::JsonDocument want = Json(oslo::ToPyJson(captured));
  DropUnsaid(&want);
  SortChanges(&want);
  oslo::JsonDocument got = Json(ours);
  SortChanges(&got);
  EXPECT_EQ(oslo::ToPyJson(got), oslo::ToPyJson(want));
}

// ---------------------------------------------------------------------------
// nova's real traffic.

TEST(NovaVectorsTest, InstanceResultFillsTheMessageAndComesBackTheSame) {
  const oslo::JsonDocument result =
      VectorMember("nova_instance_result.json", "result");
  Instance instance;
  ResultStats stats;
  ASSERT_TRUE(ReadResultBoth(result, &instance, &stats).ok());
  EXPECT_EQ(stats.unknown_keys, 0);
  EXPECT_EQ(instance.uuid(), "6c2f3d1e-0000-4000-8000-000000000001");
  EXPECT_EQ(instance.vm_state(), tests::objects::ACTIVE);  // "active"
  ASSERT_TRUE(instance.has_power_state());
  EXPECT_EQ(instance.power_state(), 1);
  EXPECT_FALSE(instance.has_task_state());  // null
  EXPECT_EQ(instance.memory_mb(), 2048);
  EXPECT_EQ(instance.vcpus(), 2);
  EXPECT_EQ(instance.host(), "compute-host-1");
  EXPECT_EQ(instance.display_name(), "web-1");
  EXPECT_EQ(instance.launched_at().seconds(), 1795507200);  // 2026-11-24 8:00
  ASSERT_EQ(instance.tags().objects_size(), 1);
  EXPECT_EQ(instance.tags().objects(0).tag(), "frontend");
  EXPECT_EQ(instance.flavor().name(), "m1.small");
  EXPECT_EQ(instance.flavor().root_gb(), 20);
  EXPECT_EQ(instance.flavor().extra_specs().at("hw:cpu_policy"), "dedicated");
  EXPECT_FALSE(instance.has_old_flavor());

  // Back as the endpoint's result: nova's JSON, but for task_state (null,
  // so unset, so not sent) and the order of the changes.
  ExpectSameAsNova(result, ResultText(instance));
}

TEST(NovaVectorsTest, DiagnosticsWithNestedObjectsAndObjectLists) {
  const oslo::JsonDocument result =
      VectorMember("nova_get_instance_diagnostics.json", "result");
  Diagnostics diagnostics;
  ASSERT_TRUE(ReadResultBoth(result, &diagnostics).ok());
  EXPECT_EQ(diagnostics.state(), tests::objects::RUNNING);   // "running"
  EXPECT_EQ(diagnostics.driver(), tests::objects::LIBVIRT);  // "libvirt"
  EXPECT_EQ(diagnostics.hypervisor(), "kvm");
  EXPECT_EQ(diagnostics.uptime(), 3600);
  ASSERT_TRUE(diagnostics.has_config_drive());  // false, and sent
  EXPECT_FALSE(diagnostics.config_drive());
  EXPECT_EQ(diagnostics.memory_details().maximum(), 2048);
  EXPECT_EQ(diagnostics.memory_details().used(), 1024);
  ASSERT_EQ(diagnostics.cpu_details_size(), 1);
  EXPECT_TRUE(diagnostics.cpu_details(0).has_id());  // 0, and sent
  EXPECT_EQ(diagnostics.cpu_details(0).time(), 17300000000);
  EXPECT_EQ(diagnostics.cpu_details(0).utilisation(), 15);
  EXPECT_EQ(diagnostics.nic_details_size(), 0);
  ASSERT_TRUE(diagnostics.has_num_nics());
  EXPECT_EQ(diagnostics.num_nics(), 0);

  // nic_details and disk_details were empty lists: not sent back.
  ExpectSameAsNova(result, ResultText(diagnostics));
}

TEST(NovaVectorsTest, ArgumentsFromNovasClient) {
  {
    const oslo::JsonDocument args =
        VectorMember("nova_get_console_output.json", "args");
    GetConsoleOutputRequest request;
    ASSERT_TRUE(ReadArgs(args, &request).ok());
    EXPECT_EQ(request.tail_length(), 7);
    EXPECT_EQ(request.instance().vm_state(), tests::objects::ACTIVE);
    EXPECT_EQ(request.instance().display_name(), "web-1");
    // What a generated client sends for the same request: nova's bytes but
    // for the order of the changes.
    ExpectSameAsNova(args, ArgsBoth(request));
  }
  {
    const oslo::JsonDocument args =
        VectorMember("nova_reboot_instance_cast.json", "args");
    RebootInstanceRequest request;
    ASSERT_TRUE(ReadArgs(args, &request).ok());
    EXPECT_EQ(request.reboot_type(), tests::objects::SOFT);
    EXPECT_FALSE(request.has_block_device_info());  // null
    oslo::JsonDocument want = Json(oslo::ToPyJson(args));
    want.RemoveMember("block_device_info");  // null: unset, not sent
    ExpectSameAsNova(want, ArgsBoth(request));
  }
}

TEST(NovaVectorsTest, WhatTheEncoderWritesByteForByte) {
  Instance instance;
  instance.set_vm_state(tests::objects::ACTIVE);
  instance.set_memory_mb(2048);
  instance.set_uuid("u");
  GetConsoleOutputRequest request;
  *request.mutable_instance() = instance;
  request.set_tail_length(7);
  EXPECT_EQ(ArgsBoth(request),
            R"({"instance": {"nova_object.name": "Instance", )"
            R"("nova_object.namespace": "nova", "nova_object.version": "2.7", )"
            R"("nova_object.data": {"vm_state": "active", "memory_mb": 2048, )"
            R"("uuid": "u"}, "nova_object.changes": ["vm_state", "memory_mb", )"
            R"("uuid"]}, "tail_length": 7})");
}

// ---------------------------------------------------------------------------
// The rules.

TEST(ObjectRulesTest, PresenceDefaultsNameAndSerialNamespace) {
  Holder holder;  // name "ObjectHolder", default serial namespace
  EXPECT_EQ(ResultText(holder), R"({"versioned_object.name": "ObjectHolder", )"
                                R"("versioned_object.namespace": "", )"
                                R"("versioned_object.version": "3.1", )"
                                R"("versioned_object.data": {}})");
  // Scalars without presence only when not their default; a oneof member
  // when set, even to its default; repeated fields when not empty.
  holder.set_count(0);
  holder.set_label("");
  holder.set_nothing("");
  holder.set_ratio(-0.0);  // not protobuf's default: its bits are not 0
  holder.add_states(tests::objects::VM_STATE_UNSPECIFIED);
  EXPECT_THAT(ResultText(holder),
              HasSubstr(R"("versioned_object.data": {"nothing": "", )"
                        R"("states": ["VM_STATE_UNSPECIFIED"], )"
                        R"("ratio": -0.0}, "versioned_object.changes": )"
                        R"(["nothing", "states", "ratio"]})"));
}

TEST(ObjectRulesTest, ObjectsAsMapValuesOneofMembersAndInsidePlainMessages) {
  Instances request;
  Instance* vm = request.add_instances();
  vm->set_uuid("a");
  request.add_instances()->set_uuid("b");
  (*request.mutable_flavors())["small"].set_vcpus(1);
  Holder* holder = request.mutable_holder();
  (*holder->mutable_tags_by_name())["web"].set_tag("web");
  holder->mutable_flavor()->set_name("tiny");
  holder->mutable_child()->set_count(2);
  const std::string args = ArgsBoth(request);
  EXPECT_THAT(args, HasSubstr(R"("instances": [{"nova_object.name": )"
                              R"("Instance")"));
  EXPECT_THAT(args, HasSubstr(R"("flavors": {"small": {"nova_object.name": )"
                              R"("Flavor")"));
  EXPECT_THAT(args, HasSubstr(R"("tags_by_name": {"web": {)"
                              R"("nova_object.name": "Tag")"));
  EXPECT_THAT(args, HasSubstr(R"("child": {"versioned_object.name": )"
                              R"("ObjectHolder")"));
  // And back: a result of the same JSON fills the same message.
  Instances back;
  ASSERT_TRUE(ReadResultBoth(Json(args), &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(back, request))
      << back.ShortDebugString();
}

TEST(ObjectRulesTest, EnumsByEitherSpellingAndWrittenByTheOsloOne) {
  for (const char* spelling : {"active", "ACTIVE", "1"}) {
    Instance instance;
    const std::string value =
        absl::StrCat(spelling[0] == '1' ? "" : "\"", spelling,
                     spelling[0] == '1' ? "" : "\"");
    ASSERT_TRUE(ReadResultBoth(
                    Json(absl::StrCat(
                        R"({"nova_object.name": "Instance", )"
                        R"("nova_object.version": "2.7", "nova_object.data": )"
                        R"({"vm_state": )",
                        value, "}}")),
                    &instance)
                    .ok())
        << spelling;
    EXPECT_EQ(instance.vm_state(), tests::objects::ACTIVE) << spelling;
    EXPECT_THAT(ResultText(instance), HasSubstr(R"("vm_state": "active")"));
  }
  Instance instance;
  const absl::Status status = ReadResultBoth(
      Json(R"({"nova_object.name": "Instance", "nova_object.version": "2.7", )"
           R"("nova_object.data": {"vm_state": "asleep"}})"),
      &instance);
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr("vm_state"), HasSubstr("asleep"),
                    HasSubstr("tests.objects.VmState")));
}

TEST(ObjectRulesTest, NewerMinorVersionsAndNulls) {
  // A 2.9 peer: its new field is ignored and counted, the rest is read.
  Instance instance;
  ResultStats stats;
  ASSERT_TRUE(
      ReadResultBoth(
          Json(R"({"nova_object.name": "Instance", "nova_object.namespace": )"
               R"("nova", "nova_object.version": "2.9", "nova_object.data": )"
               R"({"uuid": "u", "shiny_new_field": [1], "host": null, )"
               R"("flavor": null, "tags": {"nova_object.name": "TagList", )"
               R"("nova_object.version": "1.0", "nova_object.data": null}}, )"
               R"("nova_object.changes": ["uuid"], "nova_object.extra": 1})"),
          &instance, &stats)
          .ok());
  EXPECT_EQ(stats.unknown_keys, 2);  // shiny_new_field, nova_object.extra
  EXPECT_EQ(instance.uuid(), "u");
  EXPECT_FALSE(instance.has_host());
  EXPECT_FALSE(instance.has_flavor());
  EXPECT_TRUE(instance.has_tags());  // an empty TagList 1.0
}

TEST(ObjectRulesTest, VersionsOfTheSameMajorAreRead) {
  for (const char* version : {"2.7", "2", "2.0", "2.10", "02.99"}) {
    Instance instance;
    EXPECT_TRUE(ReadResultBoth(Json(absl::StrCat(
                                   R"({"nova_object.name": "Instance", )",
                                   R"("nova_object.version": ")", version,
                                   R"(", "nova_object.data": {"uuid": "u"}})")),
                               &instance)
                    .ok())
        << version;
  }
  for (const char* version :
       {"1.7", "3.0", "2.7.1", "2.", ".7", "x", "", "2.7b", "99999999999.1"}) {
    Instance instance;
    const absl::Status status = ReadResultBoth(
        Json(absl::StrCat(R"({"nova_object.name": "Instance", )",
                          R"("nova_object.version": ")", version, R"("})")),
        &instance);
    EXPECT_THAT(std::string(status.message()),
                HasSubstr(absl::StrCat("got version ", version, " (major")))
        << version;
  }
}

// ---------------------------------------------------------------------------
// Bad input: a clear error naming the field path, what was expected and what
// came; INVALID_ARGUMENT for arguments, INTERNAL for results; and the next
// call works.

constexpr absl::string_view kGoodArgs =
    R"({"instance": {"nova_object.name": "Instance", )"
    R"("nova_object.namespace": "nova", "nova_object.version": "2.7", )"
    R"("nova_object.data": {"uuid": "u", "tags": {"nova_object.name": )"
    R"("TagList", "nova_object.namespace": "nova", "nova_object.version": )"
    R"("1.1", "nova_object.data": {"objects": [{"nova_object.name": "Tag", )"
    R"("nova_object.namespace": "nova", "nova_object.version": "1.1", )"
    R"("nova_object.data": {"tag": "web"}, "nova_object.changes": )"
    R"(["tag"]}]}, "nova_object.changes": ["objects"]}}, )"
    R"("nova_object.changes": ["uuid", "tags"]}, "tail_length": 7})";

struct BadCase {
  const char* what;
  const char* from;  // in kGoodArgs
  const char* to;
  std::vector<const char*> says;
};

TEST(ObjectBadInputTest, ClearErrorsAndTheNextCallWorks) {
  const std::vector<BadCase> cases = {
      {"wrong name",
       R"("nova_object.name": "Instance")",
       R"("nova_object.name": "Flavor")",
       {"field 'instance'", "Instance", "Flavor"}},
      {"wrong major version",
       R"("nova_object.version": "2.7")",
       R"("nova_object.version": "3.0")",
       {"field 'instance'", "Instance 2.7", "version 3.0"}},
      {"data not an object",
       R"("nova_object.data": {"tag": "web"})",
       R"("nova_object.data": ["web"])",
       {"field 'instance.tags.objects'", "nova_object.data",
        "expected an object", "got an array"}},
      {"changes not a list",
       R"("nova_object.changes": ["objects"])",
       R"("nova_object.changes": "objects")",
       {"field 'instance.tags'", "nova_object.changes", "expected a list",
        "got a string"}},
      {"a wrong JSON type deep inside",
       R"({"tag": "web"})",
       R"({"tag": 5})",
       {"field 'instance.tags.objects.tag'", "expected a string",
        "got a number"}},
      {"not a primitive",
       R"("tags": {"nova_object.name": "TagList")",
       R"("tags": {"name": "TagList")",
       {"field 'instance.tags'", "nova_object TagList 1.1",
        "without \"nova_object.name\""}},
      {"a list for an object",
       R"("instance": {)",
       R"("instance": [], "x": {)",
       {"field 'instance'",
        "expected the primitive of a nova_object "
        "Instance 2.7, got an array"}},
  };
  const oslo::JsonDocument good = Json(kGoodArgs);
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string text = absl::StrReplaceAll(kGoodArgs, {{c.from, c.to}});
    ASSERT_NE(text, kGoodArgs);
    const oslo::JsonDocument bad = Json(text);
    GetConsoleOutputRequest request;
    const absl::Status args = ReadArgs(bad, &request);
    EXPECT_EQ(args.code(), absl::StatusCode::kInvalidArgument) << args;
    for (const char* part : c.says) {
      EXPECT_THAT(std::string(args.message()), HasSubstr(part));
    }
    // The same as a result, through both walkers.
    const absl::Status result = ReadResultBoth(bad, &request);
    EXPECT_EQ(result.code(), absl::StatusCode::kInternal) << result;
    for (const char* part : c.says) {
      EXPECT_THAT(std::string(result.message()), HasSubstr(part));
    }
    // The next call works.
    ASSERT_TRUE(ReadArgs(good, &request).ok());
    EXPECT_EQ(request.instance().tags().objects(0).tag(), "web");
    ASSERT_TRUE(ReadResultBoth(good, &request).ok());
  }
}

// `depth` Holders, each the child of the one before.
std::string NestedHolders(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) {
    text += R"({"versioned_object.name": "ObjectHolder", )"
            R"("versioned_object.version": "3.1", )"
            R"("versioned_object.data": {"count": 1, "child": )";
  }
  text += "null";
  for (int i = 0; i < depth; ++i) text += "}}";
  return text;
}

TEST(ObjectBadInputTest, TwoHundredLevelsDeep) {
  // oslo's JSON parser refuses the text first.
  oslo::JsonDocument doc;
  const absl::Status parsed = oslo::ParseJson(NestedHolders(200), &doc);
  EXPECT_EQ(parsed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.message()), HasSubstr("deep"));
  // A document parsed without that limit: the decoder has its own.
  const oslo::JsonDocument deep = Json(NestedHolders(200), 1000);
  Holder holder;
  const absl::Status read = ReadResultBoth(deep, &holder);
  EXPECT_EQ(read.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(read.message()),
              AllOf(HasSubstr("field 'child.child.child"),
                    HasSubstr("nested deeper than 100 levels")));
  // A message 200 levels deep, built in C++, is refused by the encoder (its
  // JSON would be deeper than any oslo peer parses), without a crash.
  Holder built;
  Holder* at = &built;
  for (int i = 0; i < 200; ++i) {
    at->set_count(1);
    at = at->mutable_child();
  }
  std::string out;
  oslo::PyJsonWriter writer(&out);
  const absl::Status written = WriteResult(built, "", &writer);
  EXPECT_EQ(written.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(written.message()),
              HasSubstr("nested deeper than the 60 levels"));
  // Its bytes are too deep for protobuf's parser, so for the wire walker.
  Instances request;
  *request.mutable_holder() = built;
  std::string args;
  oslo::PyJsonWriter args_writer(&args);
  const absl::Status wire = WriteArgsFromWire(
      *Instances::descriptor(), request.SerializeAsString(), {}, &args_writer);
  EXPECT_EQ(wire.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wire.message()),
              HasSubstr("not a valid tests.objects.Instances"));
  // And the next ones work, as deep as a peer may send.
  const oslo::JsonDocument fine = Json(NestedHolders(20));
  ASSERT_TRUE(ReadResultBoth(fine, &holder).ok());
  int levels = 0;
  for (const Holder* h = &holder; h->has_child(); h = &h->child()) ++levels;
  EXPECT_EQ(levels, 19);
  Instances shallow;
  *shallow.mutable_holder() = holder;
  EXPECT_THAT(ArgsBoth(shallow), HasSubstr("\"count\": 1"));
}

TEST(ObjectBadInputTest, SixteenMebibyteObject) {
  Instance instance;
  instance.set_uuid("big");
  instance.set_display_description(std::string(16 << 20, 'x'));
  for (int i = 0; i < 1000; ++i) {
    (*instance.mutable_metadata())[absl::StrCat("key", i)] = "value";
  }
  GetConsoleOutputRequest request;
  *request.mutable_instance() = instance;
  const std::string args = ArgsBoth(request);
  EXPECT_GT(args.size(), size_t{16} << 20);
  GetConsoleOutputRequest back;
  oslo::JsonDocument doc = Json(args);
  ASSERT_TRUE(ReadArgs(doc, &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(back, request));
  ASSERT_TRUE(ReadResultBoth(doc, &back).ok());
  EXPECT_EQ(back.instance().metadata_size(), 1000);
}

}  // namespace
}  // namespace amqp::transcode
