// Writes test INI files under TEST_TMPDIR for the config tests.

#ifndef TESTS_CONFIG_TEST_FILES_H_
#define TESTS_CONFIG_TEST_FILES_H_

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace amqp::config {

// Writes `text` to TEST_TMPDIR/`name` (gtest's TempDir()) and returns the path.
inline std::string WriteTestFile(absl::string_view name,
                                 absl::string_view text) {
  const std::string path = absl::StrCat(::testing::TempDir(), name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  EXPECT_TRUE(out.good()) << "cannot write " << path;
  return path;
}

}  // namespace amqp::config

#endif  // TESTS_CONFIG_TEST_FILES_H_
