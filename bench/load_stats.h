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
#include <iterator>
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
  // Any call that ended during the whole run, warm-up and tail included:
  // bench/run.py divides the peers' CPU time over the run by it.
  void Ended() { ++all_calls_; }

  int64_t calls() const { return calls_; }
  int64_t errors() const { return errors_; }

  // {"mode": ..., "calls": n, "errors": n, "seconds": s, "throughput": n/s,
  //  "all_calls": n, "p50_us": ..., "p99_us": ..., "quantiles_us": [...]}
  // (percentiles only when recorded; the quantiles at kQuantiles draw the
  // latency distribution in bench/results/latest.svg).
  void Print(const std::string& mode, absl::Duration elapsed) {
    const double seconds = absl::ToDoubleSeconds(elapsed);
    std::string line = absl::StrFormat(
        R"({"mode": "%s", "calls": %d, "errors": %d, "seconds": %.3f, )"
        R"("throughput": %.1f, "all_calls": %d)",
        mode, calls_, errors_, seconds, seconds > 0 ? calls_ / seconds : 0.0,
        all_calls_);
    if (!latencies_us_.empty()) {
      std::sort(latencies_us_.begin(), latencies_us_.end());
      absl::StrAppendFormat(&line,
                            R"(, "p50_us": %.1f, "p99_us": %.1f, )"
                            R"("mean_us": %.1f)",
                            Percentile(0.50), Percentile(0.99), Mean());
      line += R"(, "quantiles_us": [)";
      for (size_t i = 0; i < std::size(kQuantiles); ++i) {
        absl::StrAppendFormat(&line, "%s%.1f", i ? ", " : "",
                              Percentile(kQuantiles[i]));
      }
      line += "]";
    }
    line += "}\n";
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  }

 private:
  // The same list as QUANTILES in bench/run.py.
  static constexpr double kQuantiles[] = {0.001, 0.01, 0.05, 0.1,  0.2,
                                          0.3,   0.4,  0.5,  0.6,  0.7,
                                          0.8,   0.9,  0.95, 0.99, 0.999};

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
  int64_t all_calls_ = 0;
};

}  // namespace amqp::bench

#endif  // BENCH_LOAD_STATS_H_
