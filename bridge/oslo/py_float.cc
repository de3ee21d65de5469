#include "bridge/oslo/py_float.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace amqp::oslo {

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

}  // namespace amqp::oslo
