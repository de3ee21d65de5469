#include "tests/oslo/test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace amqp::oslo::testing {

std::string TestdataPath(absl::string_view relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                      workspace != nullptr ? workspace : "grpc_amqp_bridge",
                      "/tests/oslo/testdata/", relative);
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> VectorFiles() {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(TestdataPath("vectors"))) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".json")) files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

JsonDocument LoadVector(absl::string_view file_name) {
  JsonDocument doc = NewJsonDocument();
  const std::string text =
      ReadFileOrDie(TestdataPath(absl::StrCat("vectors/", file_name)));
  const absl::Status s = ParseJson(text, &doc);
  EXPECT_TRUE(s.ok()) << file_name << ": " << s;
  return doc;
}

std::string VectorBody(absl::string_view file_name, int index) {
  JsonDocument doc = LoadVector(file_name);
  if (!doc.IsObject() || !doc.HasMember("messages") ||
      static_cast<int>(doc["messages"].Size()) <= index) {
    ADD_FAILURE() << file_name << " has no message " << index;
    return "";
  }
  const rapidjson::Value& body = doc["messages"][index]["body"];
  return std::string(body.GetString(), body.GetStringLength());
}

std::string Reencode(absl::string_view json) {
  JsonDocument doc = NewJsonDocument();
  const absl::Status s = ParseJson(json, &doc);
  EXPECT_TRUE(s.ok()) << s;
  return ToPyJson(doc);
}

std::string ReencodeNotification(const Notification& n) {
  const std::string payload = ToPyJson(n.payload());
  OutgoingNotification out;
  out.message_id = n.message_id();
  out.publisher_id = n.publisher_id();
  out.event_type = n.event_type();
  out.priority = n.priority();
  out.payload_json = payload;
  out.timestamp = n.timestamp();
  out.unique_id = n.unique_id();
  out.context = &n.context();
  out.envelope = n.enveloped();
  return EncodeNotification(out);
}

}  // namespace amqp::oslo::testing
