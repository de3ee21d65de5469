#include "bridge/config/oslo_ini.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace amqp::config {
namespace {

// Python's str.isspace() for ASCII: what strip(), lstrip() and rstrip() drop.
bool IsPySpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

absl::string_view PyRstrip(absl::string_view s) {
  while (!s.empty() && IsPySpace(s.back())) s.remove_suffix(1);
  return s;
}

absl::string_view PyLstrip(absl::string_view s) {
  while (!s.empty() && IsPySpace(s.front())) s.remove_prefix(1);
  return s;
}

absl::string_view PyStrip(absl::string_view s) { return PyLstrip(PyRstrip(s)); }

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what));
}

// oslo_config.cfg._normalize_group_name.
std::string NormalizeSection(absl::string_view name) {
  if (name == "DEFAULT") return std::string(name);
  return absl::AsciiStrToLower(name);
}

// Collects the lines of one assignment until it is complete.
struct PendingAssignment {
  std::string key;
  std::vector<absl::string_view> lines;
  int line = 0;
};

}  // namespace

absl::StatusOr<std::vector<IniEntry>> ParseOsloIni(absl::string_view text) {
  // A UTF-8 byte order mark, as editors on Windows write it.
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");

  std::vector<IniEntry> entries;
  std::optional<std::string> section;
  std::optional<PendingAssignment> pending;

  auto flush = [&]() -> absl::Status {
    if (!pending.has_value()) return absl::OkStatus();
    if (!section.has_value()) {
      return LineError(pending->line,
                       "section must be started before assignment");
    }
    entries.push_back(IniEntry{*section, std::move(pending->key),
                               absl::StrJoin(pending->lines, "\n"),
                               pending->line});
    pending.reset();
    return absl::OkStatus();
  };

  int number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++number;
    const absl::string_view line = PyRstrip(raw);
    if (line.empty()) {
      // A blank line ends a multi-line value.
      if (absl::Status s = flush(); !s.ok()) return s;
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (!pending.has_value()) {
        return LineError(number, "unexpected continuation line");
      }
      pending->lines.push_back(PyLstrip(line));
      continue;
    }
    if (absl::Status s = flush(); !s.ok()) return s;

    if (line.front() == '[') {
      if (line.back() != ']') {
        return LineError(number, "invalid section (must end with ])");
      }
      if (line.size() <= 2) return LineError(number, "empty section name");
      section = NormalizeSection(line.substr(1, line.size() - 2));
    } else if (line.front() == '#' || line.front() == ';') {
      continue;
    } else {
      const size_t colon = line.find(':');
      const size_t equal = line.find('=');
      if (colon == absl::string_view::npos &&
          equal == absl::string_view::npos) {
        return LineError(number, "no ':' or '=' found in assignment");
      }
      const size_t split = (colon == absl::string_view::npos ||
                            (equal != absl::string_view::npos && equal < colon))
                               ? equal
                               : colon;
      const absl::string_view key = PyStrip(line.substr(0, split));
      absl::string_view value = PyStrip(line.substr(split + 1));
      if (!value.empty() && value.front() == value.back() &&
          (value.front() == '"' || value.front() == '\'')) {
        value = value.size() == 1 ? absl::string_view()
                                  : value.substr(1, value.size() - 2);
      }
      if (key.empty()) return LineError(number, "key cannot be empty");
      pending = PendingAssignment{std::string(key), {value}, number};
    }
  }
  if (absl::Status s = flush(); !s.ok()) return s;
  return entries;
}

absl::StatusOr<std::vector<IniEntry>> ReadOsloIniFile(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
      std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    const int error = errno;
    return absl::ErrnoToStatus(error,
                               absl::StrCat("cannot open config file ", path));
  }
  std::string text;
  char buffer[64 * 1024];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    text.append(buffer, read);
    if (text.size() > kMaxIniFileBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("config file ", path, " is larger than ",
                       kMaxIniFileBytes, " bytes"));
    }
  }
  if (std::ferror(file.get())) {
    const int error = errno;
    return absl::ErrnoToStatus(error,
                               absl::StrCat("cannot read config file ", path));
  }
  absl::StatusOr<std::vector<IniEntry>> entries = ParseOsloIni(text);
  if (!entries.ok()) {
    // "line N: ..." becomes "path:N: ...", the form editors jump to.
    absl::string_view message = entries.status().message();
    absl::ConsumePrefix(&message, "line ");
    return absl::InvalidArgumentError(absl::StrCat(path, ":", message));
  }
  return entries;
}

absl::StatusOr<std::string> UnescapeOsloValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '$' || i + 1 == value.size()) {
      out.push_back(value[i]);
      continue;
    }
    const char next = value[i + 1];
    if (next == '$') {
      out.push_back('$');
      ++i;
    } else if (next == '{' || next == '_' || absl::ascii_isalpha(next)) {
      // string.Template's placeholder syntax: oslo would substitute here.
      return absl::InvalidArgumentError(
          "'$' starts an oslo.config substitution, which is not supported: "
          "write '$$' for a literal '$'");
    } else {
      out.push_back('$');
    }
  }
  return out;
}

}  // namespace amqp::config
