// actors/client_session.hpp
// The client_session actor: one per Engine.IO connection (sid). Owns the
// transport (long-polling, WebSocket, the upgrade between them), the
// heartbeat, the namespaces joined on the connection and the bounded
// outbound queue; talks to its hub (membership) and event handler (events).
#pragma once

#include "actors/interfaces.hpp"
#include "actors/session_registry.hpp"
#include "actors/tick_wheel.hpp"
#include "lib/metrics/metrics.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace sio {

/// Engine.IO and Socket.IO settings of a session.
struct session_settings {
  std::chrono::milliseconds ping_interval{25000};
  std::chrono::milliseconds ping_timeout{20000};
  std::chrono::milliseconds connect_timeout{45000};
  std::chrono::milliseconds upgrade_timeout{10000};
  /// How long a connect verdict of the event handler may take (the service
  /// sets webhook connectTimeout + responseTimeout + 5 s).
  std::chrono::milliseconds handler_timeout{30000};
  uint32_t max_payload = 1000000;
  /// One Socket.IO packet: its text and all its binary attachments
  /// together (each alone is within max_payload); over -> disconnected.
  size_t max_packet_bytes = 1000000;
  /// Outbound bytes queued for a polling client; over -> disconnected.
  size_t max_queued_bytes = 8u << 20;
  /// Client events awaiting the handler's answer; over -> disconnected.
  size_t max_pending_events = 1024;
  /// Namespaces one connection may join.
  size_t max_namespaces = 64;
  /// Connection state recovery is on for the hub: CONNECT answers carry a
  /// pid, a CONNECT with one asks the hub to resume the socket, and a
  /// socket lost abnormally leaves its disconnected event to the hub.
  bool recovery = false;
  /// Engine.IO only: echo every message instead of speaking Socket.IO.
  bool engineio_echo = false;
  /// Wakes the sessions for their heartbeat (see make_heartbeat_wheel);
  /// null: each session uses CAF delayed messages (~240 bytes per idle
  /// session instead of ~10).
  std::shared_ptr<tick_wheel> heartbeat_wheel;
};

/// A wheel that delivers sessions their heartbeat tick, at 10 ms
/// resolution; one serves every hub of a service.
std::shared_ptr<tick_wheel> make_heartbeat_wheel();

/// The counters every session of a hub bumps per event or packet, looked
/// up once per hub (a registry lookup takes a lock and builds labels).
struct session_counters {
  metrics::counter* events_in = nullptr;      ///< sio_events_received_total
  metrics::counter* packets_out = nullptr;    ///< sio_packets_sent_total
  metrics::counter* event_unhandled = nullptr;       ///< sio_rejected_total
  metrics::counter* event_handler_failed = nullptr;  ///< sio_rejected_total

  /// The counters of hub `hub` in `registry`.
  static std::shared_ptr<const session_counters>
  make(metrics::registry& registry, const std::string& hub);
};

/// What every session of a hub shares, made once by the hub: one pointer
/// per session instead of five (at 10k idle connections, session bytes
/// count; BENCHMARKS.md, memory per connection).
struct session_context {
  std::string hub_name;  ///< the hub the sessions belong to
  session_settings settings;  ///< timeouts and limits
  std::shared_ptr<session_registry> registry;  ///< sessions remove themselves
  /// Where sessions count connections, sockets and traffic (may be null).
  std::shared_ptr<metrics::registry> metrics;
  /// The hub's per-event counters in `metrics` (null when metrics is).
  std::shared_ptr<const session_counters> counters;
  /// hub_name again, for the registry's entries to share; not the context
  /// itself, which holds the registry (a cycle that would never be freed).
  /// make() fills it in; sessions copy hub_name when it is null.
  std::shared_ptr<const std::string> registry_hub_name;
  /// When set, the sessions call it with their events instead of sending
  /// them to session_config::handler (here rather than per session: a
  /// session's bytes count at 10k idle connections).
  inline_handler_ptr inline_events;

  /// A context for hub `hub_name`; looks the per-event counters up once.
  static std::shared_ptr<const session_context>
  make(std::string hub_name, session_settings settings,
       std::shared_ptr<session_registry> registry,
       std::shared_ptr<metrics::registry> metrics,
       inline_handler_ptr inline_events = nullptr);
};

/// Everything a session is made of (the hub fills it in).
struct session_config {
  std::string connection_id;   ///< its Engine.IO sid
  /// Shared by the hub's sessions; never null.
  std::shared_ptr<const session_context> context;
  handshake_info info;         ///< facts for the connect events
  hub_full_actor hub;              ///< receives membership notices
  /// Receives the socket events, unless the context has an inline handler.
  event_handler_actor handler;
};

/// Spawns a session; it answers `open` (the handshake) itself.
client_session_actor spawn_client_session(caf::actor_system& sys,
                                          session_config cfg,
                                          open_session open);

} // namespace sio
