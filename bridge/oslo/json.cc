#include "bridge/oslo/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace amqp::oslo {
namespace {

// NaN/Infinity because Python emits and accepts them; iterative so that deep
// input cannot exhaust the stack before the depth check fires. Numbers come
// as text and DepthLimiter converts them (see RawNumber): RapidJSON 1.1.0's
// own full-precision conversion returns garbage for a zero significand with a
// large exponent ("0e99" became 6.5e+296).
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag |
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNanAndInfFlag;
// For text that is all ASCII, which is always valid UTF-8: oslo peers write
// JSON with ensure_ascii, and validating byte by byte cost more than the
// rest of the parse.
constexpr unsigned kAsciiParseFlags =
    kParseFlags & ~rapidjson::kParseValidateEncodingFlag;

// Whether no byte of `text` has its high bit set, eight at a time.
bool IsAscii(absl::string_view text) {
  constexpr uint64_t kHighBits = 0x8080808080808080;
  const char* p = text.data();
  const char* const end = p + text.size();
  uint64_t seen = 0;
  for (; end - p >= 8; p += 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    seen |= word;
  }
  for (; p < end; ++p) seen |= static_cast<uint8_t>(*p);
  return (seen & kHighBits) == 0;
}

// Forwards SAX events to `Handler`, refusing to open container number
// max_depth + 1, and turns number text into the value Python's json.loads
// gives (correctly rounded floats, so re-encoding gives Python's repr back).
template <typename Handler>
class DepthLimiter {
 public:
  using Ch = char;
  DepthLimiter(Handler& handler, int max_depth)
      : handler_(handler), max_depth_(max_depth) {}

  bool exceeded() const { return exceeded_; }

  bool Null() { return handler_.Null(); }
  bool Bool(bool b) { return handler_.Bool(b); }
  bool Int(int i) { return handler_.Int(i); }
  bool Uint(unsigned u) { return handler_.Uint(u); }
  bool Int64(int64_t i) { return handler_.Int64(i); }
  bool Uint64(uint64_t u) { return handler_.Uint64(u); }
  bool Double(double d) { return handler_.Double(d); }
  // RapidJSON has checked the syntax: -?int[.frac][e[+-]exp], NaN, Infinity
  // or -Infinity. Integers are integers while they fit 64 bits, as RapidJSON
  // types them; beyond, and with a fraction or exponent, they are doubles.
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool /*copy*/) {
    const absl::string_view text(s, n);
    if (text.find_first_of(".eEIN") == absl::string_view::npos) {
      if (text[0] == '-') {
        int64_t i;
        if (absl::SimpleAtoi(text, &i)) return handler_.Int64(i);
      } else {
        uint64_t u;
        if (absl::SimpleAtoi(text, &u)) return handler_.Uint64(u);
      }
    }
    // Overflow gives +-Infinity and underflow +-0.0, as in Python.
    double d;
    if (!absl::SimpleAtod(text, &d)) return false;
    return handler_.Double(d);
  }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) {
    return handler_.String(s, n, copy);
  }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) {
    return handler_.Key(s, n, copy);
  }
  bool StartObject() { return Enter() && handler_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return handler_.EndObject(n);
  }
  bool StartArray() { return Enter() && handler_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return handler_.EndArray(n);
  }

 private:
  bool Enter() {
    if (++depth_ > max_depth_) {
      exceeded_ = true;
      return false;
    }
    return true;
  }

  Handler& handler_;
  const int max_depth_;
  int depth_ = 0;
  bool exceeded_ = false;
};

// rapidjson::InsituStringStream that stays inside its NUL-terminated text.
// RapidJSON 1.1.0's UTF-8 validation takes (and writes back) all the
// continuation bytes its lead byte announces without looking for the end, so
// a text ending in a truncated sequence ("...\xef") made it read and write up
// to two bytes past the terminator: past the end of the message body. Here
// Take() stops at the NUL (returning it again, which fails validation), and
// Put() writes only over text already taken, as in-situ output never
// outruns the input otherwise.
struct BoundedInsituStream {
  using Ch = char;

  explicit BoundedInsituStream(Ch* text)
      : src(text), dst(nullptr), head(text) {}

  Ch Peek() const { return *src; }
  Ch Take() { return *src == '\0' ? '\0' : *src++; }
  size_t Tell() const { return static_cast<size_t>(src - head); }

  Ch* PutBegin() { return dst = src; }
  void Put(Ch c) {
    if (dst < src) *dst++ = c;
  }
  size_t PutEnd(Ch* begin) { return static_cast<size_t>(dst - begin); }
  void Flush() {}

  Ch* src;
  Ch* dst;
  Ch* head;
};

}  // namespace
}  // namespace amqp::oslo

// Like InsituStringStream's: the reader works on a copy of the stream, and
// in-situ numbers depend on that (it takes their start from the original).
template <>
struct rapidjson::StreamTraits<amqp::oslo::BoundedInsituStream> {
  enum { copyOptimization = 1 };
};

namespace amqp::oslo {
namespace {

template <unsigned kFlags, typename Stream>
absl::Status ParseStream(Stream& stream, JsonDocument* doc, int max_depth) {
  rapidjson::ParseResult result;
  bool too_deep = false;
  auto generator = [&](JsonDocument& handler) {
    DepthLimiter<JsonDocument> limiter(handler, max_depth);
    rapidjson::Reader reader;
    result = reader.Parse<kFlags>(stream, limiter);
    too_deep = limiter.exceeded();
    return !result.IsError();
  };
  doc->Populate(generator);
  if (!result.IsError()) return absl::OkStatus();
  doc->SetNull();
  if (too_deep) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON nested deeper than ", max_depth,
                     " levels at offset ", result.Offset()));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid JSON at offset ", result.Offset(), ": ",
                   rapidjson::GetParseError_En(result.Code())));
}

constexpr char kHex[] = "0123456789abcdef";

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
size_t EndOfPlainRun(absl::string_view s, size_t i) {
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
  json_internal::CopyShort(rest, s.data() + i, (s.size() - i) & 15);
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
bool CopyPlain(const char* from, size_t size, char* to) {
  if (size < 16) {
    json_internal::CopyShort(to, from, size);
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

JsonDocument NewJsonDocument() { return JsonDocument(); }

absl::Status ParseJson(absl::string_view text, JsonDocument* doc,
                       int max_depth) {
  rapidjson::MemoryStream stream(text.data(), text.size());
  if (IsAscii(text)) {
    return ParseStream<kAsciiParseFlags>(stream, doc, max_depth);
  }
  return ParseStream<kParseFlags>(stream, doc, max_depth);
}

absl::Status ParseJsonInsitu(char* text, JsonDocument* doc, int max_depth) {
  if (IsAscii(text)) {
    // No UTF-8 validation, which BoundedInsituStream is for: RapidJSON's
    // own stream, whose strings and whitespace it scans sixteen bytes at a
    // time (SSE2), reading up to kInsituPadding bytes past the NUL.
    rapidjson::InsituStringStream stream(text);
    return ParseStream<kAsciiParseFlags | rapidjson::kParseInsituFlag>(
        stream, doc, max_depth);
  }
  BoundedInsituStream stream(text);
  return ParseStream<kParseFlags | rapidjson::kParseInsituFlag>(stream, doc,
                                                                max_depth);
}

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

void AppendPyFloat(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "Infinity" : "-Infinity");
    return;
  }
  // std::to_chars gives the shortest round-trip digits, nearest to the exact
  // value on ties, like Python's repr (David Gay's dtoa mode 0).
  char buf[64];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), value,
                                               std::chars_format::scientific);
  const absl::string_view sci(buf, r.ptr - buf);  // e.g. "-1.2345e-07"
  size_t pos = 0;
  if (sci[0] == '-') {
    out->push_back('-');
    pos = 1;
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (size_t k = pos; k < e; ++k) {
    if (sci[k] != '.') digits.push_back(sci[k]);
  }
  const int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
  // Python's decpt: the decimal point goes after this many digits.
  const int decpt = exponent + 1;
  const int n = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out->append("0.");
      out->append(-decpt, '0');
      out->append(digits);
    } else if (decpt >= n) {
      out->append(digits);
      out->append(decpt - n, '0');
      out->append(".0");
    } else {
      out->append(digits, 0, decpt);
      out->push_back('.');
      out->append(digits, decpt, std::string::npos);
    }
    return;
  }
  out->push_back(digits[0]);
  if (n > 1) {
    out->push_back('.');
    out->append(digits, 1, std::string::npos);
  }
  const int magnitude = std::abs(exponent);
  absl::StrAppend(out, "e", exponent < 0 ? "-" : "+", magnitude < 10 ? "0" : "",
                  magnitude);
}

void PyJsonWriter::AppendLong(const char* data, size_t size) {
  Flush();
  if (size > kBufferBytes / 2) {
    out_->append(data, size);
    return;
  }
  json_internal::CopyShort(buffer_, data, size);
  buffered_ = size;
}

template <typename Integer>
void PyJsonWriter::AppendInteger(Integer value) {
  // Straight into buffer_, not through a buffer of its own and a copy.
  constexpr size_t kMaxDigits = 20;  // and a sign
  if (kMaxDigits + 1 > kBufferBytes - buffered_) Flush();
  char* const at = buffer_ + buffered_;
  buffered_ = std::to_chars(at, at + kMaxDigits + 1, value).ptr - buffer_;
}

void PyJsonWriter::Flush() {
  if (buffered_ == 0) return;
  out_->append(buffer_, buffered_);
  buffered_ = 0;
}

void PyJsonWriter::AppendString(absl::string_view text) {
#ifdef __SSE2__
  // Most strings are short and plain: copied where they go and scanned
  // there, one pass, its loads inside buffer_ (kScanSlackBytes).
  if (text.size() <= kCopiedStringBytes) {
    if (text.size() + 2 > kBufferBytes - buffered_) Flush();
    char* const quoted = buffer_ + buffered_;
    if (!CopyPlain(text.data(), text.size(), quoted + 1)) {
      // It has a byte to escape (the copy saw it: no second scan).
      Flush();
      AppendPyJsonString(text, out_);
      return;
    }
    quoted[0] = '"';
    quoted[text.size() + 1] = '"';
    buffered_ += text.size() + 2;
    return;
  }
#endif
  if (EndOfPlainRun(text, 0) != text.size()) {
    Flush();
    AppendPyJsonString(text, out_);
    return;
  }
  Append("\"", 1);
  Append(text);
  Append("\"", 1);
}

bool PyJsonWriter::Null() {
  BeforeValue();
  Append("null", 4);
  FlushIfComplete();
  return true;
}

bool PyJsonWriter::Bool(bool b) {
  BeforeValue();
  Append(b ? absl::string_view("true") : absl::string_view("false"));
  FlushIfComplete();
  return true;
}

bool PyJsonWriter::Int(int i) { return Int64(i); }

bool PyJsonWriter::Uint(unsigned u) { return Uint64(u); }

bool PyJsonWriter::Int64(int64_t i) {
  BeforeValue();
  AppendInteger(i);
  FlushIfComplete();
  return true;
}

bool PyJsonWriter::Uint64(uint64_t u) {
  BeforeValue();
  AppendInteger(u);
  FlushIfComplete();
  return true;
}

bool PyJsonWriter::Double(double d) {
  BeforeValue();
  Flush();
  AppendPyFloat(d, out_);
  return true;
}

bool PyJsonWriter::RawNumber(const char* str, rapidjson::SizeType length,
                             bool /*copy*/) {
  BeforeValue();
  Append(str, length);
  FlushIfComplete();
  return true;
}

bool PyJsonWriter::String(const char* str, rapidjson::SizeType length,
                          bool /*copy*/) {
  return String(absl::string_view(str, length));
}

bool PyJsonWriter::Key(const char* str, rapidjson::SizeType length,
                       bool /*copy*/) {
  return Key(absl::string_view(str, length));
}

bool PyJsonWriter::RawValue(absl::string_view json) {
  BeforeValue();
  Flush();
  out_->append(json.data(), json.size());
  return true;
}

const rapidjson::Value& JsonNull() {
  static const rapidjson::Value* const kNull = new rapidjson::Value();
  return *kNull;
}

absl::Status WrongFieldType(absl::string_view message_kind,
                            absl::string_view field,
                            const rapidjson::Value& value,
                            absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat(message_kind, " field \"", field, "\" is ",
                   JsonTypeName(value), ", not ", want));
}

const char* JsonTypeName(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "unknown";
}

std::string ToPyJson(const rapidjson::Value& value) {
  std::string out;
  PyJsonWriter writer(&out);
  value.Accept(writer);
  return out;
}

}  // namespace amqp::oslo
