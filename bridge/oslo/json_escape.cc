#include "bridge/oslo/json_escape.h"

namespace amqp::oslo {
namespace {

using json_internal::EndOfPlainRun;
using json_internal::IsPlain;

constexpr char kHex[] = "0123456789abcdef";

void AppendU16(uint32_t unit, std::string* out) {
  char buf[6] = {'\\',
                 'u',
                 kHex[(unit >> 12) & 0xf],
                 kHex[(unit >> 8) & 0xf],
                 kHex[(unit >> 4) & 0xf],
                 kHex[unit & 0xf]};
  out->append(buf, sizeof(buf));
}

// Decodes one UTF-8 sequence at s[*i], advancing *i. Returns 0xFFFD for
// malformed input (one byte consumed). Encoded surrogates (ED A0..BF xx) are
// accepted, because RapidJSON stores a lone "\udc00" escape that way and
// Python round-trips lone surrogates (but see the caller for high ones).
uint32_t DecodeUtf8(absl::string_view s, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(*i);
  int len;
  uint32_t cp;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    ++*i;
    return 0xfffd;
  }
  if (*i + len > s.size()) {
    ++*i;
    return 0xfffd;
  }
  for (int k = 1; k < len; ++k) {
    const uint8_t b = byte(*i + k);
    if ((b & 0xc0) != 0x80) {
      ++*i;
      return 0xfffd;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  // Overlong forms and code points past U+10FFFF.
  if ((len == 3 && cp < 0x800) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
    ++*i;
    return 0xfffd;
  }
  *i += len;
  return cp;
}

}  // namespace

void AppendPyJsonString(absl::string_view utf8, std::string* out) {
  out->reserve(out->size() + utf8.size() + 2);
  out->push_back('"');
  size_t i = 0;
  while (i < utf8.size()) {
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (IsPlain(c)) {
      // Copy the printable ASCII run in one go: the common case.
      const size_t j = EndOfPlainRun(utf8, i + 1);
      out->append(utf8.data() + i, j - i);
      i = j;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        default:
          AppendU16(c, out);
      }
      ++i;
      continue;
    }
    uint32_t cp = DecodeUtf8(utf8, &i);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      // An encoded high surrogate stays only as the first half of a pair:
      // RapidJSON (unlike Python) refuses "\ud8xx" without a "\udcxx" after
      // it, so a lone one would make text our own parser rejects.
      size_t next = i;
      const uint32_t low = i < utf8.size() ? DecodeUtf8(utf8, &next) : 0;
      if (low < 0xdc00 || low > 0xdfff) cp = 0xfffd;
    }
    if (cp >= 0x10000) {
      const uint32_t v = cp - 0x10000;
      AppendU16(0xd800 | (v >> 10), out);
      AppendU16(0xdc00 | (v & 0x3ff), out);
    } else {
      AppendU16(cp, out);
    }
  }
  out->push_back('"');
}

}  // namespace amqp::oslo
