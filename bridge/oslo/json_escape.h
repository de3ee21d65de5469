// How Python's json.dumps (ensure_ascii=True, as oslo's jsonutils.dumps)
// writes a string: the bytes it writes as they are ("plain"), found sixteen
// at a time with SSE2, and the escapes of the rest. PyJsonWriter copies plain
// strings itself with the json_internal helpers, inline because it calls
// them for nearly every string, and hands the others to AppendPyJsonString.

#ifndef BRIDGE_OSLO_JSON_ESCAPE_H_
#define BRIDGE_OSLO_JSON_ESCAPE_H_

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace amqp::oslo {

// Appends `utf8` as a JSON string literal exactly as Python's json.dumps
// writes it (ensure_ascii=True): quotes, \" \\ \n \r \t \b \f, \u00XX for
// other control characters and DEL, \uXXXX (lowercase) for non-ASCII and
// surrogate pairs for astral characters. Invalid UTF-8 becomes \ufffd.
void AppendPyJsonString(absl::string_view utf8, std::string* out);

namespace json_internal {

// Copies `size` bytes, few as a rule, without a call to memcpy: two
// overlapping moves of 8 (or 4) bytes for up to 16.
inline void CopyShort(char* to, const char* from, size_t size) {
  if (size >= 8 && size <= 16) {
    uint64_t head, tail;
    std::memcpy(&head, from, 8);
    std::memcpy(&tail, from + size - 8, 8);
    std::memcpy(to, &head, 8);
    std::memcpy(to + size - 8, &tail, 8);
  } else if (size >= 4 && size < 8) {
    uint32_t head, tail;
    std::memcpy(&head, from, 4);
    std::memcpy(&tail, from + size - 4, 4);
    std::memcpy(to, &head, 4);
    std::memcpy(to + size - 4, &tail, 4);
  } else if (size < 4) {
    for (size_t i = 0; i < size; ++i) to[i] = from[i];
  } else {
    std::memcpy(to, from, size);
  }
}

// Whether json.dumps writes byte `c` as itself: printable ASCII but for the
// quote and the backslash.
inline bool IsPlain(unsigned char c) {
  return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
}

#ifdef __SSE2__
// Bit k set when byte k of `chunk` is not plain.
inline int NotPlainMask(__m128i chunk) {
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i del = _mm_set1_epi8(0x7f);
  // Signed: bytes >= 0x80 are negative, so "< 0x20" takes them too.
  const __m128i special = _mm_or_si128(
      _mm_or_si128(_mm_cmplt_epi8(chunk, space), _mm_cmpeq_epi8(chunk, del)),
      _mm_or_si128(_mm_cmpeq_epi8(chunk, quote),
                   _mm_cmpeq_epi8(chunk, backslash)));
  return _mm_movemask_epi8(special);
}
#endif

// The index of the first byte at or after `i` that is not plain, or the
// size: sixteen bytes at a time with SSE2 (every x86-64 has it), the last
// few too, as most strings are shorter than sixteen bytes.
inline size_t EndOfPlainRun(absl::string_view s, size_t i) {
#ifdef __SSE2__
  for (; i + 16 <= s.size(); i += 16) {
    const int mask = NotPlainMask(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i)));
    if (mask != 0) return i + __builtin_ctz(mask);
  }
  if (i == s.size()) return i;
  // The rest, in a copy padded with plain bytes: a load past the end of
  // the string could fault.
  char rest[16];
  std::memset(rest, 'a', sizeof(rest));
  // (`& 15`: fewer than 16 are left, which the compiler cannot see.)
  CopyShort(rest, s.data() + i, (s.size() - i) & 15);
  const int mask =
      NotPlainMask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rest)));
  return mask == 0 ? s.size() : i + __builtin_ctz(mask);
#else
  while (i < s.size() && IsPlain(static_cast<unsigned char>(s[i]))) ++i;
  return i;
#endif
}

#ifdef __SSE2__
// Copies `size` bytes from `from` to `to` and tells whether they are all
// plain, sixteen at a time. Up to 15 bytes after to + size must be
// readable: a string under sixteen bytes is scanned with one load there,
// the bytes after it masked off.
inline bool CopyPlain(const char* from, size_t size, char* to) {
  if (size < 16) {
    CopyShort(to, from, size);
    const int mask =
        NotPlainMask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(to)));
    return (mask & ((1 << size) - 1)) == 0;
  }
  int mask = 0;
  size_t i = 0;
  for (; i + 16 <= size; i += 16) {
    const __m128i chunk =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + i), chunk);
    mask |= NotPlainMask(chunk);
  }
  if (i < size) {  // the last sixteen, overlapping those before
    const __m128i chunk =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + size - 16));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + size - 16), chunk);
    mask |= NotPlainMask(chunk);
  }
  return mask == 0;
}
#endif

}  // namespace json_internal
}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_JSON_ESCAPE_H_
