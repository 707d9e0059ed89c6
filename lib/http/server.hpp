// lib/http/server.hpp
// A small HTTP/1.1 server on Asio for a realtime gateway: keep-alive,
// deferred (long-poll) responses completed from any thread, WebSocket
// hand-off of the raw stream, and hard limits that answer 400/413/414/431/503
// instead of resetting. Parsing is Node's http_parser (request_parser). TLS
// when tls_settings name a certificate and key, plain TCP otherwise.
#pragma once

#include "lib/http/request.hpp"
#include "lib/http/request_parser.hpp"
#include "lib/http/response.hpp"
#include "lib/http/stream.hpp"

#include <asio.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>
#include <string>
#include <vector>

namespace sio::http {

class connection;

/// Everything that shapes how the server treats its peers.
struct server_settings {
  std::string host = "0.0.0.0";
  uint16_t port = 8080;  ///< 0 lets the OS choose; see server::port()
  request_limits limits;
  /// From a request's first byte until it is complete (slowloris guard).
  std::chrono::milliseconds request_timeout{10000};
  /// Idle keep-alive connection without a request in flight.
  std::chrono::milliseconds idle_timeout{60000};
  /// Writing one response.
  std::chrono::milliseconds write_timeout{15000};
  /// Open connections (HTTP and taken-over WebSockets counted apart);
  /// new HTTP connections beyond this get 503 and are closed.
  size_t max_connections = 19000;
  /// TLS certificate and key; empty = plain TCP. The TLS handshake must
  /// finish within request_timeout.
  tls_settings tls;
  /// Event loops the connections are dealt out over, in turn. Each must be
  /// run by exactly one thread (http::loop_pool makes such loops): a
  /// connection's handlers are serialised by its loop alone, with no
  /// strand. Empty: the server's own io_context, which must then be run by
  /// one thread too. Each must outlive the server and its connections.
  std::vector<asio::io_context*> loops;
};

/// A connection's stream handed over for another protocol (WebSocket).
struct taken_socket {
  stream socket;  ///< TLS already established in TLS mode
  std::string leftover;  ///< bytes read after the request head
};

/// A value handle on one request and its pending response. Copyable and
/// thread-safe: respond() may be called from any thread, once; later calls
/// and calls after the peer left are ignored. If every copy is dropped
/// unanswered (e.g. inside a message to an actor that had just ended), the
/// peer gets the unanswered response instead of waiting forever.
class exchange {
public:
  struct state;

  exchange() = default;
  explicit exchange(std::shared_ptr<state> st);

  /// The request (never null on an exchange given to a handler).
  const request& req() const;
  bool valid() const { return state_ != nullptr; }

  /// Sends the response (posted to the connection's loop).
  void respond(response r) const;

  /// Only inside the handler call: takes the socket out of the HTTP
  /// connection (after an upgrade request). The connection is then done.
  std::optional<taken_socket> take_socket() const;

  /// Only inside the handler call: `fn` runs (on an I/O thread) if the peer
  /// closes or the connection fails before respond() - e.g. a long-poll
  /// client that went away.
  void on_abort(std::function<void()> fn) const;

  /// Only inside the handler call: what is sent if no copy of this exchange
  /// ever responds (default: 503 ServiceUnavailable). Shared, so that a
  /// handler can keep one instance for all its requests.
  void set_unanswered_response(std::shared_ptr<const response> r) const;

  /// Headers added to whatever response is sent (e.g. CORS headers decided
  /// by the router, while the response is made elsewhere).
  void add_response_header(std::string name, std::string value);

  /// Calls `fn(status)` when this exchange (or a copy) responds, e.g. to
  /// count responses by status.
  void observe_status(std::function<void(int)> fn);

private:
  std::shared_ptr<state> state_;
  std::vector<header> response_headers_;
  std::shared_ptr<const std::function<void(int)>> status_observer_;
};

/// Receives every complete request on an I/O thread; must not block.
using request_handler = std::function<void(exchange)>;

/// Owns the acceptor; connections own themselves (shared_from_this). The
/// io_context (the acceptor's loop) may run on a thread the server does not
/// own and outlive it: nothing pending refers to the server object itself.
/// One thread runs it, as every loop in server_settings::loops.
class server {
public:
  server(asio::io_context& io, server_settings settings,
         request_handler handler);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// listen() and accept().
  void start();
  /// Loads the TLS certificate and key (if set), binds and listens; peers'
  /// connects wait in the kernel's backlog until accept(). Throws
  /// std::runtime_error naming the file if TLS cannot be set up,
  /// std::system_error if it cannot bind.
  void listen();
  /// Starts accepting (after listen()).
  void accept();
  /// Stops accepting (open connections stay until their peers go).
  void stop();
  /// The bound port (after start()).
  uint16_t port() const { return port_; }
  /// Open HTTP connections right now.
  size_t connection_count() const { return shared_->open.load(); }
  /// Whether the calling thread runs the server's io_context or one of
  /// settings.loops (such a thread must not wait for handlers).
  bool on_loop_thread() const;

  /// State shared with connections, which may outlive the server object.
  struct shared_state {
    server_settings settings;
    request_handler handler;
    std::atomic<size_t> open{0};
    /// Set by start() in TLS mode.
    std::shared_ptr<asio::ssl::context> tls;
  };

private:
  /// The acceptor and its retry timer, owned by their pending handlers too:
  /// the io_context may outlive the server (a loop shared with actors).
  struct accept_loop;

  std::shared_ptr<accept_loop> loop_;
  std::shared_ptr<shared_state> shared_;
  uint16_t port_ = 0;
};

} // namespace sio::http
