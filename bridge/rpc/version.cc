#include "bridge/rpc/version.h"

#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace amqp::rpc {
namespace {

struct Version {
  int major = 0, minor = 0, revision = 0;
};

std::optional<Version> ParseVersion(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  Version v;
  if (!absl::SimpleAtoi(parts[0], &v.major) ||
      !absl::SimpleAtoi(parts[1], &v.minor) ||
      (parts.size() == 3 && !absl::SimpleAtoi(parts[2], &v.revision))) {
    return std::nullopt;
  }
  return v;
}

// Digits and dots only: what an operator writes as a version number.
bool IsPlainNumber(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(c) && c != '.') return false;
  }
  return !text.empty();
}

}  // namespace

bool VersionIsCompatible(absl::string_view endpoint_version,
                         absl::string_view requested_version) {
  std::optional<Version> have = ParseVersion(endpoint_version);
  std::optional<Version> want = ParseVersion(requested_version);
  if (!have || !want) return false;
  if (have->major != want->major) return false;
  if (want->minor > have->minor) return false;
  return want->minor != have->minor || want->revision <= have->revision;
}

absl::Status VersionCaps::Set(absl::string_view topic, absl::string_view cap) {
  topic = absl::StripAsciiWhitespace(topic);
  cap = absl::StripAsciiWhitespace(cap);
  if (topic.empty()) {
    return absl::InvalidArgumentError("a version cap needs a topic");
  }
  if (cap.empty()) {
    caps_.erase(std::string(topic));
    return absl::OkStatus();
  }
  if (!IsPlainNumber(cap)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", cap,
        "' is a release alias or not a version; give the version number it "
        "stands for, e.g. 6.0 (aliases live in each service's Python code)"));
  }
  if (!ParseVersion(cap).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", cap, "' is not a version: write it as major.minor, e.g. 6.0"));
  }
  caps_[std::string(topic)] = std::string(cap);
  return absl::OkStatus();
}

absl::Status VersionCaps::SetFromList(absl::string_view list) {
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(entry, absl::MaxSplits('=', 1));
    if (entry.find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", entry, "' is not <topic>=<version>, e.g. compute=5.0"));
    }
    if (absl::Status s = Set(kv.first, kv.second); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          absl::StripAsciiWhitespace(kv.first), ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> VersionCaps::CapFor(absl::string_view topic) const {
  auto it = caps_.find(topic);
  if (it == caps_.end()) return std::nullopt;
  return it->second;
}

bool VersionCaps::CanSendVersion(absl::string_view topic,
                                 absl::string_view version) const {
  auto it = caps_.find(topic);
  return it == caps_.end() || VersionIsCompatible(it->second, version);
}

absl::StatusOr<std::string> VersionCaps::Choose(
    absl::string_view topic, absl::string_view method,
    absl::string_view version, absl::string_view fallback) const {
  if (CanSendVersion(topic, version)) return std::string(version);
  if (!fallback.empty() && CanSendVersion(topic, fallback)) {
    return std::string(fallback);
  }
  absl::Status status = absl::FailedPreconditionError(absl::StrCat(
      "'", method, "' needs version ", version.empty() ? "(none)" : version,
      fallback.empty() ? "" : absl::StrCat(" (or its fallback ", fallback, ")"),
      " but topic '", topic, "' is capped at ", *CapFor(topic),
      " (version cap); nothing was sent"));
  status.SetPayload(kErrorReasonPayloadUrl, absl::Cord(kVersionCappedReason));
  return status;
}

std::string VersionCaps::Describe() const {
  if (caps_.empty()) return "(none)";
  return absl::StrJoin(caps_, ",", absl::PairFormatter("="));
}

}  // namespace amqp::rpc
