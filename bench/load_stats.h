// What the benchmark load generators report: one JSON line on stdout per
// run, read by bench/run.py. A run is either sequential (one call at a time,
// every latency recorded, for p50/p99) or closed-loop with a fixed number
// of calls in flight for a fixed time (throughput).
//
//   LoadStats stats;
//   stats.Record(absl::Now() - started);  // per call
//   stats.Print("latency", elapsed);

#ifndef BENCH_LOAD_STATS_H_
#define BENCH_LOAD_STATS_H_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace amqp::bench {

class LoadStats {
 public:
  // One successful call and how long it took (sequential runs).
  void Record(absl::Duration latency) {
    latencies_us_.push_back(absl::ToDoubleMicroseconds(latency));
    ++calls_;
  }
  // One successful call whose latency is not kept (throughput runs).
  void Count() { ++calls_; }
  void Error() { ++errors_; }

  int64_t calls() const { return calls_; }
  int64_t errors() const { return errors_; }

  // {"mode": ..., "calls": n, "errors": n, "seconds": s, "throughput": n/s,
  //  "p50_us": ..., "p99_us": ...} (percentiles only when recorded).
  void Print(const std::string& mode, absl::Duration elapsed) {
    const double seconds = absl::ToDoubleSeconds(elapsed);
    std::string line = absl::StrFormat(
        R"({"mode": "%s", "calls": %d, "errors": %d, "seconds": %.3f, )"
        R"("throughput": %.1f)",
        mode, calls_, errors_, seconds, seconds > 0 ? calls_ / seconds : 0.0);
    if (!latencies_us_.empty()) {
      std::sort(latencies_us_.begin(), latencies_us_.end());
      absl::StrAppendFormat(&line,
                            R"(, "p50_us": %.1f, "p99_us": %.1f, )"
                            R"("mean_us": %.1f)",
                            Percentile(0.50), Percentile(0.99), Mean());
    }
    line += "}\n";
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  }

 private:
  // Nearest-rank percentile of the sorted latencies.
  double Percentile(double p) const {
    size_t rank = static_cast<size_t>(p * latencies_us_.size() + 0.5);
    rank = std::clamp<size_t>(rank, 1, latencies_us_.size());
    return latencies_us_[rank - 1];
  }
  double Mean() const {
    double sum = 0;
    for (double v : latencies_us_) sum += v;
    return sum / latencies_us_.size();
  }

  std::vector<double> latencies_us_;
  int64_t calls_ = 0;
  int64_t errors_ = 0;
};

}  // namespace amqp::bench

#endif  // BENCH_LOAD_STATS_H_
