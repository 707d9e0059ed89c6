// lib/metrics/metrics.hpp
// A small Prometheus metrics registry: counters, gauges and histograms with
// fixed label values, updated with relaxed atomics from any thread (hot
// paths keep a reference to their series), rendered in the text format.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::metrics {

/// Label name/value pairs of one series, in a fixed order.
using labels = std::vector<std::pair<std::string, std::string>>;

/// A monotonically increasing count.
class counter {
public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

private:
  std::atomic<uint64_t> v_{0};
};

/// A value that goes up and down.
class gauge {
public:
  void add(int64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  void sub(int64_t n = 1) { v_.fetch_sub(n, std::memory_order_relaxed); }
  void set(int64_t n) { v_.store(n, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

private:
  std::atomic<int64_t> v_{0};
};

/// Latencies in seconds over fixed buckets (1 ms .. 30 s).
class histogram {
public:
  static constexpr std::array<double, 12> bounds{
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30};

  void observe(double seconds);
  /// Cumulative count of observations <= bounds[i]; index bounds.size()
  /// is +Inf.
  uint64_t bucket(size_t i) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

private:
  std::array<std::atomic<uint64_t>, bounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

/// Owns every series; series live as long as the registry.
class registry {
public:
  /// The series `name{labels}`, created on first use (thread-safe; keep the
  /// reference on hot paths instead of looking it up again).
  counter& get_counter(std::string_view name, std::string_view help,
                       const labels& l = {});
  gauge& get_gauge(std::string_view name, std::string_view help,
                   const labels& l = {});
  histogram& get_histogram(std::string_view name, std::string_view help,
                           const labels& l = {});

  /// The Prometheus text exposition format (version 0.0.4).
  std::string render() const;

private:
  enum class kind { counter, gauge, histogram };
  struct family {
    kind k;
    std::string help;
    std::map<std::string, std::unique_ptr<counter>> counters;
    std::map<std::string, std::unique_ptr<gauge>> gauges;
    std::map<std::string, std::unique_ptr<histogram>> histograms;
  };
  family& family_for(std::string_view name, std::string_view help, kind k);

  mutable std::mutex mtx_;
  std::map<std::string, family, std::less<>> families_;
};

/// `{a="x",b="y"}` with Prometheus escaping; empty for no labels.
std::string format_labels(const labels& l);

} // namespace sio::metrics
