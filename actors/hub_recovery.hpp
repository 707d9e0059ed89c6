// actors/hub_recovery.hpp
// Internal to the hub actor: connection state recovery. A hub with
// `connectionStateRecovery` stamps an offset on every event it sends and
// logs the send; a socket lost abnormally is kept (its connection entry
// stays in the indexes, "away", with its rooms and user) until its client
// comes back with the socket's pid, which moves the socket onto the new
// connection and replays from the log what it missed, or until the window
// passes and the hub sends its disconnected event.
#pragma once

#include "actors/messages.hpp"
#include "lib/cluster/kept_session.hpp"

#include <sio/config.hpp>
#include <sio/event_handler.hpp>

#include "lib/metrics/metrics.hpp"

#include <caf/actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace sio::hub_parts {

/// One event packet of a logged send: its offset, its namespace and its
/// frames in the send's stamped batch (the text, then its attachments).
struct logged_packet {
  uint64_t offset = 0;
  std::string nsp;
  uint32_t first = 0;
  uint32_t count = 0;
};

/// A send as the log keeps it: whom it addressed (evaluated again for a
/// socket that resumes) and what it carried, offsets stamped.
struct logged_send {
  target to;
  wire_batch batch;
  std::vector<logged_packet> packets;
  size_t bytes = 0;
  int64_t sent_ms = 0;
};

/// A connected socket of the hub, as keeping it would need it.
struct recoverable_socket {
  std::string nsp;
  std::string socket_id;
  std::string pid;
  uint64_t joined_after = 0;  ///< the last offset given before it joined
  /// The last offset its client got from another node (it resumed here
  /// from there and got nothing here since): an offset this hub did not give.
  std::string foreign_offset;
};

/// A socket lost abnormally, kept for its client until `expires_ms`.
struct kept_socket {
  std::string connection_id;  ///< the lost connection (an away entry)
  std::string nsp;
  std::string socket_id;
  std::string reason;  ///< why it was lost: its disconnected event's reason
  uint64_t joined_after = 0;
  int64_t expires_ms = 0;
  std::string foreign_offset;  ///< see recoverable_socket
  /// Taken over from a node that died (cluster): what it may have missed
  /// there, with that node's offsets; what it missed here since is in the
  /// log after joined_after.
  bool adopted = false;
  std::vector<cluster::kept_packet> carried;
  /// Packets and bytes written to Redis for it (socket_directory::missed),
  /// up to one past the per-socket bounds.
  uint32_t mirrored_packets = 0;
  size_t mirrored_bytes = 0;
};

/// A resume that waits for socket_directory::take_kept.
struct pending_take {
  restore_request request;
  caf::typed_response_promise<restore_answer> answer;
};

struct recovery_state {
  config::recovery_setting cfg;
  /// How long a send stays logged: the window, plus the longest a loss can
  /// take to be noticed (pingInterval + pingTimeout: a send older than the
  /// client's last pong reached it), plus a second.
  int64_t log_age_ms = 0;
  uint64_t last_offset = 0;
  /// The highest offset dropped by the count or byte bound (not by age):
  /// a socket that may have missed it cannot be restored exactly.
  uint64_t evicted_through = 0;
  std::deque<logged_send> log;
  size_t log_packets = 0;
  size_t log_bytes = 0;
  /// connection id -> its connected sockets
  std::unordered_map<std::string, std::vector<recoverable_socket>> live;
  /// pid -> a kept socket
  std::unordered_map<std::string, kept_socket> kept;
  /// connection id of an away entry -> the pids of its kept sockets
  std::unordered_map<std::string, std::vector<std::string>> away;
  /// Resumes waiting for Redis (cluster), by id.
  std::unordered_map<uint64_t, pending_take> takes;
  uint64_t last_take = 0;
  /// A lost connection id -> the connection its socket resumed on (REST
  /// calls naming the old id reach the new one), and the other way.
  std::unordered_map<std::string, std::string> alias;
  std::unordered_map<std::string, std::vector<std::string>> aliased_by;
  bool sweeping = false;  ///< a sweep_atom is on its way
  /// Cluster: the hub's front, which claims from the other nodes a pid
  /// this hub does not keep (null outside a cluster).
  caf::actor front;

  metrics::gauge* kept_gauge = nullptr;           ///< sio_recovery_kept_sessions
  metrics::counter* recovered = nullptr;          ///< sio_recovery_recovered_total
  metrics::counter* expired = nullptr;            ///< sio_recovery_expired_total
  metrics::counter* refused_size = nullptr;       ///< sio_recovery_refused_total{reason="size"}
  metrics::counter* refused_unknown = nullptr;    ///< ...{reason="unknown"}
};

} // namespace sio::hub_parts
