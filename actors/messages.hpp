// actors/messages.hpp
// The internal messages between the gateway, hubs and sessions (socket
// membership notices, session plumbing). The public contract is
// <sio/event_handler.hpp>, which this header includes.
#pragma once

#include "actors/atoms.hpp"
#include "actors/socket_directory.hpp"
#include "lib/http/server.hpp"
#include "lib/routing/odata_filter.hpp"

#include <sio/event_handler.hpp>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sio::http {
class ws_connection;
} // namespace sio::http

namespace sio {

/// A session reports an accepted socket (hub joins it to its groups).
struct socket_joined {
  std::string connection_id;  ///< Engine.IO sid of the session
  std::string nsp;            ///< the namespace joined
  std::string socket_id;      ///< the new socket, also its own room
  std::string user_id;        ///< the handler set this user; empty = unchanged
  std::vector<std::string> groups;  ///< groups the handler joined it to
  /// Connection state recovery: the socket's private id (its CONNECT
  /// answer's `pid`); empty when the hub has recovery off.
  std::string pid;
};

/// A session reports that a socket left its namespace.
struct socket_left {
  std::string connection_id;  ///< Engine.IO sid of the session
  std::string nsp;            ///< the namespace left
  std::string socket_id;      ///< the socket that left
  std::string reason;         ///< its disconnect reason
};

/// A session relays a client's ACK packet to its hub, which matches it to
/// an acked send by its id (acked_send_command).
struct client_ack {
  std::string connection_id;  ///< Engine.IO sid of the session
  std::string nsp;            ///< the socket's namespace
  uint64_t id = 0;            ///< the ack id the hub gave the packet
  std::string args;           ///< the ack's JSON array
  std::vector<std::string> attachments;
};

/// Session -> hub: a client's CONNECT presents the `pid` (and the last
/// `offset` it got) of a socket it lost: resume that socket on this
/// connection if the hub kept it (connection state recovery).
struct restore_request {
  std::string connection_id;  ///< the new connection (Engine.IO sid)
  std::string nsp;
  std::string pid;
  std::string offset;       ///< as the client sent it
  bool has_offset = false;  ///< false: the client got no event before
};

/// Cluster: a pid this node does not keep, claimed from the others (hub ->
/// its front, which asks every node; a node's front -> its hub, which
/// hands the socket over if it keeps it).
struct resume_claim {
  std::string pid;
  std::string nsp;
  std::string offset;
  bool has_offset = false;
};

/// A kept socket handed over to another node: it ends here without a
/// disconnected event, and the claiming node resumes it.
struct moved_socket {
  bool found = false;
  std::string socket_id;
  std::string connection_id;  ///< the lost connection (the alias to keep)
  std::string user_id;
  std::string reason;  ///< why it was lost (its disconnected event's, if it ends)
  /// Its groups: the namespace's (its rooms), and the connection's own
  /// when it was the connection's last kept socket.
  std::vector<std::string> groups;
  /// What it missed, in order, its offsets as the giving node stamped them.
  std::vector<wire_packet> missed;
};

/// The losses connection state recovery resumes from: the transport went
/// or stopped answering, or the server is shutting down (in a cluster, its
/// client resumes on another node). A client's or the server's deliberate
/// end (a REST close) is final. With recovery on, the hub sends these sockets' disconnected
/// events (when their window passes), not the session.
inline bool recoverable_loss(std::string_view reason) {
  return reason == "transport close" || reason == "transport error"
         || reason == "ping timeout" || reason == "server shutting down";
}

/// The hub's answer. When `restored`, the hub has moved the socket's rooms
/// to the new connection and queued, on the connection's fan-out path, its
/// CONNECT answer and every packet it missed: the session only marks the
/// socket connected. Otherwise the session connects a fresh socket.
struct restore_answer {
  bool restored = false;
  std::string socket_id;
  std::string user_id;  ///< the socket's user
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_joined& x) {
  return f(caf::meta::type_name("socket_joined"), x.connection_id, x.nsp,
           x.socket_id, x.user_id, x.groups, x.pid);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_left& x) {
  return f(caf::meta::type_name("socket_left"), x.connection_id, x.nsp,
           x.socket_id, x.reason);
}

// -- session plumbing (gateway <-> hub <-> session) -------------------------

/// A WebSocket handed to a session, with an id that tells its frames apart
/// from those of an earlier or concurrent (probe) WebSocket.
struct ws_link {
  uint64_t id = 0;  ///< unique per WebSocket within a session
  std::shared_ptr<http::ws_connection> conn;  ///< the framed connection
  std::string leftover;  ///< bytes that arrived right after the upgrade head
};

/// Handshake facts of a new connection (kept for the connect events).
struct handshake_info {
  multimap query;    ///< without access_token
  multimap headers;
  multimap claims;           ///< claims of the client token
  std::string user_id;       ///< token `sub`; empty when anonymous
  std::string remote_address;  ///< peer IP, for logs
  std::vector<std::string> groups;  ///< token `webpubsub.group`: joined at once
};

/// Opens a session (gateway -> hub).
struct open_session {
  std::string connection_id;  ///< the sid the gateway generated
  bool websocket = false;  ///< false: polling handshake in `ex`
  http::exchange ex;       ///< the polling handshake GET
  ws_link ws;              ///< the WebSocket of a WebSocket-only session
  handshake_info info;     ///< kept for the connect events
};

/// Session -> hub: an upgrade completed and `ws` is now the connection's
/// transport. The hub hands fan-out over to it (see fanout_handoff).
struct socket_upgraded {
  std::string connection_id;
  std::shared_ptr<http::ws_connection> ws;
};

/// The tick (tick_atom, fanout_marker_tick, round) a hub sends a session as
/// the marker of a fan-out hand-over.
constexpr uint8_t fanout_marker_tick = 4;

/// Session -> hub: the echo of a fan-out hand-over marker, sent once the
/// session has written every delivery that came before the marker;
/// `round` tells a stale echo from the current one.
struct fanout_handoff {
  std::string connection_id;
  uint64_t round = 0;
};

/// Cluster -> hub: sockets of a node that died, which this node ends for
/// it: the hub's handler gets each one's disconnected_event.
struct orphaned_sockets {
  std::vector<socket_ref> sockets;
  std::string reason;
  /// The sockets it kept for recovery, taken over: kept here now, for
  /// what is left of their windows.
  std::vector<taken_socket> kept;
};

/// Cluster: what socket_directory::take_kept found for a resume the hub
/// could not serve from its memory or the other nodes' (request `id`).
struct kept_taken {
  uint64_t id = 0;
  std::optional<taken_socket> socket;
};

// -- adapter peer <-> hub (a Node.js Redis adapter's requests) -------------

/// What a Node peer's fetchSockets shows of a connection's handshake,
/// kept by the hub (cluster mode only) and shared by its sockets.
struct handshake_facts {
  std::string packed;          ///< pack_handshake(): query, headers, claims
  std::string remote_address;
  int64_t issued_ms = 0;       ///< when the hub opened the session
};

/// The local sockets of `nsp` in any of `rooms` (every socket of `nsp` when
/// empty) and in none of `except` (Socket.IO room names, a socket's own id
/// included: they map to routing::room_group(nsp, room)).
struct sockets_query {
  std::string nsp;
  std::vector<std::string> rooms;
  std::vector<std::string> except;
};

/// One socket of a sockets_query answer.
struct socket_facts {
  std::string socket_id;
  std::string connection_id;
  std::string user_id;
  /// Its rooms in the namespace, decoded; its own id first.
  std::vector<std::string> rooms;
  /// Null when the hub keeps no handshakes (outside a cluster).
  std::shared_ptr<const handshake_facts> handshake;
};

struct sockets_answer {
  std::vector<socket_facts> sockets;
};

} // namespace sio

// Local-only messages: they carry sockets and HTTP exchanges.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::ws_link)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::open_session)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::socket_upgraded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::fanout_handoff)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::client_ack)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::restore_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::restore_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::resume_claim)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::moved_socket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::orphaned_sockets)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::kept_taken)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::http::exchange)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::sockets_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::sockets_answer)
