// actors/cluster_link.hpp
// A node's link to the cluster: the two Redis connections (one publishes and
// runs commands, one subscribes), the node's id and heartbeat, the table
// of live nodes, the node's record of its sockets, and the reaping of dead
// nodes. In Redis, with p = channelPrefix:
//   <p>:nodes            set of the nodes that announced themselves
//   <p>:node:<id>        exists while <id> beats (PX nodeTimeout - heartbeatInterval)
//   <p>:sockets:<id>     hash: "<hub>\x1f<connection>\x1f<socket>\x1f<nsp>" -> user id
//   <p>:reap:<id>        the node ending a dead <id>'s sockets (SET NX, 60 s)
//   <p>:kept             hash: "<hub>\x1f<pid>" -> a socket kept for recovery
//                        (cluster::kept_record, naming the node keeping it)
//   <p>:missed:<hub>:<pid>  list: the packets that socket may have missed
//                        (cluster::kept_packet), expiring after its window
// Each heartbeat a node also looks for members of <p>:nodes whose key has
// expired; the first to claim one sends its sockets' disconnected events
// (through its own hubs' handlers) and removes its records; the sockets it
// kept for recovery it takes over instead. Messages on a routed channel go to the actor that asked for
// them as (bus_atom, channel, payload). Everything it publishes goes over one
// connection, so a node's messages reach Redis, and every node, in the
// order it sent them.
#pragma once

#include "actors/socket_directory.hpp"
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

  /// This node's sockets as recorded in Redis (hash
  /// `<prefix>:sockets:<node>`): what a surviving node needs to end them if
  /// this one dies. Shared by the node's hubs.
  std::shared_ptr<socket_directory> directory();

  /// Before start(): gets the sockets of a dead node this node took over
  /// ending (on the I/O thread), with the reason for their events.
  /// The sockets it kept for recovery come taken over (their socket
  /// records are not among `sockets`).
  using orphans_handler =
    std::function<void(std::vector<socket_ref> sockets, std::vector<taken_socket> kept,
                       const std::string& reason)>;
  void on_orphans(orphans_handler h);

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace sio
