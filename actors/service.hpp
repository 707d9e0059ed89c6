// actors/service.hpp
// The service builder: turns a service_config into running hubs, handler
// pipelines and the gateway on an Asio io_context. Applications plug their
// own event_handler actors into hubs before start().
#pragma once

#include "actors/gateway.hpp"
#include "actors/hub.hpp"
#include "actors/rest_api.hpp"
#include <sio/config.hpp>
#include "lib/http/loop_pool.hpp"

#include <caf/actor_system.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sio {

/// Makes a hub's event handler; gets the hub so that it can send to it.
using handler_factory =
  std::function<event_handler_actor(caf::actor_system&, hub_actor)>;

/// Makes a hub's inline handler (<sio/inline_handler.hpp>); gets the hub
/// so that it can send to it.
using inline_handler_factory =
  std::function<inline_handler_ptr(caf::actor_system&, hub_actor)>;

/// Puts application stages in front of a hub's configured handler: gets
/// the hub and `next` (the handler the config or set_handler /
/// set_inline_handler selects: webhook dispatcher, in-process handler
/// (an inline one wrapped by spawn_inline_handler_actor), or an invalid
/// handle for none) and returns the head
/// of the pipeline. Stages should link_to() their next stage so that a
/// shutdown of the head ends the whole pipeline.
using pipeline_factory = std::function<event_handler_actor(
  caf::actor_system&, hub_actor, event_handler_actor next)>;

/// A running service: hubs, their handlers, and the network layer.
class service {
public:
  /// Builds nothing yet; hubs and the network start in start(). An empty
  /// primary key is replaced by a generated one.
  service(caf::actor_system& sys, config::service_config cfg);
  /// Calls stop().
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// Uses `f` for the hub `hub` (instead of its configured handler or an
  /// earlier set_inline_handler).
  void set_handler(const std::string& hub, handler_factory f);

  /// Uses the inline handler `f` makes for the hub `hub` (instead of its
  /// configured handler or an earlier set_handler): its sessions call it
  /// directly, see <sio/inline_handler.hpp> for when that fits.
  void set_inline_handler(const std::string& hub, inline_handler_factory f);

  /// Wraps the configured handler of `hub` in a pipeline (see
  /// pipeline_factory); examples/custom-pipeline shows one.
  void set_pipeline(const std::string& hub, pipeline_factory f);

  /// Handles requests no Engine.IO endpoint claims (REST, app routes).
  void set_fallback(fallback_handler fn);

  /// Spawns hubs and handlers, binds, and runs the I/O threads.
  void start();

  /// Stops accepting, closes every session with `reason`, stops I/O. It
  /// waits for actors: call it from a thread of your own (main, a signal
  /// handler's), never from an actor or an I/O handler.
  void stop(const std::string& reason = "forced server close");

  /// The bound port.
  uint16_t port() const;
  /// scheme://host:port clients and backends use.
  std::string public_endpoint() const;
  /// Endpoint=...;AccessKey=...;Version=1.0;
  std::string connection_string() const;
  /// {public endpoint}/clients/socketio/hubs/{hub}
  std::string client_url(const std::string& hub) const;
  /// The hub actor by name (invalid handle if unknown).
  hub_actor hub(const std::string& name) const;
  /// Every open Engine.IO session by sid (the REST connection id): a
  /// custom actor can find a connection's session here, and end it with an
  /// exit message (its sockets get their disconnected events).
  const session_registry& sessions() const { return *registry_; }
  /// The service's metrics (GET /metrics renders them).
  metrics::registry& metrics() { return *metrics_; }
  /// The effective configuration (with generated keys filled in).
  const config::service_config& config() const { return cfg_; }

private:
  /// Ends the event handlers, waiting (bounded) for each to drain.
  void stop_handlers();

  caf::actor_system& sys_;
  config::service_config cfg_;
  std::map<std::string, handler_factory> factories_;
  std::map<std::string, inline_handler_factory> inline_factories_;
  std::map<std::string, pipeline_factory> pipelines_;
  std::map<std::string, hub_full_actor> hubs_;
  std::vector<event_handler_actor> handlers_;
  std::shared_ptr<session_registry> registry_;
  std::shared_ptr<metrics::registry> metrics_;
  /// Heartbeat wake-ups of every session (shared with the hubs' settings).
  std::shared_ptr<tick_wheel> wheel_;
  /// The network's event loops when the actor system's scheduler is not an
  /// asio_scheduler (whose loop threads otherwise do the I/O): ioThreads
  /// loops, a thread each.
  std::unique_ptr<http::loop_pool> own_loops_;
  /// The first loop (listener, timers, HTTP clients): own_loops_'s or the
  /// asio_scheduler's.
  asio::io_context& io_;
  std::unique_ptr<gateway> gateway_;
  std::unique_ptr<rest_api> rest_;
  fallback_handler fallback_;
  bool stopped_ = false;
};

} // namespace sio
