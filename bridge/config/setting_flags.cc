#include "bridge/config/setting_flags.h"

#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace amqp::config {
namespace {

// The values the settings' flags were set to, in order, while recording.
struct Given {
  absl::Mutex mutex;
  bool recording ABSL_GUARDED_BY(mutex) = false;
  std::map<std::string, std::vector<std::string>, std::less<>> values
      ABSL_GUARDED_BY(mutex);
};

Given& GivenValues() {
  static auto* const given = new Given;
  return *given;
}

void SetRecording(bool recording) {
  Given& given = GivenValues();
  absl::MutexLock lock(&given.mutex);
  if (recording) given.values.clear();
  given.recording = recording;
}

}  // namespace

std::vector<char*> ParseCommandLine(int argc, char** argv) {
  SetRecording(true);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  SetRecording(false);
  return positional;
}

void RecordFlag(absl::string_view flag, std::string text) {
  Given& given = GivenValues();
  absl::MutexLock lock(&given.mutex);
  if (!given.recording) return;
  given.values[std::string(flag)].push_back(std::move(text));
}

ConfigOverrides GivenFlags() {
  Given& given = GivenValues();
  absl::MutexLock lock(&given.mutex);
  ConfigOverrides overrides;
  for (const auto& [flag, values] : given.values) {
    const Setting* setting = FindSettingByFlag(flag);
    const bool repeatable =
        setting != nullptr && (setting->value.type == SettingType::kList ||
                               setting->value.type == SettingType::kMap);
    overrides[flag] = repeatable ? absl::StrJoin(values, ",") : values.back();
  }
  return overrides;
}

std::string FlagText(bool value) { return value ? "true" : "false"; }

std::string FlagText(int64_t value) { return absl::StrCat(value); }

std::string FlagText(uint64_t value) { return absl::StrCat(value); }

std::string FlagText(const std::vector<std::string>& value) {
  return absl::StrJoin(value, ",");
}

std::string FlagText(const transport::TransportUrlFlag& value) {
  return value.text;
}

}  // namespace amqp::config
