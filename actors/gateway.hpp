// actors/gateway.hpp
// The network layer: serves Engine.IO (long-polling and WebSocket) on each
// hub's client path, checks client tokens, and turns requests and frames
// into messages to hub and session actors. One route table (http::router)
// holds the Engine.IO endpoints, the service's routes (REST, health,
// metrics) and the application's.
#pragma once

#include "actors/client_session.hpp"
#include "actors/interfaces.hpp"
#include "lib/auth/access_keys.hpp"
#include "lib/http/router.hpp"
#include "lib/http/server.hpp"
#include "lib/http/ws_connection.hpp"
#include "lib/metrics/metrics.hpp"

#include <sio/http_route.hpp>

#include <asio.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
  /// Starts every new connection id (Engine.IO sid): in a cluster the
  /// node's id and '.', so a load balancer can route a session's requests
  /// to the node that holds it (examples/cluster/nginx.conf.in).
  std::string connection_id_prefix;
};

/// Requests that no route claims.
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

  // Routes are added before serve() (std::logic_error after it): the
  // table is then read by every I/O thread without a lock.

  /// Adds an Engine.IO endpoint (every method; its path with and without a
  /// trailing slash).
  void add_endpoint(engineio_endpoint ep);
  /// Adds one of the service's own routes (REST, health, metrics): no
  /// reserved paths. Throws std::invalid_argument as http::router::add.
  void add_service_route(std::string method, std::string path,
                         http::route_handler h);
  /// Adds an application's route (a path ending in "/*" serves every path
  /// under it). Throws std::invalid_argument for the service's paths
  /// (is_reserved_path), a malformed path, or a route given twice.
  void add_route(std::string method, std::string path, http_route_handler h);
  /// Sets the handler for requests no route's path matches (default: 404
  /// JSON). Paths under /clients/ that are no endpoint never reach it: they
  /// are 404.
  void set_fallback(fallback_handler fn);
  /// Whether a route path is the service's own: under /clients/ or /api/,
  /// /health or /metrics (also as a "/*" prefix route).
  static bool is_reserved_path(std::string_view path);

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
  /// it, no request reaches a route or the fallback, so what
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
