// lib/webhook/backlog.hpp
// Whether a user event may join the webhook queue of its socket: bounds on
// the events and on the bytes waiting for (or being sent to) the upstream,
// per socket and per hub. Pure decisions; the dispatcher keeps the counts.
#pragma once

#include <cstddef>
#include <string_view>

namespace sio::webhook {

/// The bounds (webhook_setting: maxQueuedPerSocket, maxQueuedBytesPerSocket,
/// maxQueuedBytesPerHub).
struct backlog_limits {
  /// Events waiting besides the one in flight.
  size_t max_events_per_socket = 256;
  size_t max_bytes_per_socket = 4u << 20;
  size_t max_bytes_per_hub = 256u << 20;
};

/// What waits now, the event in flight included.
struct backlog_load {
  size_t socket_events = 0;
  size_t socket_bytes = 0;  ///< of the socket's user events
  size_t hub_bytes = 0;     ///< of the user events of every socket of the hub
};

/// The answer for one more event.
enum class backlog_verdict {
  accept,
  too_many_events,  ///< the socket has max_events_per_socket + 1 already
  socket_bytes,     ///< the socket's bytes would pass their bound
  hub_bytes,        ///< the hub's bytes would pass their bound
};

/// Whether an event of `bytes` may join. A socket (or hub) with no bytes
/// waiting always takes one event, whatever its size: a packet larger than
/// the bound still goes through alone, so that the byte bounds hold up to
/// one packet (bounded by limits.maxPacketBytes) and never starve it.
backlog_verdict admit(const backlog_limits& limits, const backlog_load& load,
                      size_t bytes) noexcept;

/// The close reason the client's connection gets (and its `disconnected`
/// event carries); empty for accept.
std::string_view close_reason(backlog_verdict v) noexcept;

/// The `reason` label of sio_webhook_failures_total; empty for accept.
std::string_view failure_label(backlog_verdict v) noexcept;

} // namespace sio::webhook
