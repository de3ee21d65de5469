#include "bridge/metrics/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace amqp::metrics {
namespace {

using ::testing::HasSubstr;

TEST(RegistryTest, CountersAndGaugesInTextFormat) {
  Registry registry;
  Counter* ok = registry.AddCounter("app_calls_total", "Calls.",
                                    {{"method", "/p.S/M"}, {"code", "OK"}});
  Counter* failed =
      registry.AddCounter("app_calls_total", "ignored: the first help stays",
                          {{"method", "/p.S/M"}, {"code", "INTERNAL"}});
  Gauge* in_flight = registry.AddGauge("app_in_flight", "In flight.");
  ok->Add();
  ok->Add(2);
  failed->Add();
  in_flight->Add(5);
  in_flight->Add(-2);
  EXPECT_EQ(registry.Text(),
            "# HELP app_calls_total Calls.\n"
            "# TYPE app_calls_total counter\n"
            "app_calls_total{method=\"/p.S/M\",code=\"OK\"} 3\n"
            "app_calls_total{method=\"/p.S/M\",code=\"INTERNAL\"} 1\n"
            "# HELP app_in_flight In flight.\n"
            "# TYPE app_in_flight gauge\n"
            "app_in_flight 3\n");
}

TEST(RegistryTest, TheSameLabelsGiveTheSameSeries) {
  Registry registry;
  Counter* a = registry.AddCounter("x_total", "X.", {{"k", "v"}});
  Counter* b = registry.AddCounter("x_total", "X.", {{"k", "v"}});
  EXPECT_EQ(a, b);
}

TEST(RegistryTest, HistogramBucketsAreCumulativeWithExactSum) {
  Registry registry;
  Histogram* histogram = registry.AddHistogram(
      "app_duration_seconds", "Latency.",
      {absl::Milliseconds(1), absl::Milliseconds(10)}, {{"method", "m"}});
  histogram->Observe(absl::Microseconds(500));
  histogram->Observe(absl::Milliseconds(1));  // on the bound: le="0.001"
  histogram->Observe(absl::Milliseconds(7));
  histogram->Observe(absl::Seconds(2));
  EXPECT_EQ(histogram->count(), 4u);
  EXPECT_EQ(registry.Text(),
            "# HELP app_duration_seconds Latency.\n"
            "# TYPE app_duration_seconds histogram\n"
            "app_duration_seconds_bucket{method=\"m\",le=\"0.001\"} 2\n"
            "app_duration_seconds_bucket{method=\"m\",le=\"0.01\"} 3\n"
            "app_duration_seconds_bucket{method=\"m\",le=\"+Inf\"} 4\n"
            "app_duration_seconds_sum{method=\"m\"} 2.008500000\n"
            "app_duration_seconds_count{method=\"m\"} 4\n");
}

TEST(RegistryTest, FunctionsAreReadAtEachScrape) {
  Registry registry;
  double value = 1;
  registry.AddGaugeFunction("app_connected", "Up.", {{"connection", "0"}},
                            [&value] { return value; });
  registry.AddCounterFunction("app_returns_total", "Returns.", {},
                              [] { return 0.25; });
  EXPECT_THAT(registry.Text(), HasSubstr("app_connected{connection=\"0\"} 1\n"
                                         "# HELP app_returns_total"));
  value = 0;
  EXPECT_THAT(registry.Text(),
              HasSubstr("app_connected{connection=\"0\"} 0\n"));
  EXPECT_THAT(registry.Text(), HasSubstr("app_returns_total 0.25\n"));
}

TEST(RegistryTest, LabelValuesAndHelpAreEscaped) {
  Registry registry;
  registry.AddCounter("x_total", "Back\\slash and\nnewline.",
                      {{"v", "a\"b\\c\nd"}});
  EXPECT_EQ(registry.Text(),
            "# HELP x_total Back\\\\slash and\\nnewline.\n"
            "# TYPE x_total counter\n"
            "x_total{v=\"a\\\"b\\\\c\\nd\"} 0\n");
}

TEST(RegistryTest, ConcurrentAddsAreAllCounted) {
  Registry registry;
  Counter* counter = registry.AddCounter("x_total", "X.");
  Histogram* histogram =
      registry.AddHistogram("x_seconds", "X.", DefaultLatencyBounds());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        counter->Add();
        histogram->Observe(absl::Microseconds(i % 3000));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter->value(), 400000u);
  EXPECT_EQ(histogram->count(), 400000u);
}

TEST(RegistryDeathTest, MisnamedMetricsAbort) {
  Registry registry;
  EXPECT_DEATH(registry.AddCounter("calls", "No _total."), "_total");
  EXPECT_DEATH(registry.AddGauge("2up", "Bad name."), "bad metric name");
  EXPECT_DEATH(registry.AddGauge("g", "Bad label.", {{"le", "1"}}),
               "bad label name");
  registry.AddGauge("g", "A gauge.");
  EXPECT_DEATH(registry.AddCounter("g", "Now a counter?"), "_total");
  registry.AddGauge("h", "Labelled.", {{"a", "1"}});
  EXPECT_DEATH(
      registry.AddGauge("h", "Other labels.", {{"a", "1"}, {"b", "2"}}),
      "same label names");
}

}  // namespace
}  // namespace amqp::metrics
