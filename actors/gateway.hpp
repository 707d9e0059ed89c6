// actors/gateway.hpp
// The network layer: serves Engine.IO (long-polling and WebSocket) on each
// hub's client path, checks client tokens, and turns requests and frames
// into messages to hub and session actors. Other routes (REST, health,
// an application's own) are handed to a fallback.
#pragma once

#include "actors/client_session.hpp"
#include "actors/interfaces.hpp"
#include "lib/auth/access_keys.hpp"
#include "lib/http/server.hpp"
#include "lib/http/ws_connection.hpp"
#include "lib/metrics/metrics.hpp"

#include <asio.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sio {

/// One Engine.IO endpoint: a path served by a hub.
struct engineio_endpoint {
  /// e.g. "/clients/socketio/hubs/chat"; served with and without a
  /// trailing slash.
  std::string path;
  std::string hub_name;  ///< the hub's name (tokens, logs)
  hub_full_actor hub;        ///< receives open_session for new connections
  /// Connections without a token are let in (anonymousConnectPolicy).
  bool allow_anonymous = false;
};

/// Settings of the network layer.
struct gateway_config {
  http::server_settings http;  ///< address, port, HTTP limits and timeouts
  http::ws_limits ws;          ///< WebSocket message and queue limits
  /// Keys that sign client tokens (either one verifies).
  auth::access_keys keys;
  /// scheme://host[:port] of the service: the audience of client tokens.
  std::string public_endpoint;
  /// Allowed browser origins; "*" allows any.
  std::vector<std::string> cors_origins{"*"};
  /// Counts refused Engine.IO requests (optional; must outlive the gateway).
  std::shared_ptr<metrics::registry> metrics;
};

/// Requests that no Engine.IO endpoint claims.
using fallback_handler = std::function<void(const http::exchange&)>;

/// Owns the HTTP server; lives as long as the service.
class gateway {
public:
  /// Serves on `io` (run by the caller's threads); `registry` maps sids to
  /// sessions for polling requests and WebSocket upgrades.
  gateway(asio::io_context& io, gateway_config cfg,
          std::shared_ptr<session_registry> registry);
  ~gateway();
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  /// Adds an endpoint; call before start().
  void add_endpoint(engineio_endpoint ep);
  /// Sets the handler for all other requests (default: 404 JSON).
  void set_fallback(fallback_handler fn);

  /// Binds and starts serving; throws std::system_error if it cannot bind.
  void start();
  /// start() in two steps: bind (port() is known after it) and, once what
  /// the handlers need is in place, serve. The io_context may already run.
  void listen();
  void serve();
  /// Stops accepting connections (open ones are still served).
  void stop();
  /// Answers every later request with 503 and returns once none is being
  /// handled (bounded, 5 s; at once on a thread of the io_context): after
  /// it, no request reaches the endpoints' hubs or the fallback, so what
  /// they refer to may go while the io_context still runs.
  void refuse_requests();
  /// The bound port (after start()).
  uint16_t port() const;
  /// Sets the audience base of client tokens once the port is known; call
  /// before the I/O threads run.
  void set_public_endpoint(std::string endpoint);

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace sio
