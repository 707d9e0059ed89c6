#include "actors/session_metrics.hpp"

#include "lib/metrics/metrics.hpp"

#include <utility>

namespace sio {

namespace {

constexpr const char* rejected_help
  = "Sockets turned away and events dropped or failed, by reason.";

} // namespace

std::shared_ptr<const session_counters>
session_counters::make(metrics::registry& registry, const std::string& hub) {
  auto c = std::make_shared<session_counters>();
  metrics::labels l{{"hub", hub}};
  c->events_in = &registry.get_counter(
    "sio_events_received_total", "Client events handed to the handler.", l);
  c->packets_out = &registry.get_counter(
    "sio_packets_sent_total", "Engine.IO packets queued to clients.", l);
  auto rejected = [&](const char* reason) {
    auto r = l;
    r.emplace_back("reason", reason);
    return &registry.get_counter("sio_rejected_total", rejected_help, r);
  };
  c->event_unhandled = rejected("event_unhandled");
  c->event_handler_failed = rejected("event_handler_failed");
  return c;
}

namespace session {

namespace {

metrics::labels hub_labels(self_ptr self) {
  return {{"hub", self->state.ctx->hub_name}};
}

/// The hub's counter `name` with one more label; null without metrics. For
/// the rarer events (per socket or connection); per-event counters are
/// cached in session_counters.
metrics::counter* hub_counter(self_ptr self, const char* name, const char* help,
                              const char* label, std::string_view value) {
  auto& st = self->state;
  if (!st.ctx->metrics)
    return nullptr;
  auto l = hub_labels(self);
  l.emplace_back(label, std::string{value});
  return &st.ctx->metrics->get_counter(name, help, l);
}

} // namespace

/// The gauge is looked up each time (on open, upgrade and close
/// only) rather than kept in every session.
void count_transport(self_ptr self, const char* from, const char* to) {
  auto& st = self->state;
  if (!st.ctx->metrics)
    return;
  for (auto [transport, delta] : {std::pair{from, -1}, std::pair{to, 1}}) {
    if (*transport == '\0')
      continue;
    auto l = hub_labels(self);
    l.emplace_back("transport", transport);
    st.ctx->metrics
      ->get_gauge("sio_connections", "Open Engine.IO connections by transport.",
                  l)
      .add(delta);
  }
}

/// Sockets per hub and namespace. Clients name namespaces: a namespace's
/// series goes when its last socket does (adjust_gauge), and those past the
/// registry's label limit are counted under `other`.
void count_socket(self_ptr self, const std::string& nsp, int64_t delta) {
  auto& st = self->state;
  if (!st.ctx->metrics)
    return;
  auto l = hub_labels(self);
  l.emplace_back("namespace", nsp);
  st.ctx->metrics->adjust_gauge(
    "sio_sockets", "Connected sockets by hub and namespace.", l, delta);
}

void count_close(self_ptr self, const std::string& reason) {
  if (auto* c = hub_counter(
        self, "sio_connections_closed_total",
        "Closed Engine.IO connections by reason.", "reason", reason))
    c->inc();
}

void count_rejected(self_ptr self, const char* reason) {
  if (auto* c = hub_counter(self, "sio_rejected_total", rejected_help,
                            "reason", reason))
    c->inc();
}

void count_cached(metrics::counter* session_counters::*which,
                  const session_state& st) {
  if (st.ctx->counters && st.ctx->counters.get()->*which)
    (st.ctx->counters.get()->*which)->inc();
}

} // namespace session

} // namespace sio
