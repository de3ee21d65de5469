#include "bridge/reverse/backend_spec.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace amqp::reverse {
namespace {

bool HasBlank(absl::string_view text) {
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<BackendSpec> ParseBackendSpec(absl::string_view entry) {
  entry = absl::StripAsciiWhitespace(entry);
  const size_t eq = entry.find('=');
  if (eq == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backend '", entry, "': want <package.Service>=<host:port>"));
  }
  BackendSpec spec{
      std::string(absl::StripAsciiWhitespace(entry.substr(0, eq))),
      std::string(absl::StripAsciiWhitespace(entry.substr(eq + 1)))};
  if (spec.service.empty() || spec.address.empty() || HasBlank(spec.service) ||
      HasBlank(spec.address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backend '", entry, "': want <package.Service>=<host:port>"));
  }
  return spec;
}

absl::StatusOr<std::vector<BackendSpec>> ParseBackendSpecs(
    const std::vector<std::string>& entries) {
  std::vector<BackendSpec> specs;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& entry : entries) {
    absl::StatusOr<BackendSpec> spec = ParseBackendSpec(entry);
    if (!spec.ok()) return spec.status();
    if (!seen.insert(spec->service).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "backend for ", spec->service, " given twice (one per service)"));
    }
    specs.push_back(*std::move(spec));
  }
  return specs;
}

}  // namespace amqp::reverse
