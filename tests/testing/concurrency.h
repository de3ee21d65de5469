// Counts the tasks running at once and the most that ever did: how tests
// check that a server runs methods one at a time, or no more than a bound.
//
//   testing::Concurrency running;
//   ... running.Enter(); work(); running.Leave(); ...
//   EXPECT_LE(running.max(), 4);

#ifndef TESTS_TESTING_CONCURRENCY_H_
#define TESTS_TESTING_CONCURRENCY_H_

#include <atomic>

namespace amqp::testing {

class Concurrency {
 public:
  void Enter() {
    const int now = running_.fetch_add(1) + 1;
    int seen = max_.load();
    while (now > seen && !max_.compare_exchange_weak(seen, now)) {
    }
  }
  void Leave() { running_.fetch_sub(1); }
  int max() const { return max_.load(); }

 private:
  std::atomic<int> running_{0};
  std::atomic<int> max_{0};
};

}  // namespace amqp::testing

#endif  // TESTS_TESTING_CONCURRENCY_H_
