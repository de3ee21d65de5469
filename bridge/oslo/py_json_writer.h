// A writer that reproduces Python's json.dumps() byte for byte, because
// oslo peers encode with jsonutils.dumps() and the vectors show exactly that
// text (", " and ": " separators, ensure_ascii escapes, Python float repr).

#ifndef BRIDGE_OSLO_PY_JSON_WRITER_H_
#define BRIDGE_OSLO_PY_JSON_WRITER_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/json_escape.h"

namespace amqp::oslo {

// A RapidJSON Handler (so `value.Accept(writer)` works) that writes the text
// json.dumps(obj) would produce for the same object. It inserts separators
// itself, so callers may also drive it by hand:
//   writer.StartObject(); writer.Key("a"); writer.Int(1); writer.EndObject();
class PyJsonWriter {
 public:
  using Ch = char;

  // Appends to `*out`, which must outlive the writer. The text reaches
  // `*out` in chunks: all of it once the outermost value is complete
  // (IsComplete()), else when the writer is destroyed.
  explicit PyJsonWriter(std::string* out) : out_(out) {}
  ~PyJsonWriter() { Flush(); }
  PyJsonWriter(const PyJsonWriter&) = delete;
  PyJsonWriter& operator=(const PyJsonWriter&) = delete;

  bool Null();
  bool Bool(bool b);
  bool Int(int i);
  bool Uint(unsigned u);
  bool Int64(int64_t i);
  bool Uint64(uint64_t u);
  bool Double(double d);
  // A number kept as text (kParseNumbersAsStringsFlag): written unchanged.
  bool RawNumber(const char* str, rapidjson::SizeType length, bool copy);
  bool String(const char* str, rapidjson::SizeType length, bool copy);
  bool String(absl::string_view str);
  // A string that json.dumps writes as it is, like PlainKey's keys: an enum
  // value's name, a timestamp's digits.
  bool PlainString(absl::string_view str);
  bool StartObject();
  bool Key(const char* str, rapidjson::SizeType length, bool copy);
  bool Key(absl::string_view key);
  // A key that json.dumps writes as it is (printable ASCII, no quote or
  // backslash), such as a protobuf field name: no escaping to look for.
  bool PlainKey(absl::string_view key);
  bool EndObject(rapidjson::SizeType member_count = 0);
  bool StartArray();
  bool EndArray(rapidjson::SizeType element_count = 0);
  // Splices already-encoded JSON text (e.g. an args object) as one value.
  bool RawValue(absl::string_view json);
  // Splices already-encoded members ("\"a\": 1, \"b\": 2") into the object
  // being written, as if each was a key and its value (e.g. a fixed header).
  bool RawMembers(absl::string_view members);

  // True when every container that was started has been ended.
  bool IsComplete() const { return levels_.empty(); }

 private:
  struct Level {
    bool in_object;
    bool empty = true;
  };
  // Tokens gather in buffer_ and reach *out_ in large appends: appending
  // each short token to the string cost more than writing it.
  static constexpr size_t kBufferBytes = 512;
  // Strings up to this long are copied into buffer_ and scanned for escapes
  // there (AppendString).
  static constexpr size_t kCopiedStringBytes = kBufferBytes / 4;
  // Room after kBufferBytes for that scan's last 16-byte load.
  static constexpr size_t kScanSlackBytes = 16;

  // Writes the separator due before a value (none right after a key).
  void BeforeValue();
  // Inline: called for nearly every token, mostly with a constant size.
  void Append(const char* data, size_t size) {
    if (size > kBufferBytes - buffered_) return AppendLong(data, size);
    json_internal::CopyShort(buffer_ + buffered_, data, size);
    buffered_ += size;
  }
  void Append(absl::string_view text) { Append(text.data(), text.size()); }
  // Append when buffer_ has no room left for `data`.
  void AppendLong(const char* data, size_t size);
  // `text` as a JSON string.
  void AppendString(absl::string_view text);
  // An int64_t or uint64_t in decimal.
  template <typename Integer>
  void AppendInteger(Integer value);
  void Flush();
  // After a value: when it was the outermost one, *out_ gets it all.
  void FlushIfComplete() {
    if (levels_.empty()) Flush();
  }

  std::string* out_;
  // Inline: a writer per call, and most JSON nests only a few levels.
  absl::InlinedVector<Level, 16> levels_;
  bool after_key_ = false;
  size_t buffered_ = 0;
  char buffer_[kBufferBytes + kScanSlackBytes];
};

// Inline, like Append: once or more per value.
inline void PyJsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (levels_.empty()) return;
  Level& level = levels_.back();
  if (!level.empty) Append(", ", 2);
  level.empty = false;
}

// Inline: a call fewer for every string value and key.
inline bool PyJsonWriter::String(absl::string_view str) {
  BeforeValue();
  AppendString(str);
  FlushIfComplete();
  return true;
}

inline bool PyJsonWriter::Key(absl::string_view key) {
  if (levels_.empty() || !levels_.back().in_object || after_key_) return false;
  BeforeValue();
  AppendString(key);
  Append(": ", 2);
  after_key_ = true;
  return true;
}

inline bool PyJsonWriter::PlainString(absl::string_view str) {
  BeforeValue();
  Append("\"", 1);
  Append(str);
  Append("\"", 1);
  FlushIfComplete();
  return true;
}

inline bool PyJsonWriter::PlainKey(absl::string_view key) {
  if (levels_.empty() || !levels_.back().in_object || after_key_) return false;
  Level& level = levels_.back();
  const bool comma = !level.empty;
  level.empty = false;
  // `, "key": ` after one look at the room left, not one per piece: a
  // message writes one for each of its fields.
  if (key.size() + 6 <= kBufferBytes - buffered_) {
    char* p = buffer_ + buffered_;
    std::memcpy(p, ", ", 2);  // written over when no comma is due
    p += comma ? 2 : 0;
    *p++ = '"';
    json_internal::CopyShort(p, key.data(), key.size());
    p += key.size();
    std::memcpy(p, "\": ", 3);
    buffered_ = p + 3 - buffer_;
  } else {
    if (comma) Append(", ", 2);
    Append("\"", 1);
    Append(key);
    Append("\": ", 3);
  }
  after_key_ = true;
  return true;
}

inline bool PyJsonWriter::RawMembers(absl::string_view members) {
  if (levels_.empty() || !levels_.back().in_object || after_key_) return false;
  Level& level = levels_.back();
  if (!level.empty) Append(", ", 2);
  level.empty = false;
  Append(members);
  return true;
}

inline bool PyJsonWriter::StartObject() {
  BeforeValue();
  Append("{", 1);
  levels_.push_back({/*in_object=*/true});
  return true;
}

inline bool PyJsonWriter::EndObject(rapidjson::SizeType /*member_count*/) {
  if (levels_.empty() || !levels_.back().in_object || after_key_) return false;
  levels_.pop_back();
  Append("}", 1);
  FlushIfComplete();
  return true;
}

inline bool PyJsonWriter::StartArray() {
  BeforeValue();
  Append("[", 1);
  levels_.push_back({/*in_object=*/false});
  return true;
}

inline bool PyJsonWriter::EndArray(rapidjson::SizeType /*element_count*/) {
  if (levels_.empty() || levels_.back().in_object) return false;
  levels_.pop_back();
  Append("]", 1);
  FlushIfComplete();
  return true;
}

// json.dumps(value) for a RapidJSON value.
std::string ToPyJson(const rapidjson::Value& value);

}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_PY_JSON_WRITER_H_
