// AppendPyFloat against Python's repr(float): every golden of
// testdata/float_repr.txt (written by Python) and the format's boundaries.

#include "bridge/oslo/py_float.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tests/oslo/test_util.h"

namespace amqp::oslo {
namespace {

TEST(PyFloatTest, MatchesPythonReprForEveryGolden) {
  const std::string text =
      testing::ReadFileOrDie(testing::TestdataPath("float_repr.txt"));
  int checked = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    ASSERT_EQ(parts.size(), 2u) << line;
    uint64_t bits = 0;
    ASSERT_TRUE(absl::SimpleHexAtoi(parts[0], &bits)) << line;
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    std::string out;
    AppendPyFloat(value, &out);
    EXPECT_EQ(out, parts[1]) << "bits " << parts[0];
    ++checked;
  }
  EXPECT_GT(checked, 800);
}

TEST(PyFloatTest, SpecialValuesAndFormatBoundaries) {
  const auto repr = [](double d) {
    std::string out;
    AppendPyFloat(d, &out);
    return out;
  };
  EXPECT_EQ(repr(1.0), "1.0");
  EXPECT_EQ(repr(1e-07), "1e-07");
  EXPECT_EQ(repr(0.0001), "0.0001");
  EXPECT_EQ(repr(0.00001), "1e-05");
  EXPECT_EQ(repr(1e16), "1e+16");
  EXPECT_EQ(repr(1e15), "1000000000000000.0");
  EXPECT_EQ(repr(1.5e300), "1.5e+300");
  EXPECT_EQ(repr(-0.0), "-0.0");
  EXPECT_EQ(repr(std::nan("")), "NaN");
  EXPECT_EQ(repr(HUGE_VAL), "Infinity");
  EXPECT_EQ(repr(-HUGE_VAL), "-Infinity");
}

}  // namespace
}  // namespace amqp::oslo
