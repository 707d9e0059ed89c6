// actors/cluster_link.hpp
// A node's link to the cluster: the two Redis connections (one publishes and
// runs commands, one subscribes), the node's id and heartbeat, and the table
// of live nodes. Messages on a routed channel go to the actor that asked for
// them as (bus_atom, channel, payload). Everything it publishes goes over one
// connection, so a node's messages reach Redis, and every node, in the
// order it sent them.
#pragma once

#include <sio/config.hpp>

#include <caf/actor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace asio {
class io_context;
}

namespace sio::metrics {
class registry;
}

namespace sio {

class cluster_link {
public:
  /// Throws std::invalid_argument when cfg.redis is not a valid URL.
  cluster_link(asio::io_context& io, config::cluster_setting cfg,
               std::shared_ptr<metrics::registry> metrics);
  ~cluster_link();

  cluster_link(const cluster_link&) = delete;
  cluster_link& operator=(const cluster_link&) = delete;

  const std::string& node_id() const noexcept;
  const config::cluster_setting& settings() const noexcept;

  /// Before start(): messages on `channel` go to `to`.
  void route(std::string channel, caf::actor to);

  /// Before start(): messages on channels matching `pattern` (Redis glob)
  /// go to `to`.
  void route_pattern(std::string pattern, caf::actor to);

  /// Any time, from any thread: messages on `channel` go to `to` (the
  /// subscriber connection subscribes now if up, and again after every
  /// reconnect). A channel already routed keeps its first actor; false then.
  bool add_route(std::string channel, caf::actor to);

  /// Connects (and keeps reconnecting), subscribes, starts the heartbeat.
  void start();

  /// Announces the node's leave and closes both connections.
  void stop();

  /// What publish() reports: ok, or why not (Redis down, ...).
  using done_handler = std::function<void(bool ok, const std::string& error)>;

  /// PUBLISH from any thread; `done` runs on the I/O thread once Redis
  /// accepted it, or failed.
  void publish(std::string channel, std::string payload, done_handler done);

  /// Both connections are up.
  bool up() const;

  /// Why the link is not up ("" when it is).
  std::string down_reason() const;

  /// Nodes whose heartbeat is newer than nodeTimeout, this one included.
  std::vector<std::string> live_nodes() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace sio
