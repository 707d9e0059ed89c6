#include <sio/service.hpp>

#include "actors/asio_scheduler.hpp"
#include "actors/gateway.hpp"
#include "actors/adapter_peer.hpp"
#include "actors/cluster_hub.hpp"
#include "actors/cluster_link.hpp"
#include "actors/hub.hpp"
#include "actors/rest_api.hpp"
#include "actors/shutdown.hpp"
#include "actors/type_registry.hpp"
#include "actors/webhook_dispatcher.hpp"
#include "lib/auth/access_keys.hpp"
#include "lib/auth/negotiate.hpp"
#include "lib/http/loop_pool.hpp"
#include "lib/protocol/json_text.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>
#include <variant>
#include <vector>

namespace sio {

namespace {

/// How long a stopping cluster node waits at most for other nodes to claim
/// the sockets it keeps (a client reconnects about a second after its
/// transport closes; orchestrators give a stopping process 30 s).
constexpr std::chrono::milliseconds handover_limit{10000};

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

/// An actor system made from the service config, for a service that owns
/// its own; the config object must outlive the system.
struct owned_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  explicit owned_system(const config::service_config& service_cfg) {
    configure_actor_system(cfg, service_cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

} // namespace

void configure_actor_system(caf::actor_system_config& cfg,
                            const config::service_config& service_cfg) {
  register_message_types(cfg);
  // The service finds an asio_scheduler and runs its network I/O on the
  // same threads; with CAF's own scheduler it starts I/O threads itself.
  if (service_cfg.scheduler == config::actor_scheduler::asio)
    use_asio_scheduler(cfg, std::max(service_cfg.worker_threads, service_cfg.io_threads));
  else
    cfg.set("scheduler.max-threads", static_cast<size_t>(service_cfg.worker_threads));
  cfg.set("logger.verbosity", caf::atom("quiet"));
}

struct service::impl {
  /// Declared first, destroyed last: every actor and loop below is gone by
  /// then.
  std::unique_ptr<owned_system> own_system;
  caf::actor_system& sys;
  config::service_config cfg;
  std::map<std::string, handler_factory> factories;
  std::map<std::string, inline_handler_factory> inline_factories;
  /// Stages by hub, outermost first.
  std::map<std::string, std::vector<pipeline_factory>> stages;
  /// In-process handlers a hub's config names.
  std::map<std::string, std::variant<handler_factory, inline_handler_factory>> named;
  std::map<std::string, hub_full_actor> hubs;
  /// With `cluster`: the node's link to Redis and each hub's front, which
  /// the REST API, handlers and service::hub() use instead of the hub.
  std::shared_ptr<cluster_link> link;
  std::map<std::string, cluster_hub_actor> fronts;
  /// With `cluster`: each hub's adapter peer (Node.js redis-adapter requests).
  std::vector<caf::actor> peers;
  std::vector<event_handler_actor> handlers;
  std::vector<caf::actor> adopted;
  std::shared_ptr<session_registry> registry;
  std::shared_ptr<metrics::registry> metrics;
  /// Heartbeat wake-ups of every session (shared with the hubs' settings).
  std::shared_ptr<tick_wheel> wheel;
  /// The network's event loops when the actor system's scheduler is not an
  /// asio_scheduler (whose loop threads otherwise do the I/O): ioThreads
  /// loops, a thread each.
  std::unique_ptr<http::loop_pool> own_loops;
  /// The first loop (listener, timers, HTTP clients): own_loops's or the
  /// asio_scheduler's.
  asio::io_context& io;
  std::unique_ptr<gateway> gw;
  std::unique_ptr<rest_api> rest;
  /// The application's routes until start() puts them in the gateway's
  /// table.
  struct app_route {
    std::string method;
    std::string path;
    http_route_handler handler;
  };
  std::vector<app_route> app_routes;
  /// The same routes, checked as they come (malformed, twice): route()
  /// throws at the call, not later in start().
  http::router route_check;
  bool started = false;
  bool stopped = false;

  impl(std::unique_ptr<owned_system> own, caf::actor_system& s,
       config::service_config c)
    : own_system(std::move(own)),
      sys(s),
      cfg(with_io_threads(s, std::move(c))),
      registry(std::make_shared<session_registry>()),
      metrics(std::make_shared<metrics::registry>(cfg.limits.max_metric_label_values)),
      own_loops(asio_scheduler::of(s) ? nullptr
                                      : std::make_unique<http::loop_pool>(cfg.io_threads)),
      io(own_loops ? own_loops->first() : asio_scheduler::of(s)->io()) {
    if (cfg.primary_key.empty())
      cfg.primary_key = auth::generate_access_key();
  }

  ~impl() {
    // The gateway and REST API go before the loops they run on.
    gw.reset();
    rest.reset();
    // Its timers and Redis connections live on the loops.
    if (link)
      link->stop();
    link.reset();
    own_loops.reset();
  }

  std::string public_endpoint() const {
    return config::public_endpoint_for(cfg, gw ? gw->port() : 0);
  }

  session_settings make_session_settings() {
    session_settings ss;
    ss.ping_interval = std::chrono::milliseconds{cfg.ping_interval};
    ss.ping_timeout = std::chrono::milliseconds{cfg.ping_timeout};
    ss.connect_timeout = std::chrono::milliseconds{cfg.connect_timeout};
    ss.max_payload = cfg.max_payload;
    ss.max_packet_bytes = cfg.limits.max_packet_bytes;
    ss.max_queued_bytes = cfg.limits.max_queued_bytes;
    ss.max_pending_events = cfg.limits.max_pending_events;
    ss.max_namespaces = cfg.limits.max_namespaces;
    wheel = make_heartbeat_wheel();
    ss.heartbeat_wheel = wheel;
    // A connect verdict may take a whole webhook round trip: never give up
    // on it before the dispatcher's own timeouts do (5 + 30 + 5 = 40 s by
    // default); an in-process handler gets the same budget.
    ss.handler_timeout = std::chrono::milliseconds{
      uint64_t{cfg.webhook.connect_timeout} + cfg.webhook.response_timeout + 5000};
    return ss;
  }

  void make_gateway() {
    gateway_config gc;
    gc.http.host = cfg.host;
    gc.http.port = cfg.port;
    gc.http.tls = {cfg.tls.cert_file, cfg.tls.key_file};
    // A polling POST carries at most maxPayload bytes (engine.io answers 413).
    gc.http.limits.max_body_size = cfg.max_payload;
    gc.ws.max_message_size = cfg.max_payload;
    gc.ws.max_write_queue_bytes = cfg.limits.max_queued_bytes;
    gc.http.max_connections = cfg.limits.max_connections;
    // Connections go round the loops (one per thread): our own, or the
    // asio_scheduler's (the first io_threads of them).
    if (own_loops) {
      gc.http.loops = own_loops->loops();
    } else if (auto* sched = asio_scheduler::of(sys)) {
      gc.http.loops = sched->loops();
      if (gc.http.loops.size() > cfg.io_threads)
        gc.http.loops.resize(cfg.io_threads);
    }
    gc.keys = {cfg.primary_key, cfg.secondary_key};
    gc.cors_origins = cfg.cors_origins;
    gc.metrics = metrics;
    if (link)
      gc.connection_id_prefix = link->node_id() + ".";
    gw = std::make_unique<gateway>(io, gc, registry);
    // The service's routes next to the Engine.IO endpoints and the
    // application's; the REST API exists once the port is known (start()),
    // before serving begins.
    gw->add_service_route("GET", "/health", [this](http::exchange& ex, std::string_view) {
      // Redis away: the node still serves its own sockets, so 200, but
      // says what is missing.
      if (link && !link->up()) {
        ex.respond(http::response::json(
          200, R"({"status":"degraded","reason":)"
                 + protocol::json_string(link->down_reason()) + "}"));
        return;
      }
      ex.respond(http::response::json(200, R"({"status":"ok"})"));
    });
    gw->add_service_route("GET", "/metrics", [this](http::exchange& ex, std::string_view) {
      auto r = http::response::text(200, metrics->render());
      r.headers.front().second = "text/plain; version=0.0.4; charset=utf-8";
      ex.respond(std::move(r));
    });
    gw->add_service_route(std::string{http::router::any_method}, "/api/*",
                          [this](http::exchange& ex, std::string_view) {
                            if (!rest || !rest->handle(ex))
                              ex.respond(http::response::error(404, "NotFound",
                                                               "no such endpoint"));
                          });
    for (auto& r : app_routes)
      gw->add_route(std::move(r.method), std::move(r.path), std::move(r.handler));
    app_routes.clear();
  }

  /// The handler a hub's config or the application selects: an actor, an
  /// inline handler, or neither.
  void select_handler(const config::hub_setting& h, hub_actor hub,
                      event_handler_actor& handler, inline_handler_ptr& inline_events) {
    if (auto f = factories.find(h.name); f != factories.end()) {
      handler = f->second(sys, hub);
    } else if (auto i = inline_factories.find(h.name); i != inline_factories.end()) {
      inline_events = i->second(sys, hub);
    } else if (!h.in_process_handler.empty()) {
      if (auto n = named.find(h.in_process_handler); n != named.end()) {
        if (auto* af = std::get_if<handler_factory>(&n->second))
          handler = (*af)(sys, hub);
        else
          inline_events = std::get<inline_handler_factory>(n->second)(sys, hub);
      } else {
        throw std::runtime_error("hub " + h.name + ": no in-process handler named "
                                 + h.in_process_handler);
      }
    } else if (!h.event_handlers.empty()) {
      // The public endpoint is final only after the gateway listens: asked
      // lazily, on the dispatcher's first event.
      handler = spawn_webhook_dispatcher(
        sys, io, webhook_config_for(cfg, h, [this] { return public_endpoint(); }, metrics));
    }
  }

  void start_hub(const config::hub_setting& h, const session_settings& ss) {
    hub_config hc;
    hc.name = h.name;
    hc.session = ss;
    hc.session.recovery = h.recovery.enabled;
    hc.recovery = h.recovery;
    hc.registry = registry;
    hc.metrics = metrics;
    if (link)
      hc.directory = link->directory();
    hc.keep_handshakes = static_cast<bool>(link);
    auto local = spawn_hub(sys, hc);
    hubs.emplace(h.name, local);
    // What the application's code sees as the hub: in a cluster its front,
    // so that an emit from a handler reaches every node.
    hub_actor hub = local;
    if (link) {
      auto front = spawn_cluster_hub(sys, {h.name, local, link, config::adapter_key_of(h),
                                           metrics});
      fronts.emplace(h.name, front);
      // A pid this node does not keep is claimed from the others.
      caf::anon_send(local, bus_atom::value, caf::actor_cast<caf::actor>(front));
      hub = front;
      peers.push_back(caf::actor_cast<caf::actor>(spawn_adapter_peer(
        sys, {h.name, local, link, config::adapter_key_of(h), metrics})));
    }
    event_handler_actor handler;
    inline_handler_ptr inline_events;
    select_handler(h, hub, handler, inline_events);
    if (auto p = stages.find(h.name); p != stages.end() && !p->second.empty()) {
      // Stages are actors: an inline handler becomes one as their `next`.
      if (inline_events)
        handler = spawn_inline_handler_actor(sys, std::move(inline_events));
      if (handler)
        handlers.push_back(handler); // the innermost `next`, ended at stop
      // The first stage added is the outermost: built from the inside out.
      for (auto f = p->second.rbegin(); f != p->second.rend(); ++f)
        handler = (*f)(sys, hub, handler);
    }
    if (inline_events)
      caf::anon_send(local, handler_atom::value, std::move(inline_events));
    else if (handler) {
      caf::anon_send(local, handler_atom::value, handler);
      handlers.push_back(handler);
    }
    gw->add_endpoint({"/clients/socketio/hubs/" + h.name, h.name, local, h.allow_anonymous});
  }

  void start() {
    if (started)
      throw std::logic_error("service::start called twice");
    started = true;
    auto ss = make_session_settings();
    if (cfg.cluster.enabled)
      link = std::make_shared<cluster_link>(io, cfg.cluster, metrics);
    make_gateway();
    for (auto& h : cfg.hubs)
      start_hub(h, ss);
    if (link) {
      // A dead node's sockets, as its records say: each to its hub here,
      // whose handler sends their disconnected events.
      link->on_orphans([this](std::vector<socket_ref> sockets, std::vector<taken_socket> kept,
                              const std::string& reason) {
        std::map<std::string, orphaned_sockets> by_hub;
        for (auto& s : sockets) {
          auto& o = by_hub[s.hub];
          o.reason = reason;
          o.sockets.push_back(std::move(s));
        }
        for (auto& t : kept) {
          auto& o = by_hub[t.hub];
          o.reason = reason;
          o.kept.push_back(std::move(t));
        }
        for (auto& [name, o] : by_hub)
          if (auto h = hubs.find(name); h != hubs.end())
            caf::anon_send(h->second, std::move(o));
      });
      link->start();
    }
    // Bound first: the public endpoint needs the port (listen.port 0).
    gw->listen();
    gw->set_public_endpoint(public_endpoint());
    rest_settings rs;
    rs.keys = {cfg.primary_key, cfg.secondary_key};
    rs.public_endpoint = public_endpoint();
    for (auto& [name, hub] : hubs)
      rs.hubs.emplace(name, hub);
    for (auto& [name, front] : fronts) {
      rs.hubs[name] = front;
      rs.fronts.emplace(name, front);
    }
    rs.max_packet_size = cfg.max_payload;
    rs.metrics = metrics;
    rest = std::make_unique<rest_api>(sys, std::move(rs));
    // Accepting starts once the REST API and the public endpoint (the
    // audience of client tokens) are set: with the asio_scheduler the loop
    // runs already, and would serve a request at once.
    gw->serve();
    if (own_loops)
      own_loops->start();
  }

  /// A node of a cluster that stops keeps the sockets of its recovery hubs
  /// (their sessions closed with "server shutting down") while their
  /// clients reconnect through other nodes, which claim them over the bus
  /// (this node still answers there): until none is left, Redis is away,
  /// or the shortest window (at most handover_limit) has passed. What is
  /// left then ends with the hubs (disconnected events).
  void await_handover() {
    if (!link)
      return;
    std::chrono::milliseconds window{handover_limit};
    bool any = false;
    for (auto& h : cfg.hubs)
      if (h.recovery.enabled) {
        any = true;
        window = std::min(window, std::chrono::milliseconds{h.recovery.max_disconnection_duration});
      }
    if (!any)
      return;
    caf::scoped_actor self{sys};
    auto deadline = std::chrono::steady_clock::now() + window;
    while (std::chrono::steady_clock::now() < deadline && link->up()) {
      uint64_t kept = 0;
      for (auto& [name, hub] : hubs)
        self->request(hub, std::chrono::seconds{1}, stats_atom::value)
          .receive([&](const hub_stats& s) { kept += s.kept; }, [](caf::error&) {});
      if (kept == 0)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
  }

  void stop(const std::string& reason) {
    if (stopped)
      return;
    stopped = true;
    if (gw)
      gw->stop();
    // Close every session (each sends its disconnected events), give them a
    // moment to flush, then make sure none is left running.
    auto sessions = registry->snapshot();
    // A polling client with a pending GET gets the close packet on it; one
    // between polls (or gone) is not waited for.
    for (auto& e : sessions)
      caf::anon_send(e.session, close_atom::value, reason, true);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{2100};
    while (registry->size() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    await_handover();
    // Each wait below ends the actors and waits for them: a session's state
    // (its sockets, a pending polling exchange) must be gone before the
    // io_context it uses is, and an actor left running would block the
    // actor system's exit.
    caf::scoped_actor waiter{sys};
    auto bound = [] { return std::chrono::steady_clock::now() + std::chrono::seconds{3}; };
    auto handles = [](const std::vector<session_registry::entry>& entries) {
      std::vector<caf::actor> out;
      out.reserve(entries.size());
      for (auto& e : entries)
        out.push_back(caf::actor_cast<caf::actor>(e.session));
      return out;
    };
    stop_and_await(waiter, handles(sessions), bound());
    // The application's own actors next, while the hubs still take their
    // last commands.
    stop_and_await(waiter, adopted, bound());
    adopted.clear();
    // The hubs next: a handshake in flight when the gateway stopped may
    // have had its session spawned after the snapshot above; such late
    // sessions are stopped last.
    std::vector<caf::actor> hub_handles;
    for (auto& entry : hubs)
      hub_handles.push_back(caf::actor_cast<caf::actor>(entry.second));
    stop_and_await(waiter, hub_handles, bound());
    stop_and_await(waiter, handles(registry->snapshot()), bound());
    // The cluster last among the actors: the sessions' own leave went out
    // through their hubs; the other nodes hear this one leave now.
    std::vector<caf::actor> front_handles;
    for (auto& entry : fronts)
      front_handles.push_back(caf::actor_cast<caf::actor>(entry.second));
    front_handles.insert(front_handles.end(), peers.begin(), peers.end());
    stop_and_await(waiter, front_handles, bound());
    fronts.clear();
    peers.clear();
    if (link)
      link->stop();
    stop_handlers();
    // The io_context may be the actor system's (asio_scheduler) and run on:
    // no request may reach this object's routes and REST API once it goes.
    if (gw)
      gw->refuse_requests();
    // Pending wake-ups hold actor pointers: released while the system is up.
    if (wheel)
      wheel->stop();
    // Our own loops stop here; they go (with what they hold) after the
    // gateway, in the destructor.
    if (own_loops)
      own_loops->stop();
  }

  /// Ends the event handlers, waiting (bounded) for each to drain.
  void stop_handlers() {
    // Pipeline heads first (they were added last), each waited for, so that
    // what a stage forwards reaches the next one before that one is told to
    // stop. A webhook dispatcher drains its queues (the disconnected events
    // just sent) before it goes, bounded by its drainTimeout; its HTTP
    // client needs the I/O threads, which are stopped only after this.
    auto limit = std::chrono::milliseconds{cfg.webhook.drain_timeout}
                 + std::chrono::milliseconds{1000};
    auto deadline = std::chrono::steady_clock::now() + limit;
    caf::scoped_actor waiter{sys};
    std::vector<caf::actor_addr> ended;
    for (auto h = handlers.rbegin(); h != handlers.rend(); ++h) {
      auto addr = h->address();
      if (std::find(ended.begin(), ended.end(), addr) != ended.end())
        continue; // one actor serving several hubs
      ended.push_back(addr);
      stop_and_await(waiter, {caf::actor_cast<caf::actor>(*h)}, deadline);
    }
    handlers.clear();
  }
};

service::service(config::service_config cfg) {
  auto own = std::make_unique<owned_system>(cfg);
  auto& sys = *own->sys;
  impl_ = std::make_unique<impl>(std::move(own), sys, std::move(cfg));
}

service::service(caf::actor_system& sys, config::service_config cfg)
  : impl_(std::make_unique<impl>(nullptr, sys, std::move(cfg))) {
}

service::~service() {
  stop();
}

caf::actor_system& service::system() noexcept {
  return impl_->sys;
}

void service::set_handler(const std::string& hub, handler_factory f) {
  impl_->inline_factories.erase(hub);
  impl_->factories[hub] = std::move(f);
}

void service::set_inline_handler(const std::string& hub, inline_handler_factory f) {
  impl_->factories.erase(hub);
  impl_->inline_factories[hub] = std::move(f);
}

void service::add_stage(const std::string& hub, pipeline_factory f) {
  impl_->stages[hub].push_back(std::move(f));
}

void service::register_in_process_handler(const std::string& name, handler_factory f) {
  impl_->named[name] = std::move(f);
}

void service::register_in_process_handler(const std::string& name,
                                          inline_handler_factory f) {
  impl_->named[name] = std::move(f);
}

void service::route(std::string method, std::string path, http_route_handler h) {
  if (impl_->started)
    throw std::logic_error("service::route: routes are added before start()");
  if (gateway::is_reserved_path(path))
    throw std::invalid_argument("route path '" + path
                                + "' is the service's own (/clients/, /api/, "
                                  "/health, /metrics)");
  impl_->route_check.add(method, path, {});
  impl_->app_routes.push_back({std::move(method), std::move(path), std::move(h)});
}

void service::adopt(caf::actor a) {
  if (a)
    impl_->adopted.push_back(std::move(a));
}

void service::start() {
  impl_->start();
}

void service::stop(const std::string& reason) {
  impl_->stop(reason);
}

uint16_t service::port() const {
  return impl_->gw ? impl_->gw->port() : 0;
}

std::string service::public_endpoint() const {
  return impl_->public_endpoint();
}

std::string service::connection_string() const {
  return "Endpoint=" + public_endpoint() + ";AccessKey=" + impl_->cfg.primary_key
         + ";Version=1.0;";
}

std::string service::client_url(const std::string& hub) const {
  return public_endpoint() + "/clients/socketio/hubs/" + hub;
}

std::string service::negotiate(const std::string& hub, const std::string& user_id,
                               std::chrono::seconds lifetime) const {
  using namespace std::chrono;
  auto now = duration_cast<seconds>(system_clock::now().time_since_epoch());
  std::optional<std::string> user;
  if (!user_id.empty())
    user = user_id;
  return auth::negotiate(public_endpoint(), hub,
                         {impl_->cfg.primary_key, impl_->cfg.secondary_key}, user,
                         now.count(), lifetime.count())
    .to_json();
}

hub_actor service::hub(const std::string& name) const {
  if (auto f = impl_->fronts.find(name); f != impl_->fronts.end())
    return f->second;
  auto i = impl_->hubs.find(name);
  if (i == impl_->hubs.end())
    return {};
  return i->second;
}

emitter service::io(const std::string& hub_name, std::string nsp) const {
  return emitter{hub(hub_name), std::move(nsp)};
}

const config::service_config& service::config() const {
  return impl_->cfg;
}

metrics::registry& service::metrics() {
  return *impl_->metrics;
}

const session_registry& service::sessions() const {
  return *impl_->registry;
}

} // namespace sio
