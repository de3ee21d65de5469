#include "bridge/oslo/py_json_writer.h"

#include <charconv>

#include "bridge/oslo/py_float.h"

namespace amqp::oslo {

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
    if (!json_internal::CopyPlain(text.data(), text.size(), quoted + 1)) {
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
  if (json_internal::EndOfPlainRun(text, 0) != text.size()) {
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

std::string ToPyJson(const rapidjson::Value& value) {
  std::string out;
  PyJsonWriter writer(&out);
  value.Accept(writer);
  return out;
}

}  // namespace amqp::oslo
