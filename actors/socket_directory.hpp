// actors/socket_directory.hpp
// Where a hub records its sockets beyond its own memory: in a cluster, the
// node's entry in Redis, so that another node can send the `disconnected`
// events of this node's sockets if it dies, and take over the sockets it
// keeps for connection state recovery (lib/cluster/kept_session.hpp).
// Called from the hub's actor; implementations must not block.
#pragma once

#include "lib/cluster/kept_session.hpp"

#include <sio/event_handler.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sio {

/// A kept socket taken from Redis: its hub, its pid, its record, its
/// packets (encode_kept_packet), in order.
struct taken_socket {
  std::string hub;
  std::string pid;
  cluster::kept_record record;
  std::vector<std::string> packets;
};

class socket_directory {
public:
  virtual ~socket_directory() = default;

  /// A socket was accepted (its user id is final).
  virtual void joined(const socket_ref& socket) = 0;

  /// A socket is gone (its user id may be empty here).
  virtual void left(const socket_ref& socket) = 0;

  // -- kept sockets (connection state recovery) ------------------------------

  /// Hub `hub` keeps socket `pid` (the record's node is filled in), with
  /// the packets it may have missed so far (encode_kept_packet).
  virtual void kept(const std::string& /*hub*/, const std::string& /*pid*/,
                    cluster::kept_record /*record*/, std::vector<std::string> /*packets*/) {}

  /// Kept socket `pid`'s record changed (its rooms); its packets stay.
  virtual void kept_changed(const std::string& /*hub*/, const std::string& /*pid*/,
                            cluster::kept_record /*record*/) {}

  /// A kept socket and the end of its window (ms since the epoch).
  using kept_ref = std::pair<std::string /*pid*/, int64_t /*expires_ms*/>;

  /// One more packet (encode_kept_packet) that each of `sockets` missed,
  /// after the ones before: one command for all of them.
  virtual void missed(const std::string& /*hub*/, const std::vector<kept_ref>& /*sockets*/,
                      std::string /*packet*/) {}

  /// Socket `pid` is no longer kept here (it resumed or ended).
  virtual void kept_ended(const std::string& /*hub*/, const std::string& /*pid*/) {}

  /// What take_kept() found, if anything.
  using taken_handler = std::function<void(std::optional<taken_socket>)>;

  /// Takes kept socket `pid` from a node that no longer lives, or from
  /// this node's previous run (one taker wins). `done` runs on another
  /// thread, with nothing when no such socket is kept, its node lives,
  /// or another node took it first.
  virtual void take_kept(const std::string& /*hub*/, const std::string& /*pid*/,
                         taken_handler done) {
    done(std::nullopt);
  }
};

} // namespace sio
