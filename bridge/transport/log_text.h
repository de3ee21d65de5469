// Text from the wire (queue names, method names, decoder errors that quote
// the message) made safe for one log line: control characters become \xNN,
// so a newline in a message cannot forge a second log line, and long text is
// cut so one message cannot write megabytes of log.

#ifndef BRIDGE_TRANSPORT_LOG_TEXT_H_
#define BRIDGE_TRANSPORT_LOG_TEXT_H_

#include <algorithm>
#include <cstddef>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace amqp::transport {

inline std::string LogText(absl::string_view text, size_t max_bytes = 512) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max_bytes) {
      absl::StrAppendFormat(&out, "...(%d bytes)", text.size());
      break;
    }
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", byte);
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace amqp::transport

#endif  // BRIDGE_TRANSPORT_LOG_TEXT_H_
