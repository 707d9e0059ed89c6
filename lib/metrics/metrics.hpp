// lib/metrics/metrics.hpp
// A small Prometheus metrics registry: counters, gauges and histograms,
// updated with relaxed atomics from any thread (hot paths keep a reference
// to their series), rendered in the text format. Label values that clients
// choose (namespaces, close reasons) are bounded: each label of a family
// takes at most a fixed number of distinct values, the rest are counted
// under `other`, and gauges of such labels drop a series that is back at 0.
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

/// Owns every series. Series handed out by reference live as long as the
/// registry; those of adjust_gauge only while their value is not 0.
class registry {
public:
  /// The value that stands for every label value past the limit.
  static constexpr std::string_view other = "other";
  static constexpr size_t default_max_label_values = 100;

  /// `max_label_values`: distinct values one label of one family may take
  /// (at least 1); a series asked for with a value past it is the series
  /// with that label `other`.
  explicit registry(size_t max_label_values = default_max_label_values);

  /// The series `name{labels}`, created on first use (thread-safe; keep the
  /// reference on hot paths instead of looking it up again).
  counter& get_counter(std::string_view name, std::string_view help,
                       const labels& l = {});
  gauge& get_gauge(std::string_view name, std::string_view help,
                   const labels& l = {});
  histogram& get_histogram(std::string_view name, std::string_view help,
                           const labels& l = {});

  /// Adds `delta` to the gauge `name{labels}`, a series that exists only
  /// while its value is not 0: for labels that clients choose, a value no
  /// one uses any more leaves /metrics and frees its place under the limit.
  /// A label set counted under `other` stays there until it is back at 0,
  /// so that its decrements meet its increments. A family is updated either
  /// this way or through get_gauge, never both.
  void adjust_gauge(std::string_view name, std::string_view help,
                    const labels& l, int64_t delta);

  /// The Prometheus text exposition format (version 0.0.4).
  std::string render() const;

private:
  enum class kind { counter, gauge, histogram };
  /// A series of adjust_gauge.
  struct level {
    labels l;  ///< its labels, values past the limit already `other`
    int64_t value = 0;
  };
  /// A label set of adjust_gauge counted under another series (`other`).
  struct folded {
    std::string series;  ///< the label text it is counted under
    labels series_labels;
    int64_t value = 0;
  };
  struct family {
    kind k = kind::counter;
    std::string help;
    std::map<std::string, std::unique_ptr<counter>> counters;
    std::map<std::string, std::unique_ptr<gauge>> gauges;
    std::map<std::string, std::unique_ptr<histogram>> histograms;
    /// adjust_gauge's series by label text; none is 0.
    std::map<std::string, level> levels;
    /// adjust_gauge's label sets past the limit, by their own label text.
    std::map<std::string, folded> folded_levels;
    /// Per label name, each value in use and how many series use it.
    std::map<std::string, std::map<std::string, size_t, std::less<>>,
             std::less<>>
      values;
  };
  family& family_for(std::string_view name, std::string_view help, kind k);
  /// `l` with every value that would go past the limit replaced by `other`.
  labels capped(const family& f, const labels& l) const;
  /// Counts the values of `l` as used by one more series.
  static void use(family& f, const labels& l);
  /// Counts the values of `l` as used by one series less.
  static void release(family& f, const labels& l);
  /// The series of `l` (or of its capped labels) in `series`, created on
  /// first use.
  template <class Metric>
  Metric& series_for(family& f,
                     std::map<std::string, std::unique_ptr<Metric>>& series,
                     const labels& l);
  /// Adds `delta` to the adjust_gauge series `text` (labels `l`), created
  /// if absent and removed at 0.
  static void add_level(family& f, const std::string& text, const labels& l,
                        int64_t delta);

  const size_t max_label_values_;
  mutable std::mutex mtx_;
  std::map<std::string, family, std::less<>> families_;
};

/// `{a="x",b="y"}` with Prometheus escaping; empty for no labels.
std::string format_labels(const labels& l);

} // namespace sio::metrics
