#include "actors/service.hpp"

#include "actors/asio_scheduler.hpp"
#include "actors/chat_handler.hpp"
#include "actors/echo_handler.hpp"
#include "actors/shutdown.hpp"
#include "actors/webhook_dispatcher.hpp"
#include "lib/auth/access_keys.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

namespace sio {

namespace {

/// `cfg` with ioThreads resolved. Automatic: every loop of the actors'
/// scheduler when it runs the loops (all of its threads then do socket
/// I/O), else the default number of loops of our own.
config::service_config with_io_threads(caf::actor_system& sys, config::service_config cfg) {
  if (cfg.io_threads == 0) {
    auto* sched = asio_scheduler::of(sys);
    cfg.io_threads = sched ? static_cast<uint32_t>(sched->threads())
                           : config::default_io_threads();
  }
  return cfg;
}

} // namespace

service::service(caf::actor_system& sys, config::service_config cfg)
  : sys_(sys),
    cfg_(with_io_threads(sys, std::move(cfg))),
    registry_(std::make_shared<session_registry>()),
    metrics_(std::make_shared<metrics::registry>(
      cfg_.limits.max_metric_label_values)),
    own_loops_(asio_scheduler::of(sys) ? nullptr
                                       : std::make_unique<http::loop_pool>(cfg_.io_threads)),
    io_(own_loops_ ? own_loops_->first() : asio_scheduler::of(sys)->io()) {
  if (cfg_.primary_key.empty())
    cfg_.primary_key = auth::generate_access_key();
}

service::~service() {
  stop();
}

void service::set_handler(const std::string& hub, handler_factory f) {
  inline_factories_.erase(hub);
  factories_[hub] = std::move(f);
}

void service::set_inline_handler(const std::string& hub,
                                 inline_handler_factory f) {
  factories_.erase(hub);
  inline_factories_[hub] = std::move(f);
}

void service::set_pipeline(const std::string& hub, pipeline_factory f) {
  pipelines_[hub] = std::move(f);
}

void service::set_fallback(fallback_handler fn) {
  fallback_ = std::move(fn);
}

void service::start() {
  session_settings ss;
  ss.ping_interval = std::chrono::milliseconds{cfg_.ping_interval};
  ss.ping_timeout = std::chrono::milliseconds{cfg_.ping_timeout};
  ss.connect_timeout = std::chrono::milliseconds{cfg_.connect_timeout};
  ss.max_payload = cfg_.max_payload;
  ss.max_packet_bytes = cfg_.limits.max_packet_bytes;
  ss.max_queued_bytes = cfg_.limits.max_queued_bytes;
  ss.max_pending_events = cfg_.limits.max_pending_events;
  ss.max_namespaces = cfg_.limits.max_namespaces;
  wheel_ = make_heartbeat_wheel();
  ss.heartbeat_wheel = wheel_;
  // A connect verdict may take a whole webhook round trip: never give up on
  // it before the dispatcher's own timeouts do (5 + 30 + 5 = 40 s by
  // default); an in-process handler gets the same budget.
  ss.handler_timeout = std::chrono::milliseconds{
    uint64_t{cfg_.webhook.connect_timeout} + cfg_.webhook.response_timeout + 5000};

  gateway_config gc;
  gc.http.host = cfg_.host;
  gc.http.port = cfg_.port;
  gc.http.tls = {cfg_.tls.cert_file, cfg_.tls.key_file};
  // A polling POST carries at most maxPayload bytes (engine.io answers 413).
  gc.http.limits.max_body_size = cfg_.max_payload;
  gc.ws.max_message_size = cfg_.max_payload;
  gc.ws.max_write_queue_bytes = cfg_.limits.max_queued_bytes;
  gc.http.max_connections = cfg_.limits.max_connections;
  // Connections go round the loops (one per thread): our own, or the
  // asio_scheduler's (the first io_threads of them).
  if (own_loops_) {
    gc.http.loops = own_loops_->loops();
  } else if (auto* sched = asio_scheduler::of(sys_)) {
    gc.http.loops = sched->loops();
    if (gc.http.loops.size() > cfg_.io_threads)
      gc.http.loops.resize(cfg_.io_threads);
  }
  gc.keys = {cfg_.primary_key, cfg_.secondary_key};
  gc.cors_origins = cfg_.cors_origins;
  gc.metrics = metrics_;
  gateway_ = std::make_unique<gateway>(io_, gc, registry_);
  // The service's routes next to the Engine.IO endpoints; the REST API
  // exists once the port is known (below), before serving starts.
  gateway_->add_service_route("GET", "/health", [](http::exchange& ex, std::string_view) {
    ex.respond(http::response::json(200, R"({"status":"ok"})"));
  });
  gateway_->add_service_route("GET", "/metrics", [this](http::exchange& ex, std::string_view) {
    auto r = http::response::text(200, metrics_->render());
    r.headers.front().second = "text/plain; version=0.0.4; charset=utf-8";
    ex.respond(std::move(r));
  });
  gateway_->add_service_route(
    std::string{http::router::any_method}, "/api/*",
    [this](http::exchange& ex, std::string_view) {
      if (!rest_ || !rest_->handle(ex))
        ex.respond(http::response::json(
          404, R"({"code":"NotFound","message":"no such endpoint"})"));
    });
  if (fallback_)
    gateway_->set_fallback(fallback_);

  for (auto& h : cfg_.hubs) {
    hub_config hc;
    hc.name = h.name;
    hc.session = ss;
    hc.registry = registry_;
    hc.metrics = metrics_;
    auto hub = spawn_hub(sys_, hc);
    event_handler_actor handler;
    inline_handler_ptr inline_events;
    if (auto f = factories_.find(h.name); f != factories_.end())
      handler = f->second(sys_, hub);
    else if (auto i = inline_factories_.find(h.name); i != inline_factories_.end())
      inline_events = i->second(sys_, hub);
    else if (h.in_process_handler == "echo")
      inline_events = make_echo_handler(hub);
    else if (h.in_process_handler == "chat")
      handler = spawn_chat_handler(sys_, hub);
    else if (!h.event_handlers.empty())
      // The public endpoint is final only after gateway_->listen(): asked
      // lazily, on the dispatcher's first event.
      handler = spawn_webhook_dispatcher(
        sys_, io_, webhook_config_for(
          cfg_, h, [this] { return public_endpoint(); }, metrics_));
    if (auto p = pipelines_.find(h.name); p != pipelines_.end()) {
      // Stages are actors: an inline handler becomes one as their `next`.
      if (inline_events)
        handler = spawn_inline_handler_actor(sys_, std::move(inline_events));
      if (handler)
        handlers_.push_back(handler); // the stages' `next`, ended at stop
      handler = p->second(sys_, hub, handler);
    }
    if (inline_events)
      caf::anon_send(hub, handler_atom::value, std::move(inline_events));
    else if (handler) {
      caf::anon_send(hub, handler_atom::value, handler);
      handlers_.push_back(handler);
    }
    hubs_.emplace(h.name, hub);
    gateway_->add_endpoint({"/clients/socketio/hubs/" + h.name, h.name, hub,
                            h.allow_anonymous});
  }
  // Bound first: the public endpoint needs the port (listen.port 0).
  gateway_->listen();
  gateway_->set_public_endpoint(public_endpoint());
  rest_settings rs;
  rs.keys = {cfg_.primary_key, cfg_.secondary_key};
  rs.public_endpoint = public_endpoint();
  for (auto& [name, hub] : hubs_)
    rs.hubs.emplace(name, hub);
  rs.max_packet_size = cfg_.max_payload;
  rs.metrics = metrics_;
  rest_ = std::make_unique<rest_api>(sys_, std::move(rs));
  // Accepting starts once the REST API and the public endpoint (the
  // audience of client tokens) are set: with the asio_scheduler the loop
  // runs already, and would serve a request at once.
  gateway_->serve();
  if (own_loops_)
    own_loops_->start();
}

void service::stop(const std::string& reason) {
  if (stopped_)
    return;
  stopped_ = true;
  if (gateway_)
    gateway_->stop();
  // Close every session (each sends its disconnected events), give them a
  // moment to flush, then make sure none is left running.
  auto sessions = registry_->snapshot();
  for (auto& e : sessions)
    caf::anon_send(e.session, close_atom::value, reason);
  // A polling session lingers up to 2 s for the GET that carries its close
  // packet; WebSocket sessions go at once.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{2100};
  while (registry_->size() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  // Each wait below ends the actors and waits for them: a session's state
  // (its sockets, a pending polling exchange) must be gone before the
  // io_context it uses is, and an actor left running would block the actor
  // system's exit.
  caf::scoped_actor waiter{sys_};
  auto bound = [] { return std::chrono::steady_clock::now() + std::chrono::seconds{3}; };
  auto handles = [](const std::vector<session_registry::entry>& entries) {
    std::vector<caf::actor> out;
    out.reserve(entries.size());
    for (auto& e : entries)
      out.push_back(caf::actor_cast<caf::actor>(e.session));
    return out;
  };
  stop_and_await(waiter, handles(sessions), bound());
  // The hubs next: a handshake in flight when the gateway stopped may have
  // had its session spawned after the snapshot above; such late sessions
  // are stopped last.
  std::vector<caf::actor> hubs;
  for (auto& [name, hub] : hubs_) {
    (void) name;
    hubs.push_back(caf::actor_cast<caf::actor>(hub));
  }
  stop_and_await(waiter, hubs, bound());
  stop_and_await(waiter, handles(registry_->snapshot()), bound());
  stop_handlers();
  // The io_context may be the actor system's (asio_scheduler) and run on:
  // no request may reach this object's fallback and REST API once it goes.
  if (gateway_)
    gateway_->refuse_requests();
  // Pending wake-ups hold actor pointers: released while the system is up.
  if (wheel_)
    wheel_->stop();
  // Our own loops stop here; they go (with what they hold) after the
  // gateway, in the destructor.
  if (own_loops_)
    own_loops_->stop();
}

void service::stop_handlers() {
  // Pipeline heads first (they were added last), each waited for, so that
  // what a stage forwards reaches the next one before that one is told to
  // stop. A webhook dispatcher drains its queues (the disconnected events
  // just sent) before it goes, bounded by its drainTimeout; its HTTP
  // client needs the I/O threads, which are stopped only after this.
  auto bound = std::chrono::milliseconds{cfg_.webhook.drain_timeout}
               + std::chrono::milliseconds{1000};
  auto deadline = std::chrono::steady_clock::now() + bound;
  caf::scoped_actor waiter{sys_};
  std::vector<caf::actor_addr> stopped;
  for (auto h = handlers_.rbegin(); h != handlers_.rend(); ++h) {
    auto addr = h->address();
    if (std::find(stopped.begin(), stopped.end(), addr) != stopped.end())
      continue; // one actor serving several hubs
    stopped.push_back(addr);
    stop_and_await(waiter, {caf::actor_cast<caf::actor>(*h)}, deadline);
  }
  handlers_.clear();
}

uint16_t service::port() const {
  return gateway_ ? gateway_->port() : 0;
}

std::string service::public_endpoint() const {
  return config::public_endpoint_for(cfg_, port());
}

std::string service::connection_string() const {
  return "Endpoint=" + public_endpoint() + ";AccessKey=" + cfg_.primary_key
         + ";Version=1.0;";
}

std::string service::client_url(const std::string& hub) const {
  return public_endpoint() + "/clients/socketio/hubs/" + hub;
}

hub_actor service::hub(const std::string& name) const {
  auto i = hubs_.find(name);
  if (i == hubs_.end())
    return {};
  return i->second;
}

} // namespace sio
