#include "lib/metrics/metrics.hpp"

#include <algorithm>
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

registry::registry(size_t max_label_values)
  : max_label_values_(std::max<size_t>(max_label_values, 1)) {
  // nop
}

registry::family& registry::family_for(std::string_view name,
                                       std::string_view help, kind k) {
  auto i = families_.find(name);
  if (i == families_.end()) {
    family f;
    f.k = k;
    f.help = std::string{help};
    i = families_.emplace(std::string{name}, std::move(f)).first;
  }
  return i->second;
}

labels registry::capped(const family& f, const labels& l) const {
  labels out = l;
  for (auto& [name, value] : out) {
    if (value == other)
      continue;
    auto v = f.values.find(name);
    if (v == f.values.end())
      continue;
    auto& in_use = v->second;
    if (in_use.count(value) != 0)
      continue;
    auto distinct = in_use.size() - in_use.count(other);
    if (distinct >= max_label_values_)
      value = std::string{other};
  }
  return out;
}

void registry::use(family& f, const labels& l) {
  for (auto& [name, value] : l) {
    auto v = f.values.find(name);
    if (v == f.values.end())
      v = f.values.emplace(name, std::map<std::string, size_t, std::less<>>{})
            .first;
    ++v->second[value];
  }
}

void registry::release(family& f, const labels& l) {
  for (auto& [name, value] : l) {
    auto v = f.values.find(name);
    if (v == f.values.end())
      continue;
    auto u = v->second.find(value);
    if (u != v->second.end() && --u->second == 0)
      v->second.erase(u);
  }
}

template <class Metric>
Metric& registry::series_for(
  family& f, std::map<std::string, std::unique_ptr<Metric>>& series,
  const labels& l) {
  auto text = format_labels(l);
  if (auto i = series.find(text); i != series.end())
    return *i->second;
  auto effective = capped(f, l);
  auto& slot = series[format_labels(effective)];
  if (!slot) {
    slot = std::make_unique<Metric>();
    use(f, effective);
  }
  return *slot;
}

counter& registry::get_counter(std::string_view name, std::string_view help,
                               const labels& l) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& f = family_for(name, help, kind::counter);
  return series_for(f, f.counters, l);
}

gauge& registry::get_gauge(std::string_view name, std::string_view help,
                           const labels& l) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& f = family_for(name, help, kind::gauge);
  return series_for(f, f.gauges, l);
}

histogram& registry::get_histogram(std::string_view name,
                                   std::string_view help, const labels& l) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& f = family_for(name, help, kind::histogram);
  return series_for(f, f.histograms, l);
}

void registry::add_level(family& f, const std::string& text, const labels& l,
                         int64_t delta) {
  auto i = f.levels.find(text);
  if (i == f.levels.end()) {
    f.levels.emplace(text, level{l, delta});
    use(f, l);
    return;
  }
  i->second.value += delta;
  if (i->second.value == 0) {
    release(f, i->second.l);
    f.levels.erase(i);
  }
}

void registry::adjust_gauge(std::string_view name, std::string_view help,
                            const labels& l, int64_t delta) {
  if (delta == 0)
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  auto& f = family_for(name, help, kind::gauge);
  auto text = format_labels(l);
  if (auto i = f.folded_levels.find(text); i != f.folded_levels.end()) {
    auto into = i->second;
    i->second.value += delta;
    if (i->second.value == 0)
      f.folded_levels.erase(i);
    add_level(f, into.series, into.series_labels, delta);
    return;
  }
  if (f.levels.count(text) != 0) {
    add_level(f, text, l, delta);
    return;
  }
  auto effective = capped(f, l);
  auto effective_text = format_labels(effective);
  if (effective_text != text)
    f.folded_levels.emplace(text, folded{effective_text, effective, delta});
  add_level(f, effective_text, effective, delta);
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
        for (auto& [l, lv] : f.levels)
          out += name + l + " " + std::to_string(lv.value) + "\n";
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
