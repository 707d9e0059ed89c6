#include "lib/metrics/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace sio::metrics {

void histogram::observe(double seconds) {
  if (!(seconds >= 0)) // NaN or negative: clock went backwards
    seconds = 0;
  size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i])
    ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(std::llround(seconds * 1e6)),
                        std::memory_order_relaxed);
}

uint64_t histogram::bucket(size_t i) const {
  uint64_t total = 0;
  for (size_t k = 0; k <= i && k < buckets_.size(); ++k)
    total += buckets_[k].load(std::memory_order_relaxed);
  return total;
}

double histogram::sum() const {
  return static_cast<double>(sum_micros_.load(std::memory_order_relaxed))
         / 1e6;
}

std::string format_labels(const labels& l) {
  if (l.empty())
    return {};
  std::string out = "{";
  bool first = true;
  for (auto& [k, v] : l) {
    if (!first)
      out += ',';
    first = false;
    out += k;
    out += "=\"";
    for (char c : v) {
      if (c == '\\' || c == '"')
        out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

registry::family& registry::family_for(std::string_view name,
                                       std::string_view help, kind k) {
  auto i = families_.find(name);
  if (i == families_.end())
    i = families_.emplace(std::string{name}, family{k, std::string{help}, {}, {}, {}})
          .first;
  return i->second;
}

counter& registry::get_counter(std::string_view name, std::string_view help,
                               const labels& l) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& f = family_for(name, help, kind::counter);
  auto& slot = f.counters[format_labels(l)];
  if (!slot)
    slot = std::make_unique<counter>();
  return *slot;
}

gauge& registry::get_gauge(std::string_view name, std::string_view help,
                           const labels& l) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& f = family_for(name, help, kind::gauge);
  auto& slot = f.gauges[format_labels(l)];
  if (!slot)
    slot = std::make_unique<gauge>();
  return *slot;
}

histogram& registry::get_histogram(std::string_view name,
                                   std::string_view help, const labels& l) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& f = family_for(name, help, kind::histogram);
  auto& slot = f.histograms[format_labels(l)];
  if (!slot)
    slot = std::make_unique<histogram>();
  return *slot;
}

namespace {

/// Inserts `le="x"` into an existing label set text.
std::string with_le(const std::string& label_text, const std::string& le) {
  if (label_text.empty())
    return "{le=\"" + le + "\"}";
  return label_text.substr(0, label_text.size() - 1) + ",le=\"" + le + "\"}";
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

} // namespace

std::string registry::render() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::string out;
  for (auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n";
    switch (f.k) {
      case kind::counter:
        out += "# TYPE " + name + " counter\n";
        for (auto& [l, c] : f.counters)
          out += name + l + " " + std::to_string(c->value()) + "\n";
        break;
      case kind::gauge:
        out += "# TYPE " + name + " gauge\n";
        for (auto& [l, g] : f.gauges)
          out += name + l + " " + std::to_string(g->value()) + "\n";
        break;
      case kind::histogram:
        out += "# TYPE " + name + " histogram\n";
        for (auto& [l, h] : f.histograms) {
          for (size_t i = 0; i < histogram::bounds.size(); ++i)
            out += name + "_bucket" + with_le(l, number(histogram::bounds[i]))
                   + " " + std::to_string(h->bucket(i)) + "\n";
          out += name + "_bucket" + with_le(l, "+Inf") + " "
                 + std::to_string(h->count()) + "\n";
          out += name + "_sum" + l + " " + number(h->sum()) + "\n";
          out += name + "_count" + l + " " + std::to_string(h->count()) + "\n";
        }
        break;
    }
  }
  return out;
}

} // namespace sio::metrics
