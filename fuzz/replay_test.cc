// Replays a fuzz target's seed corpus and its kept crash inputs through
// LLVMFuzzerTestOneInput, in the normal build (GCC, or --config=asan), so
// every `bazel test //...` re-checks them. Arguments: directories, relative
// to the workspace root in the runfiles; missing ones count as empty.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string>* directories = nullptr;

std::filesystem::path Runfile(const std::string& relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return relative;
  return std::filesystem::path(srcdir) / workspace / relative;
}

TEST(FuzzReplay, EveryInputRunsClean) {
  ASSERT_FALSE(directories->empty()) << "no corpus directories given";
  int replayed = 0;
  for (const std::string& directory : *directories) {
    const std::filesystem::path root = Runfile(directory);
    if (!std::filesystem::is_directory(root)) continue;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(root)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const std::filesystem::path& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
      // A crash aborts the test binary; this line in test.log names the file.
      std::fprintf(stderr, "replaying %s/%s\n", directory.c_str(),
                   file.filename().c_str());
      EXPECT_EQ(LLVMFuzzerTestOneInput(bytes.data(), bytes.size()), 0);
      ++replayed;
    }
  }
  EXPECT_GT(replayed, 0) << "no inputs found";
  std::fprintf(stderr, "replayed %d inputs\n", replayed);
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  directories = new std::vector<std::string>(argv + 1, argv + argc);
  return RUN_ALL_TESTS();
}
