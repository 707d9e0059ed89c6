// actors/webhook_dispatcher.hpp
// The webhook dispatcher: an event_handler that forwards every socket's
// lifecycle and events to upstream HTTP handlers as Azure's CloudEvents
// (protocol.md §4) and turns their answers into verdicts and ack replies.
// Per-socket FIFO order, abuse protection per upstream origin, bounded queues
// (events and bytes per socket, bytes per hub), a cap on connects in flight.
#pragma once

#include <sio/event_handler.hpp>
#include "lib/auth/access_keys.hpp"
#include <sio/config.hpp>
#include "lib/http/client.hpp"
#include "lib/metrics/metrics.hpp"
#include "lib/webhook/cloud_event.hpp"

#include <caf/actor_system.hpp>

#include <asio.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sio {

/// What a dispatcher is made of (one per hub).
struct webhook_dispatcher_config {
  std::string hub;                            ///< the hub's name
  std::vector<webhook::handler_rule> rules;   ///< ordered eventHandlers
  auth::access_keys keys;                     ///< sign ce-signature
  /// The service's public endpoint (scheme://host[:port]); asked on first
  /// use because the bound port is known only after the gateway started.
  std::function<std::string()> public_endpoint;
  http::client_settings client;               ///< pool, timeouts, limits
  /// User events waiting per socket (one is in flight). One more closes
  /// the socket's connection ("webhook backlog full"): its client sends
  /// faster than the upstream answers. Lifecycle events are always queued.
  size_t max_queued_per_socket = 256;
  /// Bytes of a socket's user events waiting for the upstream, the one in
  /// flight included; the event that would pass it closes the connection
  /// ("webhook backlog too large"). A socket with none waiting takes one
  /// event of any size.
  size_t max_queued_bytes_per_socket = 4u << 20;
  /// The same summed over the hub's sockets ("webhook hub backlog too large").
  size_t max_queued_bytes_per_hub = 256u << 20;
  /// `connect` requests in flight per upstream origin; more wait in order.
  /// Kept below client.max_connections_per_origin: connects come from
  /// clients nobody has accepted yet, and those that hang must leave
  /// connections for the hub's other requests.
  size_t max_connect_requests_per_origin = 16;
  /// On exit (service stop) the dispatcher keeps delivering what is queued
  /// for at most this long, then settles the rest and quits.
  std::chrono::milliseconds drain_timeout{5000};
  /// Latency histogram and failure counters go here (optional).
  std::shared_ptr<metrics::registry> metrics;
  /// A failed abuse-protection handshake is tried again after this long
  /// (an upstream started after the service must not stay locked out).
  std::chrono::milliseconds revalidate_after{5000};
};

/// Spawns a dispatcher whose HTTP client runs on `io` (which must outlive
/// the I/O it started: the service stops the dispatcher before `io`).
/// An exit message does not stop it at once: it drains first (see
/// drain_timeout), so monitor it to know when it is gone.
event_handler_actor spawn_webhook_dispatcher(caf::actor_system& sys,
                                             asio::io_context& io,
                                             webhook_dispatcher_config cfg);

/// The config of hub `hub` from a service config (eventHandlers, keys and
/// the `webhook` settings).
webhook_dispatcher_config
webhook_config_for(const config::service_config& cfg,
                   const config::hub_setting& hub,
                   std::function<std::string()> public_endpoint,
                   std::shared_ptr<metrics::registry> metrics = nullptr);

} // namespace sio
