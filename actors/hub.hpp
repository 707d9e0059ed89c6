// actors/hub.hpp
// The hub actor: one per hub name. Owns the hub's connections and the group
// index (namespace groups, socket rooms, application rooms) and routes
// sends to the member sessions with one shared payload.
#pragma once

#include "actors/client_session.hpp"
#include "actors/socket_directory.hpp"

#include <sio/config.hpp>

#include <caf/actor_system.hpp>
#include <caf/typed_actor.hpp>

#include <string>

namespace sio {

/// What a hub is made of.
struct hub_config {
  std::string name;                 ///< the hub name in client paths
  /// May be replaced by handler_atom, with an actor or an inline handler.
  event_handler_actor handler;
  session_settings session;         ///< Engine.IO / Socket.IO settings
  std::shared_ptr<session_registry> registry;  ///< shared with the gateway
  std::shared_ptr<metrics::registry> metrics;  ///< may be null
  /// Told of every accepted socket and its end (a cluster's Redis); may be
  /// null.
  std::shared_ptr<socket_directory> directory;
  /// Cluster: keep each connection's handshake facts for the fetchSockets
  /// of Node.js peers (sockets_query); off, a connection costs nothing more.
  bool keep_handshakes = false;
  /// Connection state recovery (session.recovery must match `enabled`).
  config::recovery_setting recovery;
};

/// Spawns a hub. It runs until it gets an exit message (service::stop).
hub_full_actor spawn_hub(caf::actor_system& sys, hub_config cfg);

} // namespace sio
