// The ids oslo messages carry: uuid4 hex, unique across threads.

#include "bridge/oslo/ids.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace amqp::oslo {
namespace {

TEST(IdsTest, Uuid4Format) {
  const std::string hex = NewUuid4Hex();
  ASSERT_EQ(hex.size(), 32u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(hex[12], '4');
  EXPECT_NE(std::string("89ab").find(hex[16]), std::string::npos);
  const std::string dashed = NewUuid4();
  ASSERT_EQ(dashed.size(), 36u);
  for (int i : {8, 13, 18, 23}) EXPECT_EQ(dashed[i], '-') << dashed;
  EXPECT_EQ(dashed[14], '4');
  EXPECT_NE(std::string("89ab").find(dashed[19]), std::string::npos);
}

TEST(IdsTest, UniqueAcrossThreads) {
  std::vector<std::vector<std::string>> ids(4);
  std::vector<std::thread> threads;
  for (auto& out : ids) {
    threads.emplace_back([&out] {
      for (int i = 0; i < 5000; ++i) out.push_back(NewUuid4Hex());
    });
  }
  for (std::thread& t : threads) t.join();
  absl::flat_hash_set<std::string> seen;
  for (const auto& out : ids) seen.insert(out.begin(), out.end());
  EXPECT_EQ(seen.size(), 20000u);
}

}  // namespace
}  // namespace amqp::oslo
