// Reading oslo.config-style INI files exactly the way oslo_config.iniparser
// reads them, so a bridge can share a file with OpenStack services:
//
//   [DEFAULT]
//   transport_url = rabbit://nova:secret@rabbit1:5672/
//   [oslo_messaging_rabbit]
//   heartbeat_timeout_threshold: 30
//   [grpc_amqp_bridge]
//   descriptor_set = /etc/bridge/api.pb
//       /etc/bridge/more.pb        <- continuation line
//
// Rules, as in oslo: '#' and ';' start comment lines (there are no inline
// comments); "key = value" or "key: value", whichever separator comes first;
// one pair of matching quotes around a value is removed; indented lines
// continue the previous value (joined with '\n') until a blank line; section
// names other than DEFAULT are case-insensitive (lowercased); keys are
// case-sensitive; every line may be as long as it likes.
//
// Error messages name the line but never quote it: a line may hold a password.

#ifndef BRIDGE_CONFIG_OSLO_INI_H_
#define BRIDGE_CONFIG_OSLO_INI_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace amqp::config {

// Larger files are refused rather than read into memory.
inline constexpr size_t kMaxIniFileBytes = 1 << 20;

// One assignment, in file order. A key given twice yields two entries: the
// reader decides whether the last wins or the values add up.
struct IniEntry {
  std::string section;  // "DEFAULT", or the section name lowercased
  std::string key;
  std::string value;  // quotes removed, continuation lines joined by '\n'
  int line = 0;       // 1-based line of the key

  friend bool operator==(const IniEntry& a, const IniEntry& b) {
    return a.section == b.section && a.key == b.key && a.value == b.value &&
           a.line == b.line;
  }
};

// Parses INI text. InvalidArgument "line N: <what is wrong>" for a line that
// is neither a section, a comment nor an assignment, an empty key or section
// name, a continuation with nothing to continue, or an assignment before the
// first section.
absl::StatusOr<std::vector<IniEntry>> ParseOsloIni(absl::string_view text);

// Reads and parses the file at `path`. Errors start with the path: the
// errno-derived status (NOT_FOUND, PERMISSION_DENIED...) when it cannot be
// read, InvalidArgument "<path>:<line>: ..." when it cannot be parsed.
absl::StatusOr<std::vector<IniEntry>> ReadOsloIniFile(const std::string& path);

// oslo.config substitutes "$name" and "${group.name}" with other options'
// values in every value it reads; this runtime does not. "$$" becomes "$", a
// '$' not followed by a name or '{' stays, and a reference is
// InvalidArgument (saying to write "$$" for a literal '$') rather than being
// passed on unsubstituted.
absl::StatusOr<std::string> UnescapeOsloValue(absl::string_view value);

}  // namespace amqp::config

#endif  // BRIDGE_CONFIG_OSLO_INI_H_
