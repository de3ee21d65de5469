#include "bridge/oslo/json_parse.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstdint>
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

// Forwards SAX events to `Handler`, and turns number text into the value
// Python's json.loads gives (correctly rounded floats, so re-encoding gives
// Python's repr back). A container opened below `max_depth` levels either
// fails the parse or, with kPrune, is read on without being forwarded and
// reaches `Handler` as a null.
enum class TooDeep { kFail, kPrune };

template <typename Handler>
class DepthLimiter {
 public:
  using Ch = char;
  DepthLimiter(Handler& handler, int max_depth, TooDeep too_deep)
      : handler_(handler), max_depth_(max_depth), too_deep_(too_deep) {}

  bool exceeded() const { return exceeded_; }

  bool Null() { return skipping() || handler_.Null(); }
  bool Bool(bool b) { return skipping() || handler_.Bool(b); }
  bool Int(int i) { return skipping() || handler_.Int(i); }
  bool Uint(unsigned u) { return skipping() || handler_.Uint(u); }
  bool Int64(int64_t i) { return skipping() || handler_.Int64(i); }
  bool Uint64(uint64_t u) { return skipping() || handler_.Uint64(u); }
  bool Double(double d) { return skipping() || handler_.Double(d); }
  // RapidJSON has checked the syntax: -?int[.frac][e[+-]exp], NaN, Infinity
  // or -Infinity. Integers are integers while they fit 64 bits, as RapidJSON
  // types them; beyond, and with a fraction or exponent, they are doubles.
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool /*copy*/) {
    if (skipping()) return true;
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
    return skipping() || handler_.String(s, n, copy);
  }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) {
    return skipping() || handler_.Key(s, n, copy);
  }
  bool StartObject() {
    return Enter() && (skipping() || handler_.StartObject());
  }
  bool EndObject(rapidjson::SizeType n) {
    return Leave([&] { return handler_.EndObject(n); });
  }
  bool StartArray() { return Enter() && (skipping() || handler_.StartArray()); }
  bool EndArray(rapidjson::SizeType n) {
    return Leave([&] { return handler_.EndArray(n); });
  }

 private:
  bool skipping() const { return depth_ > max_depth_; }

  bool Enter() {
    if (++depth_ > max_depth_) {
      exceeded_ = true;
      return too_deep_ == TooDeep::kPrune;
    }
    return true;
  }
  // Ends a container: `end` forwards its end; a pruned one ends as a null.
  template <typename ForwardEnd>
  bool Leave(ForwardEnd end) {
    const int depth = depth_--;
    if (depth <= max_depth_) return end();
    return depth > max_depth_ + 1 || handler_.Null();
  }

  Handler& handler_;
  const int max_depth_;
  const TooDeep too_deep_;
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
absl::Status ParseStream(Stream& stream, JsonDocument* doc, int max_depth,
                         TooDeep too_deep, bool* exceeded) {
  rapidjson::ParseResult result;
  auto generator = [&](JsonDocument& handler) {
    DepthLimiter<JsonDocument> limiter(handler, max_depth, too_deep);
    rapidjson::Reader reader;
    result = reader.Parse<kFlags>(stream, limiter);
    *exceeded = limiter.exceeded();
    return !result.IsError();
  };
  doc->Populate(generator);
  if (!result.IsError()) return absl::OkStatus();
  doc->SetNull();
  if (*exceeded && too_deep == TooDeep::kFail) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON nested deeper than ", max_depth,
                     " levels at offset ", result.Offset()));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid JSON at offset ", result.Offset(), ": ",
                   rapidjson::GetParseError_En(result.Code())));
}

absl::Status ParseInsitu(char* text, JsonDocument* doc, int max_depth,
                         TooDeep too_deep, bool* exceeded) {
  if (IsAscii(text)) {
    // No UTF-8 validation, which BoundedInsituStream is for: RapidJSON's
    // own stream, whose strings and whitespace it scans sixteen bytes at a
    // time (SSE2), reading up to kInsituPadding bytes past the NUL.
    rapidjson::InsituStringStream stream(text);
    return ParseStream<kAsciiParseFlags | rapidjson::kParseInsituFlag>(
        stream, doc, max_depth, too_deep, exceeded);
  }
  BoundedInsituStream stream(text);
  return ParseStream<kParseFlags | rapidjson::kParseInsituFlag>(
      stream, doc, max_depth, too_deep, exceeded);
}

}  // namespace

JsonDocument NewJsonDocument() { return JsonDocument(); }

absl::Status ParseJson(absl::string_view text, JsonDocument* doc,
                       int max_depth) {
  rapidjson::MemoryStream stream(text.data(), text.size());
  bool exceeded = false;
  if (IsAscii(text)) {
    return ParseStream<kAsciiParseFlags>(stream, doc, max_depth, TooDeep::kFail,
                                         &exceeded);
  }
  return ParseStream<kParseFlags>(stream, doc, max_depth, TooDeep::kFail,
                                  &exceeded);
}

absl::Status ParseJsonInsitu(char* text, JsonDocument* doc, int max_depth) {
  bool exceeded = false;
  return ParseInsitu(text, doc, max_depth, TooDeep::kFail, &exceeded);
}

absl::Status ParseJsonInsituPruning(char* text, JsonDocument* doc, bool* pruned,
                                    int max_depth) {
  return ParseInsitu(text, doc, max_depth, TooDeep::kPrune, pruned);
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

}  // namespace amqp::oslo
