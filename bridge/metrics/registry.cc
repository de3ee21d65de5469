#include "bridge/metrics/registry.h"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace amqp::metrics {
namespace {

bool IsMetricName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == ':';
  });
}

// "__" names are Prometheus's own; "le" is the histogram bucket label.
bool IsLabelName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  if (name.substr(0, 2) == "__" || name == "le") return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

// Whole numbers as integers, others with the digits a double round-trips.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.17g", value);
}

// Nanoseconds as exact decimal seconds.
std::string FormatNanosAsSeconds(int64_t nanos) {
  const char* sign = nanos < 0 ? "-" : "";
  const uint64_t magnitude =
      nanos < 0 ? uint64_t{0} - static_cast<uint64_t>(nanos) : nanos;
  return absl::StrFormat("%s%d.%09d", sign, magnitude / 1000000000,
                         magnitude % 1000000000);
}

// `{a="x",b="y"}` with `extra` (name, value) appended; "" without labels.
std::string LabelText(
    const Labels& labels,
    const std::pair<absl::string_view, std::string>* extra = nullptr) {
  if (labels.empty() && extra == nullptr) return "";
  std::string text = "{";
  const char* separator = "";
  for (const auto& [name, value] : labels) {
    absl::StrAppend(&text, separator, name, "=\"", EscapeLabelValue(value),
                    "\"");
    separator = ",";
  }
  if (extra != nullptr) {
    absl::StrAppend(&text, separator, extra->first, "=\"",
                    EscapeLabelValue(extra->second), "\"");
  }
  text += "}";
  return text;
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Histogram::Histogram(std::vector<absl::Duration> bounds)
    : bounds_(std::move(bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  CHECK(std::is_sorted(bounds_.begin(), bounds_.end()) &&
        std::adjacent_find(bounds_.begin(), bounds_.end()) == bounds_.end())
      << "histogram bounds must ascend";
  for (const absl::Duration bound : bounds_) {
    bound_nanos_.push_back(absl::ToInt64Nanoseconds(bound));
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::Observe(absl::Duration duration) {
  const int64_t nanos = absl::ToInt64Nanoseconds(duration);
  // A bucket counts what is <= its bound (Prometheus's "le").
  const size_t bucket =
      std::lower_bound(bound_nanos_.begin(), bound_nanos_.end(), nanos) -
      bound_nanos_.begin();
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(nanos, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  for (size_t i = 0; i < counts.size(); ++i) {
    counts[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  return counts;
}

uint64_t Histogram::count() const {
  uint64_t total = 0;
  for (const uint64_t n : BucketCounts()) total += n;
  return total;
}

std::vector<absl::Duration> DefaultLatencyBounds() {
  return {
      absl::Microseconds(500), absl::Milliseconds(1),   absl::Milliseconds(2.5),
      absl::Milliseconds(5),   absl::Milliseconds(10),  absl::Milliseconds(25),
      absl::Milliseconds(50),  absl::Milliseconds(100), absl::Milliseconds(250),
      absl::Milliseconds(500), absl::Seconds(1),        absl::Seconds(2.5),
      absl::Seconds(5),        absl::Seconds(10),       absl::Seconds(30),
      absl::Seconds(60)};
}

Registry::Series* Registry::FindOrAdd(absl::string_view name,
                                      absl::string_view help, Type type,
                                      const Labels& labels, bool* added) {
  CHECK(IsMetricName(name)) << "bad metric name '" << name << "'";
  CHECK(type != Type::kCounter || absl::EndsWith(name, "_total"))
      << "counter " << name << " must end in _total";
  for (const auto& label : labels) {
    CHECK(IsLabelName(label.first))
        << name << ": bad label name '" << label.first << "'";
  }
  Family*& family = by_name_[name];
  if (family == nullptr) {
    families_.push_back(std::make_unique<Family>(
        Family{std::string(name), std::string(help), type, {}}));
    family = families_.back().get();
  }
  CHECK(family->type == type) << name << " registered with two types";
  for (Series& series : family->series) {
    if (series.labels == labels) {
      *added = false;
      return &series;
    }
  }
  CHECK(family->series.empty() ||
        family->series.front().labels.size() == labels.size())
      << name << ": every series needs the same label names";
  family->series.push_back(Series{labels});
  *added = true;
  return &family->series.back();
}

Counter* Registry::AddCounter(absl::string_view name, absl::string_view help,
                              const Labels& labels) {
  absl::MutexLock lock(&mu_);
  bool added = false;
  Series* series = FindOrAdd(name, help, Type::kCounter, labels, &added);
  if (added) series->counter = &counters_.emplace_back();
  CHECK(series->counter != nullptr) << name << " is read by a function";
  return series->counter;
}

Gauge* Registry::AddGauge(absl::string_view name, absl::string_view help,
                          const Labels& labels) {
  absl::MutexLock lock(&mu_);
  bool added = false;
  Series* series = FindOrAdd(name, help, Type::kGauge, labels, &added);
  if (added) series->gauge = &gauges_.emplace_back();
  CHECK(series->gauge != nullptr) << name << " is read by a function";
  return series->gauge;
}

Histogram* Registry::AddHistogram(absl::string_view name,
                                  absl::string_view help,
                                  const std::vector<absl::Duration>& bounds,
                                  const Labels& labels) {
  absl::MutexLock lock(&mu_);
  bool added = false;
  Series* series = FindOrAdd(name, help, Type::kHistogram, labels, &added);
  if (added) series->histogram = &histograms_.emplace_back(bounds);
  CHECK(series->histogram->bounds() == bounds)
      << name << ": one family, one set of bounds";
  return series->histogram;
}

void Registry::AddCounterFunction(absl::string_view name,
                                  absl::string_view help, const Labels& labels,
                                  std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  bool added = false;
  Series* series = FindOrAdd(name, help, Type::kCounter, labels, &added);
  CHECK(added) << name << ": a series added twice";
  series->read = std::move(read);
}

void Registry::AddGaugeFunction(absl::string_view name, absl::string_view help,
                                const Labels& labels,
                                std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  bool added = false;
  Series* series = FindOrAdd(name, help, Type::kGauge, labels, &added);
  CHECK(added) << name << ": a series added twice";
  series->read = std::move(read);
}

std::string Registry::Text() const {
  absl::MutexLock lock(&mu_);
  std::string text;
  for (const std::unique_ptr<Family>& family : families_) {
    const char* type = family->type == Type::kCounter ? "counter"
                       : family->type == Type::kGauge ? "gauge"
                                                      : "histogram";
    absl::StrAppend(&text, "# HELP ", family->name, " ",
                    EscapeHelp(family->help), "\n# TYPE ", family->name, " ",
                    type, "\n");
    for (const Series& series : family->series) {
      if (series.histogram != nullptr) {
        const Histogram& histogram = *series.histogram;
        const std::vector<uint64_t> counts = histogram.BucketCounts();
        uint64_t cumulative = 0;
        for (size_t i = 0; i < counts.size(); ++i) {
          cumulative += counts[i];
          const std::pair<absl::string_view, std::string> le{
              "le",
              i < histogram.bounds().size()
                  ? FormatValue(absl::ToDoubleSeconds(histogram.bounds()[i]))
                  : "+Inf"};
          absl::StrAppend(&text, family->name, "_bucket",
                          LabelText(series.labels, &le), " ", cumulative, "\n");
        }
        const std::string labels = LabelText(series.labels);
        absl::StrAppend(&text, family->name, "_sum", labels, " ",
                        FormatNanosAsSeconds(histogram.sum_nanos()), "\n",
                        family->name, "_count", labels, " ", cumulative, "\n");
        continue;
      }
      const std::string value =
          series.counter != nullptr ? absl::StrCat(series.counter->value())
          : series.gauge != nullptr ? absl::StrCat(series.gauge->value())
                                    : FormatValue(series.read());
      absl::StrAppend(&text, family->name, LabelText(series.labels), " ", value,
                      "\n");
    }
  }
  return text;
}

}  // namespace amqp::metrics
