// sio/service.hpp (actors/sio/service.hpp)
// The service builder: turns a service_config into running hubs, their
// event handlers, the REST API and the network, inside an application's
// process. A whole backend:
//
//   sio::service svc{cfg};                       // actor system from cfg
//   svc.use<auth_stage>("game", secret);         // middleware
//   svc.handle<game>("game");                    // the hub's handler
//   svc.route("GET", "/scores", scores);         // an HTTP route
//   return sio::run_until_signal(svc);           // <sio/run.hpp>
#pragma once

#include <sio/config.hpp>
#include <sio/emitter.hpp>
#include <sio/event_handler.hpp>
#include <sio/handler.hpp>
#include <sio/http_route.hpp>
#include <sio/inline_handler.hpp>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace sio {

namespace metrics {
class registry;
} // namespace metrics

class session_registry;


/// Makes a hub's event handler; gets the hub so that it can send to it.
using handler_factory =
  std::function<event_handler_actor(caf::actor_system&, hub_actor)>;

/// Makes a hub's inline handler (<sio/inline_handler.hpp>); gets the hub.
using inline_handler_factory =
  std::function<inline_handler_ptr(caf::actor_system&, hub_actor)>;

/// Puts a stage in front of `next`: gets the hub and the handler behind it
/// and returns the new head. Stages should link_to() their next one so that
/// ending the head ends the whole pipeline (spawn_stage does).
using pipeline_factory = std::function<event_handler_actor(
  caf::actor_system&, hub_actor, event_handler_actor next)>;

/// Sets `cfg` up as the service's config would: its message types, the
/// scheduler (`scheduler`, `workerThreads`, `ioThreads`) and quiet CAF
/// logs. For applications that make the actor system themselves.
void configure_actor_system(caf::actor_system_config& cfg,
                            const config::service_config& service_cfg);

/// A running service: hubs, their handlers, and the network layer.
class service {
public:
  /// A service with an actor system of its own, made from `cfg` exactly as
  /// sio-server makes it (configure_actor_system). An empty primary key is
  /// replaced by a generated one.
  explicit service(config::service_config cfg);
  /// A service on the application's actor system (configure it with
  /// configure_actor_system to honour `scheduler` and `workerThreads`).
  service(caf::actor_system& sys, config::service_config cfg);
  /// Calls stop().
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// The actor system the service runs on.
  caf::actor_system& system() noexcept;

  // -- a hub's event handler (before start()) ------------------------------

  /// Runs an `H` (a sio::handler) made from `args` as the handler of `hub`.
  template <class H, class... Ts>
  void handle(const std::string& hub, Ts... args) {
    set_handler(hub, [args...](caf::actor_system& sys, hub_actor h) {
      return spawn_handler(sys, std::move(h), std::make_unique<H>(args...));
    });
  }
  /// Puts an `S` (a sio::stage) made from `args` in front of the handler of
  /// `hub`; the first use() is the outermost stage, as in Node's io.use().
  template <class S, class... Ts>
  void use(const std::string& hub, Ts... args) {
    add_stage(hub, [args...](caf::actor_system& sys, hub_actor h,
                             event_handler_actor next) {
      return spawn_stage(sys, std::move(h), std::move(next),
                         std::make_unique<S>(args...));
    });
  }
  /// Uses `f` for the handler of `hub` (instead of its configured handler).
  void set_handler(const std::string& hub, handler_factory f);
  /// Uses the inline handler `f` makes for `hub`: its sessions call it
  /// directly (see <sio/inline_handler.hpp> for when that fits).
  void set_inline_handler(const std::string& hub, inline_handler_factory f);
  /// Adds a stage in front of the handler of `hub` (see use()).
  void add_stage(const std::string& hub, pipeline_factory f);
  /// Names an in-process handler that a hub's config selects with
  /// `"inProcessHandler": name` (config.md).
  void register_in_process_handler(const std::string& name, handler_factory f);
  /// The same for an inline handler.
  void register_in_process_handler(const std::string& name,
                                   inline_handler_factory f);

  // -- HTTP -----------------------------------------------------------------

  /// Serves `method` `path` with `h`. A path ending in "/*" serves every
  /// path under it (http_request::rest has the remainder). Paths under
  /// /clients/ and /api/, /health and /metrics are the service's: asking
  /// for them throws std::invalid_argument, as does a route given twice.
  void route(std::string method, std::string path, http_route_handler h);

  // -- application actors ---------------------------------------------------

  /// Ties `a` to the service: stop() ends it (and waits for it, bounded)
  /// before the hubs, so an application's actor never holds shutdown up.
  void adopt(caf::actor a);

  // -- running --------------------------------------------------------------

  /// Spawns hubs and handlers, binds, and runs the I/O threads. Throws
  /// std::runtime_error when it cannot (e.g. the port is taken).
  void start();
  /// Stops accepting, closes every session with `reason` (each accepted
  /// socket's handler gets its disconnected event), ends adopted actors,
  /// handlers and I/O. Call it from a thread of your own (main), never from
  /// an actor or an I/O handler.
  void stop(const std::string& reason = "forced server close");

  /// The bound port.
  uint16_t port() const;
  /// scheme://host:port clients and backends use.
  std::string public_endpoint() const;
  /// Endpoint=...;AccessKey=...;Version=1.0;
  std::string connection_string() const;
  /// {public endpoint}/clients/socketio/hubs/{hub}
  std::string client_url(const std::string& hub) const;
  /// The negotiate answer a backend gives a client of `hub` (the client
  /// workflow's first step): {"endpoint":..,"path":..,"token":..} with a
  /// token signed by the primary key, `sub` = `user_id` unless empty, valid
  /// for `lifetime`. Authenticate the user before handing it out.
  std::string negotiate(const std::string& hub, const std::string& user_id = {},
                        std::chrono::seconds lifetime = std::chrono::hours{1}) const;
  /// The hub actor by name (invalid handle if unknown; valid after start()).
  hub_actor hub(const std::string& name) const;
  /// Sends to the sockets of `hub` in namespace `nsp` (after start()).
  emitter io(const std::string& hub, std::string nsp = "/") const;
  /// The effective configuration (with generated keys filled in).
  const config::service_config& config() const;
  /// The service's metrics (GET /metrics renders them).
  metrics::registry& metrics();
  /// Every open Engine.IO session by sid (an internal view: the library's
  /// tests and tools include actors/client_session.hpp to use it).
  const session_registry& sessions() const;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace sio
