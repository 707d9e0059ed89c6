#include "lib/webhook/backlog.hpp"

namespace sio::webhook {

namespace {

/// Whether `bytes` more would pass `max` on top of `held` (none held: never).
bool over(size_t held, size_t bytes, size_t max) noexcept {
  return held > 0 && (bytes > max || held > max - bytes);
}

} // namespace

backlog_verdict admit(const backlog_limits& limits, const backlog_load& load,
                      size_t bytes) noexcept {
  if (load.socket_events >= limits.max_events_per_socket + 1)
    return backlog_verdict::too_many_events;
  if (over(load.socket_bytes, bytes, limits.max_bytes_per_socket))
    return backlog_verdict::socket_bytes;
  if (over(load.hub_bytes, bytes, limits.max_bytes_per_hub))
    return backlog_verdict::hub_bytes;
  return backlog_verdict::accept;
}

std::string_view close_reason(backlog_verdict v) noexcept {
  switch (v) {
    case backlog_verdict::accept:
      return {};
    case backlog_verdict::too_many_events:
      return "webhook backlog full";
    case backlog_verdict::socket_bytes:
      return "webhook backlog too large";
    case backlog_verdict::hub_bytes:
      return "webhook hub backlog too large";
  }
  return {};
}

std::string_view failure_label(backlog_verdict v) noexcept {
  switch (v) {
    case backlog_verdict::accept:
      return {};
    case backlog_verdict::too_many_events:
      return "backlog_full";
    case backlog_verdict::socket_bytes:
      return "backlog_bytes";
    case backlog_verdict::hub_bytes:
      return "hub_backlog_bytes";
  }
  return {};
}

} // namespace sio::webhook
