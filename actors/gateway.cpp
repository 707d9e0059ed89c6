#include "actors/gateway.hpp"

#include "lib/auth/jwt.hpp"
#include "lib/auth/random_id.hpp"
#include "lib/http/route_adapter.hpp"
#include "lib/http/ws_handshake.hpp"
#include "lib/protocol/eio_error.hpp"
#include "lib/protocol/ascii.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

namespace sio {

namespace {

using protocol::eio_error;

http::response eio_error_response(eio_error e, int status = 400) {
  return http::response::json(status, protocol::eio_error_body(e));
}

void add_value(multimap& m, std::string_view key, std::string value) {
  for (auto& [k, vs] : m)
    if (protocol::ascii_iequals(k, key)) {
      vs.push_back(std::move(value));
      return;
    }
  m.emplace_back(std::string{key}, std::vector<std::string>{std::move(value)});
}

int64_t now_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

struct gateway::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io, gateway_config c,
       std::shared_ptr<session_registry> r)
    : io(io), cfg(std::move(c)), registry(std::move(r)) {
    // nop
  }

  asio::io_context& io;
  gateway_config cfg;
  std::shared_ptr<session_registry> registry;
  /// Owned one by one: routes refer to them.
  std::vector<std::unique_ptr<engineio_endpoint>> endpoints;
  /// Every route: Engine.IO endpoints, the service's and the application's.
  http::router routes;
  /// Set by serve(): the route table is read-only from then on.
  bool serving = false;
  std::unique_ptr<http::server> server;
  std::atomic<uint64_t> next_id{1};
  /// After refuse_requests() requests get 503 and reach no handler or
  /// fallback: the application behind them may be gone while the loop runs.
  std::atomic<bool> stopped{false};
  /// Requests being handled right now (refuse_requests() waits for them).
  std::atomic<int> in_flight{0};
  /// The answer to a polling request whose session ended before it saw the
  /// request (the message is dropped with the actor): the sid is unknown.
  std::shared_ptr<const http::response> session_gone =
    std::make_shared<const http::response>(
      eio_error_response(eio_error::unknown_sid));

  /// CORS headers for a browser request from an allowed origin.
  void add_cors(http::exchange& ex) {
    auto* origin = ex.req().find_header("Origin");
    if (!origin)
      return;
    bool allowed = false;
    for (auto& o : cfg.cors_origins)
      if (o == "*" || o == *origin)
        allowed = true;
    if (!allowed)
      return;
    ex.add_response_header("Access-Control-Allow-Origin", *origin);
    ex.add_response_header("Access-Control-Allow-Credentials", "true");
    ex.add_response_header("Vary", "Origin");
  }

  void check_not_serving() const {
    if (serving)
      throw std::logic_error("routes are added before the gateway serves");
  }

  /// An Engine.IO request on the endpoint `ep` (any method).
  void handle_engineio(http::exchange& ex, const engineio_endpoint* ep) {
    add_cors(ex);
    if (cfg.metrics)
      // Raw pointers: the registry and the endpoint outlive every exchange,
      // and two pointers fit std::function's inline buffer (no allocation
      // per polling request).
      ex.observe_status([m = cfg.metrics.get(), ep](int status) {
        if (status >= 400)
          m->get_counter("sio_engineio_rejected_total",
                         "Engine.IO requests refused (bad or missing tokens, "
                         "unknown sids, bad parameters), by hub and status.",
                         {{"hub", ep->hub_name}, {"status", std::to_string(status)}})
            .inc();
      });
    auto& req = ex.req();
    if (req.method == "OPTIONS") {
      http::response r;
      r.status = 204;
      r.headers.emplace_back("Access-Control-Allow-Methods",
                             "GET, POST, OPTIONS");
      if (auto* h = req.find_header("Access-Control-Request-Headers"))
        r.headers.emplace_back("Access-Control-Allow-Headers", *h);
      r.headers.emplace_back("Access-Control-Max-Age", "86400");
      ex.respond(std::move(r));
      return;
    }
    auto query = http::parse_query(req.query());
    if (!query) {
      ex.respond(eio_error_response(eio_error::bad_request));
      return;
    }
    std::string eio, transport, sid, token;
    // A repeated Engine.IO parameter is invalid, not "the last one wins":
    // a proxy that reads the first value would see another request than
    // we do. The answers are those of engine.io servers that parse the
    // query with `querystring` (a repeated key becomes a list, which is no
    // transport, protocol version or session); engine.io 6.6 keeps the
    // last value instead.
    int eio_seen = 0, transport_seen = 0, sid_seen = 0;
    for (auto& [k, v] : *query) {
      if (k == "EIO") {
        eio = v;
        ++eio_seen;
      } else if (k == "transport") {
        transport = v;
        ++transport_seen;
      } else if (k == "sid") {
        sid = v;
        ++sid_seen;
      } else if (k == "access_token")
        token = v;
    }
    if (transport_seen > 1
        || (transport != "polling" && transport != "websocket")) {
      ex.respond(eio_error_response(eio_error::unknown_transport));
      return;
    }
    if (eio_seen > 1 || eio != "4") {
      ex.respond(eio_error_response(eio_error::unsupported_protocol_version));
      return;
    }
    if (sid_seen > 1) {
      ex.respond(eio_error_response(eio_error::unknown_sid));
      return;
    }
    if (sid_seen == 1)
      handle_session_request(ex, *ep, transport, sid);
    else
      handle_handshake(ex, *ep, transport, *query, token);
  }

  void handle_session_request(const http::exchange& ex,
                              const engineio_endpoint& ep,
                              const std::string& transport,
                              const std::string& sid) {
    auto entry = registry->find(sid);
    if (!entry || !entry->hub || *entry->hub != ep.hub_name) {
      ex.respond(eio_error_response(eio_error::unknown_sid));
      return;
    }
    auto& req = ex.req();
    if (transport == "websocket") {
      auto link = upgrade(ex);
      if (link.conn)
        caf::anon_send(entry->session, ws_open_atom::value, std::move(link));
      return;
    }
    ex.set_unanswered_response(session_gone);
    if (req.method == "GET") {
      auto id = next_id.fetch_add(1);
      auto session = entry->session;
      ex.on_abort([session, id] {
        caf::anon_send(session, aborted_atom::value, id);
      });
      caf::anon_send(entry->session, poll_atom::value, id, ex);
    } else if (req.method == "POST") {
      auto* ct = req.find_header("Content-Type");
      if (ct && ct->rfind("application/octet-stream", 0) == 0) {
        ex.respond(eio_error_response(eio_error::bad_request));
        return;
      }
      caf::anon_send(entry->session, post_atom::value, ex);
    } else {
      // engine.io answers an unsupported method with its method error (2).
      ex.respond(eio_error_response(eio_error::bad_handshake_method));
    }
  }

  /// Takes the socket of a valid WebSocket upgrade request and answers 101;
  /// on failure answers the request and returns an empty link.
  ws_link upgrade(const http::exchange& ex) {
    auto& req = ex.req();
    auto check = http::validate_ws_upgrade(http::upgrade_headers_of(req));
    if (req.method != "GET" || !check.ok) {
      auto r = eio_error_response(eio_error::bad_request, check.ok ? 400 : check.http_status);
      if (check.http_status == 426)
        r.headers.emplace_back("Sec-WebSocket-Version", "13");
      r.close = true;
      ex.respond(std::move(r));
      return {};
    }
    auto taken = ex.take_socket();
    if (!taken)
      return {};
    auto head = http::make_ws_101_response(check.accept, {});
    asio::error_code ec;
    // The socket's send buffer is empty right after the request: this
    // short write completes at once without blocking the I/O thread.
    taken->socket.write(asio::buffer(head), ec);
    if (ec)
      return {};
    ws_link link;
    link.id = next_id.fetch_add(1);
    link.conn = http::ws_connection::make(std::move(taken->socket), cfg.ws);
    link.leftover = std::move(taken->leftover);
    return link;
  }

  void handle_handshake(const http::exchange& ex, const engineio_endpoint& ep,
                        const std::string& transport,
                        const std::vector<std::pair<std::string, std::string>>&
                          query,
                        std::string token) {
    auto& req = ex.req();
    if (req.method != "GET") {
      ex.respond(eio_error_response(eio_error::bad_handshake_method));
      return;
    }
    if (token.empty()) {
      if (auto* h = req.find_header("Authorization");
          h && h->size() > 7
          && protocol::ascii_iequals(h->substr(0, 7), "Bearer "))
        token = h->substr(7);
    }
    handshake_info info;
    if (!token.empty()) {
      auto claims = auth::verify_hs256(token, cfg.keys, now_seconds());
      if (!claims) {
        reject(ex, claims.error());
        return;
      }
      bool aud_ok = false;
      for (auto& aud : claims->aud)
        if (auth::client_audience_matches(aud, cfg.public_endpoint,
                                          ep.hub_name))
          aud_ok = true;
      if (!aud_ok) {
        reject(ex, "token audience does not match this hub");
        return;
      }
      info.user_id = claims->sub.value_or("");
      info.groups = claims->groups;
      info.claims = std::move(claims->all);
    } else if (!ep.allow_anonymous) {
      reject(ex, "access token required");
      return;
    }
    for (auto& [k, v] : query)
      if (k != "access_token")
        add_value(info.query, k, v);
    for (auto& [k, v] : req.headers)
      add_value(info.headers, k, v);
    info.remote_address = req.remote_address;
    open_session open;
    open.connection_id
      = cfg.connection_id_prefix + auth::random_id(auth::connection_id_length);
    open.info = std::move(info);
    if (transport == "websocket") {
      open.websocket = true;
      open.ws = upgrade(ex);
      if (!open.ws.conn)
        return;
    } else {
      open.ex = ex;
    }
    caf::anon_send(ep.hub, std::move(open));
  }

  void reject(const http::exchange& ex, const std::string& why) {
    spdlog::info("handshake rejected from {}: {}", ex.req().remote_address,
                 why);
    ex.respond(http::response::error(401, "Unauthorized", why));
  }
};

gateway::gateway(asio::io_context& io, gateway_config cfg,
                 std::shared_ptr<session_registry> registry)
  : impl_(std::make_shared<impl>(io, std::move(cfg), std::move(registry))) {
  // Every path under /clients/ is the service's: one that is no hub's
  // endpoint (those are exact routes, and win) is not found, whatever an
  // application's "/*" route or fallback would say.
  impl_->routes.add(std::string{http::router::any_method}, "/clients/*",
                    [](http::exchange& ex, std::string_view) {
                      ex.respond(http::response::error(404, "NotFound", "no such endpoint"));
                    });
}

gateway::~gateway() {
  stop();
}

void gateway::add_endpoint(engineio_endpoint ep) {
  impl_->check_not_serving();
  if (ep.path.size() > 1 && ep.path.back() == '/')
    ep.path.pop_back();
  auto owned = std::make_unique<engineio_endpoint>(std::move(ep));
  // Raw pointers: the impl owns the routes and the endpoints alike.
  auto* self = impl_.get();
  auto* endpoint = owned.get();
  auto serve = [self, endpoint](http::exchange& ex, std::string_view) {
    self->handle_engineio(ex, endpoint);
  };
  impl_->routes.add(std::string{http::router::any_method}, endpoint->path, serve);
  impl_->routes.add(std::string{http::router::any_method}, endpoint->path + "/", serve);
  impl_->endpoints.push_back(std::move(owned));
}

void gateway::add_service_route(std::string method, std::string path,
                                http::route_handler h) {
  impl_->check_not_serving();
  impl_->routes.add(std::move(method), std::move(path), std::move(h));
}

void gateway::add_route(std::string method, std::string path,
                        http_route_handler h) {
  impl_->check_not_serving();
  if (is_reserved_path(path))
    throw std::invalid_argument("route path '" + path
                                + "' is the service's own (/clients/, /api/, "
                                  "/health, /metrics)");
  impl_->routes.add(std::move(method), std::move(path),
                    http::adapt_route(std::move(h)));
}

void gateway::set_fallback(fallback_handler fn) {
  impl_->check_not_serving();
  impl_->routes.set_fallback(
    [fn = std::move(fn)](http::exchange& ex) { fn(ex); });
}

bool gateway::is_reserved_path(std::string_view path) {
  // A prefix route "/x/*" serves "/x" too: compare the base path.
  if (path.size() >= 2 && path.substr(path.size() - 2) == "/*")
    path.remove_suffix(2);
  while (path.size() > 1 && path.back() == '/')
    path.remove_suffix(1);
  auto under = [path](std::string_view dir) {
    return path == dir
           || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0
               && path[dir.size()] == '/');
  };
  return under("/clients") || under("/api") || path == "/health"
         || path == "/metrics";
}

void gateway::start() {
  listen();
  serve();
}

void gateway::serve() {
  impl_->serving = true;
  if (impl_->server)
    impl_->server->accept();
}

void gateway::listen() {
  // Weak: the server (owned by impl) must not keep impl alive in a cycle.
  std::weak_ptr<impl> weak = impl_;
  impl_->server = std::make_unique<http::server>(
    impl_->io, impl_->cfg.http, [weak](http::exchange ex) {
      auto self = weak.lock();
      if (!self)
        return;
      // Counted before the check: refuse_requests() sets the flag, then
      // waits for the count to reach zero, so none passes after it returns.
      self->in_flight.fetch_add(1);
      if (self->stopped.load())
        ex.respond(http::response::error(503, "ServiceUnavailable",
                                         "the service is shutting down"));
      else
        self->routes.dispatch(ex);
      self->in_flight.fetch_sub(1);
    });
  impl_->server->listen();
}

void gateway::stop() {
  if (impl_->server)
    impl_->server->stop();
}

void gateway::refuse_requests() {
  if (impl_->stopped.exchange(true))
    return;
  // A loop thread cannot wait for handlers that may run on itself.
  if (impl_->server ? impl_->server->on_loop_thread()
                    : impl_->io.get_executor().running_in_this_thread())
    return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (impl_->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
}

void gateway::set_public_endpoint(std::string endpoint) {
  impl_->cfg.public_endpoint = std::move(endpoint);
}

uint16_t gateway::port() const {
  return impl_->server ? impl_->server->port() : 0;
}

} // namespace sio
