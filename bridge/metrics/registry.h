// Metrics in the Prometheus text exposition format (version 0.0.4): counters,
// gauges and duration histograms whose series are all created at start-up,
// so that recording is one relaxed atomic add, with no lock and no lookup.
//
//   Registry registry;
//   Counter* ok = registry.AddCounter("app_calls_total", "Calls.",
//                                     {{"code", "OK"}});
//   Histogram* latency = registry.AddHistogram(
//       "app_call_duration_seconds", "Call latency.", DefaultLatencyBounds());
//   ok->Add();                                   // on the call path
//   latency->Observe(absl::Milliseconds(3));
//   std::string page = registry.Text();          // what /metrics answers
//
// Values owned elsewhere (a connection's state, a queue's length) are read
// when a scrape asks, through AddCounterFunction/AddGaugeFunction.

#ifndef BRIDGE_METRICS_REGISTRY_H_
#define BRIDGE_METRICS_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace amqp::metrics {

// Label name -> value pairs of one series, in the order they are printed.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A count that only goes up.
class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Durations counted in buckets by upper bound, exposed in seconds. Each
// observation adds to one bucket and to the sum (in nanoseconds, so no
// floating-point compare-and-swap loop); the count is the buckets' total,
// so a scrape always sees _count equal to the +Inf bucket.
class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending; +Inf is implied.
  explicit Histogram(std::vector<absl::Duration> bounds);

  void Observe(absl::Duration duration);

  const std::vector<absl::Duration>& bounds() const { return bounds_; }
  // Observations per bucket (not cumulative), +Inf last.
  std::vector<uint64_t> BucketCounts() const;
  uint64_t count() const;
  int64_t sum_nanos() const {
    return sum_nanos_.load(std::memory_order_relaxed);
  }

 private:
  const std::vector<absl::Duration> bounds_;
  std::vector<int64_t> bound_nanos_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<int64_t> sum_nanos_{0};
};

// Bounds for RPC latencies: 1 ms to 60 s, about 2.5x apart (and 0.5 ms for
// the bridge's own answers).
std::vector<absl::Duration> DefaultLatencyBounds();

// A set of metric families and their series. Series are added at start-up;
// Text() may run concurrently with recording (and with adding, under a
// mutex that recording never takes).
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each adds one series to the family `name` (created by its first series,
  // whose `help` it keeps). The name must be a valid Prometheus metric name
  // of the same type as the family's, counters ending in "_total"; adding a
  // series whose labels the family already has returns that series. A
  // mistake there is a programming error: it aborts.
  Counter* AddCounter(absl::string_view name, absl::string_view help,
                      const Labels& labels = {});
  Gauge* AddGauge(absl::string_view name, absl::string_view help,
                  const Labels& labels = {});
  Histogram* AddHistogram(absl::string_view name, absl::string_view help,
                          const std::vector<absl::Duration>& bounds,
                          const Labels& labels = {});
  // Series whose value `read` returns at each scrape; `read` must be
  // thread-safe and must not block.
  void AddCounterFunction(absl::string_view name, absl::string_view help,
                          const Labels& labels, std::function<double()> read);
  void AddGaugeFunction(absl::string_view name, absl::string_view help,
                        const Labels& labels, std::function<double()> read);

  // Every family in the order of their first series, in the text format.
  std::string Text() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    Labels labels;
    Counter* counter = nullptr;
    Gauge* gauge = nullptr;
    Histogram* histogram = nullptr;
    std::function<double()> read;
  };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::vector<Series> series;
  };

  // The series of `name` with `labels`, added if new (then `*added` is
  // true); checks the name, the labels and the type.
  Series* FindOrAdd(absl::string_view name, absl::string_view help, Type type,
                    const Labels& labels, bool* added)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Family*> by_name_ ABSL_GUARDED_BY(mu_);
  // Stable addresses: recording holds pointers into these.
  std::deque<Counter> counters_ ABSL_GUARDED_BY(mu_);
  std::deque<Gauge> gauges_ ABSL_GUARDED_BY(mu_);
  std::deque<Histogram> histograms_ ABSL_GUARDED_BY(mu_);
};

// Text-format escaping: a label value (backslash, double quote, newline)
// and a HELP text (backslash, newline).
std::string EscapeLabelValue(absl::string_view value);
std::string EscapeHelp(absl::string_view help);

}  // namespace amqp::metrics

#endif  // BRIDGE_METRICS_REGISTRY_H_
