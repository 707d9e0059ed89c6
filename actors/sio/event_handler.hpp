// sio/event_handler.hpp (actors/sio/event_handler.hpp)
// The light contract between the service and an application: the events a
// hub sends its event handler and the answers it takes (verdicts, replies),
// the event_handler actor interface, and the commands an application sends a
// hub (send, membership, disconnect, close, queries). Plain values only, so
// that hub commands can be relayed between nodes. Includes CAF's typed actor
// headers and the standard library only: no Asio, OpenSSL or HTTP header.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sio::routing {
class odata_filter;
} // namespace sio::routing

namespace sio {

/// Asks a hub for its hub_stats.
using stats_atom = caf::atom_constant<caf::atom("stats")>;

/// Name/values pairs in the shape of the connect webhook's `claims`,
/// `query` and `headers` (every value is a list of strings).
using multimap = std::vector<std::pair<std::string, std::vector<std::string>>>;

/// Identifies one socket: a namespace connection on one Engine.IO connection.
struct socket_ref {
  std::string hub;            ///< hub name
  std::string connection_id;  ///< Engine.IO sid, shared by all its sockets
  std::string nsp;            ///< namespace, e.g. "/" or "/chat"
  std::string socket_id;      ///< the id sent to the client in 40{"sid":..}
  std::string user_id;        ///< token `sub`; empty when anonymous
};

/// A socket asks to join a namespace (Socket.IO CONNECT). Answer with a
/// connect_verdict; the socket exists only if it is accepted.
struct connect_event {
  socket_ref socket;  ///< the socket asking to join
  multimap claims;   ///< claims of the connection's token
  multimap query;    ///< handshake query, without access_token
  multimap headers;  ///< handshake request headers
  std::string auth;  ///< the CONNECT payload (JSON object text) or empty
};

/// The answer to a connect_event.
struct connect_verdict {
  bool accepted = true;  ///< false: the client gets CONNECT_ERROR
  /// When rejected: the CONNECT_ERROR payload, a JSON object text such as
  /// {"message":"Not authorized"}.
  std::string error;
  /// When accepted: non-empty sets the user id of the socket's connection
  /// (REST user routes, ce-userId of its later events), as a Web PubSub
  /// connect answer's `userId` does.
  std::string user_id;
  /// When accepted: groups the connection joins at once (REST group names,
  /// e.g. routing::room_group(nsp, room)); invalid names are skipped.
  std::vector<std::string> groups;

  /// Lets the socket in.
  static connect_verdict accept() { return {}; }
  /// Lets the socket in as user `user` (empty: unchanged), joined to
  /// `groups`.
  static connect_verdict accept_as(std::string user,
                                   std::vector<std::string> groups = {}) {
    connect_verdict v;
    v.user_id = std::move(user);
    v.groups = std::move(groups);
    return v;
  }
  /// Turns the socket away with `error_json` as the CONNECT_ERROR payload
  /// (sio::error_payload("why") builds {"message":"why"}).
  static connect_verdict reject(std::string error_json) {
    connect_verdict v;
    v.accepted = false;
    v.error = std::move(error_json);
    return v;
  }
};

/// A socket was accepted and its CONNECT reply is on its way (async).
struct connected_event {
  socket_ref socket;  ///< the accepted socket
};

/// An accepted socket is gone (async): exactly once each, none if rejected.
struct disconnected_event {
  socket_ref socket;  ///< the socket that left
  /// "" for a client DISCONNECT or close, otherwise a Socket.IO reason such
  /// as "ping timeout" or "transport close".
  std::string reason;
};

/// A client emitted an event. Answer with a message_reply.
struct message_event {
  socket_ref socket;       ///< the sending socket
  std::string event_name;  ///< first array element (numbers as text)
  /// The Engine.IO message packet text as received, leading '4' included,
  /// e.g. `42/chat,7["hello","world"]` (webhook body; protocol.md §4.7).
  std::string packet;
  std::vector<std::string> attachments;  ///< binary attachments, in order
  bool has_ack = false;                  ///< the client waits for an ack
  uint64_t ack_id = 0;                   ///< valid when has_ack
  /// Offset in `packet` just past the event array's element [0] (the
  /// name), where the arguments follow; set by the client session, which
  /// has validated the packet, so that parse_event slices the arguments
  /// instead of decoding the packet again. 0 = not known (parse_event then
  /// decodes and validates `packet` itself): leave it 0 when building an
  /// event by hand, and set it to 0 when a pipeline stage rewrites `packet`
  /// before passing the event on.
  size_t args_offset = 0;
};

/// The answer to a message_event: an Engine.IO payload relayed verbatim to
/// the sending connection (e.g. the ack `43/chat,7["ok"]`), or nothing.
struct message_reply {
  std::string payload;  ///< Engine.IO payload text; empty = send nothing
  /// Non-empty: the handler cannot take this connection's events any more
  /// (e.g. its backlog is full); the session closes the Engine.IO
  /// connection with this reason, which the disconnected events carry.
  std::string close_reason;

  message_reply() = default;
  /// Relays `engineio_payload` (e.g. an ack) to the sender.
  message_reply(std::string engineio_payload)
    : payload(std::move(engineio_payload)) {}

  /// Asks the session to close the sender's connection because of `why`.
  static message_reply close(std::string why) {
    message_reply r;
    r.close_reason = std::move(why);
    return r;
  }
};

/// One Engine.IO packet in WebSocket frame form (text `42[...]` or raw
/// bytes), encoded once and shared by every recipient of a fan-out.
struct wire_packet {
  bool binary = false;  ///< a binary frame (attachment) rather than text
  std::shared_ptr<const std::string> frame;  ///< the frame payload
};

/// Packets delivered together, in order (one REST send, one reply).
using wire_batch = std::shared_ptr<const std::vector<wire_packet>>;

/// Which connections a hub command addresses (the REST API's routes).
enum class target_kind : uint8_t {
  all = 0,         ///< every connection of the hub
  group = 1,       ///< the members of `name` (namespace, room or socket group)
  connection = 2,  ///< the connection `name`
  user = 3,        ///< the connections of user `name`
};

/// A set of connections: a route, minus `excluded`, filtered by `filter`.
struct target {
  target_kind kind = target_kind::all;  ///< which route
  std::string name;  ///< group, connection id or user id; unused for `all`
  std::vector<std::string> excluded;  ///< connection ids to skip
  /// kind `group` only: more groups; the target is the union of `name`
  /// and these (a connection in several of them is addressed once).
  std::vector<std::string> extra_groups;
  /// Connections in any of these groups are skipped (Socket.IO's
  /// `except(room)`).
  std::vector<std::string> excluded_groups;
  /// An OData filter parsed once by the caller; null = no filter.
  std::shared_ptr<const routing::odata_filter> filter;

  /// Every connection of the hub.
  static target all() { return {}; }
  /// The connections of user `id`.
  static target user(std::string id) {
    return {target_kind::user, std::move(id), {}, {}, {}, nullptr};
  }
  /// The members of group `g` (e.g. routing::namespace_group("/")).
  static target group(std::string g) {
    return {target_kind::group, std::move(g), {}, {}, {}, nullptr};
  }
  /// The one connection with Engine.IO sid `id`.
  static target connection(std::string id) {
    return {target_kind::connection, std::move(id), {}, {}, {}, nullptr};
  }
};

/// Delivers packets to the target's connections (fan-out, encoded once).
struct send_command {
  target to;
  wire_batch packets;
};

/// Disconnects the target's sockets in namespace `nsp` (the client gets a
/// bare DISCONNECT); closes their Engine.IO connections when `close`.
struct disconnect_command {
  target to;
  std::string nsp;
  bool close = false;
};

/// Closes the target's Engine.IO connections.
struct close_command {
  target to;
  std::string reason;
};

/// Adds the target's connections to `groups` (or removes them). The reply
/// is the number of connections affected.
struct membership_command {
  target to;
  std::vector<std::string> groups;
  bool add = true;
};

/// Does the target have any connection? (existence checks)
struct exists_query {
  target to;
};

/// One connection of a listing.
struct connection_info {
  std::string connection_id;
  std::string user_id;  ///< empty when anonymous
};

/// Lists the target's connections, at most `max`.
struct list_query {
  target to;
  size_t max = 200;
};

/// Sends one event to the target's sockets in namespace `nsp`, each with
/// its own ack id, and answers (an ack_result) once every one of them has
/// acked or `timeout` has passed: Node's
/// `io.to(room).timeout(ms).emitWithAck(...)`. Connections of the target
/// with no socket in `nsp` are not recipients.
struct acked_send_command {
  target to;
  std::string nsp = "/";
  /// The event's JSON array, `["name",...args]`; binary arguments as
  /// placeholders `{"_placeholder":true,"num":k}` for `attachments[k]`.
  std::string data;
  std::vector<std::string> attachments;
  /// How long the hub waits for the acks (1 ms to 60 s; clamped).
  std::chrono::milliseconds timeout{5000};
};

/// One socket's answer to an acked send.
struct socket_ack {
  std::string socket_id;
  std::string connection_id;
  std::string user_id;  ///< empty when anonymous
  /// The ack's arguments as a JSON array; binary ones as placeholders for
  /// `attachments`, as in acked_send_command::data.
  std::string args;
  std::vector<std::string> attachments;
};

/// A recipient of an acked send that did not answer.
struct socket_no_ack {
  std::string socket_id;
  std::string connection_id;
  /// Empty when the timeout passed; else why the socket went while awaited
  /// (its disconnect reason: "transport close", "ping timeout", ...).
  std::string reason;
};

/// The answer to an acked_send_command.
struct ack_result {
  std::vector<socket_ack> acks;          ///< in the order they came
  std::vector<socket_no_ack> timed_out;  ///< no answer in time, or gone
  /// Non-empty when nothing was sent because a bound was reached (too
  /// many acked sends awaited in the hub, or for one of the sockets).
  std::string refused;
};

/// One socket of a socket listing (Node's `fetchSockets()`).
struct socket_info {
  std::string socket_id;
  std::string connection_id;
  std::string user_id;  ///< empty when anonymous
  std::string nsp;
  /// Its Socket.IO rooms (decoded names): its own id first, then the
  /// rooms it joined, in name order.
  std::vector<std::string> rooms;
  bool websocket = false;       ///< transport: WebSocket, else long-polling
  std::string remote_address;   ///< the client's IP address
  int64_t connected_at_ms = 0;  ///< its connection's start, ms since the epoch
};

/// Lists the target's sockets in `nsp` (every namespace when empty), in
/// socket id order, starting after socket id `after`; at most `max`.
struct socket_list_query {
  target to;
  std::string nsp;
  std::string after;
  size_t max = 200;
};

/// A page of a socket listing.
struct socket_page {
  std::vector<socket_info> sockets;
  bool more = false;  ///< more sockets follow the last one
};

/// Counters a hub reports (tests, metrics).
struct hub_stats {
  uint64_t connections = 0;  ///< open Engine.IO connections (sessions)
  uint64_t groups = 0;       ///< groups in the group index
  uint64_t kept = 0;         ///< lost sockets kept for recovery
};

// -- the interfaces ----------------------------------------------------------

/// Where a hub sends every socket's lifecycle and events:
/// connect -> verdict (sync), connected / disconnected (async),
/// message -> reply (sync; the reply payload is relayed to the client).
/// Sessions send to the handler directly; a connect verdict that does not
/// come within the handler timeout rejects the connect. Message replies are
/// not timed: a session bounds how many of its events await the handler.
/// For every accepted socket the handler gets exactly one connected_event
/// and, later, exactly one disconnected_event (also when the service stops);
/// a rejected socket gets neither.
/// The webhook dispatcher speaks it over HTTP; sio::handler and sio::stage
/// (<sio/handler.hpp>) implement it for application code.
using event_handler_actor = caf::typed_actor<
  caf::replies_to<connect_event>::with<connect_verdict>,
  caf::reacts_to<connected_event>,
  caf::reacts_to<disconnected_event>,
  caf::replies_to<message_event>::with<message_reply>>;

/// The commands a hub takes from application code and the REST API. Send
/// the `reacts_to` ones with send/anon_send; the `replies_to` ones want
/// request(...) (or sio::emitter, <sio/emitter.hpp>, which does either).
using hub_actor = caf::typed_actor<
  caf::reacts_to<send_command>,
  caf::reacts_to<disconnect_command>,
  caf::reacts_to<close_command>,
  caf::replies_to<membership_command>::with<uint64_t>,
  caf::replies_to<exists_query>::with<bool>,
  caf::replies_to<list_query>::with<std::vector<connection_info>>,
  caf::replies_to<acked_send_command>::with<ack_result>,
  caf::replies_to<socket_list_query>::with<socket_page>,
  caf::replies_to<stats_atom>::with<hub_stats>>;

// -- inspection (CAF 0.17 style; printing and type checks) ------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_ref& x) {
  return f(caf::meta::type_name("socket_ref"), x.hub, x.connection_id, x.nsp,
           x.socket_id, x.user_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connect_event& x) {
  return f(caf::meta::type_name("connect_event"), x.socket, x.claims, x.query,
           x.headers, x.auth);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connect_verdict& x) {
  return f(caf::meta::type_name("connect_verdict"), x.accepted, x.error,
           x.user_id, x.groups);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connected_event& x) {
  return f(caf::meta::type_name("connected_event"), x.socket);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, disconnected_event& x) {
  return f(caf::meta::type_name("disconnected_event"), x.socket, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message_event& x) {
  return f(caf::meta::type_name("message_event"), x.socket, x.event_name,
           x.packet, x.attachments, x.has_ack, x.ack_id, x.args_offset);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message_reply& x) {
  return f(caf::meta::type_name("message_reply"), x.payload, x.close_reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_info& x) {
  return f(caf::meta::type_name("connection_info"), x.connection_id, x.user_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_ack& x) {
  return f(caf::meta::type_name("socket_ack"), x.socket_id, x.connection_id,
           x.user_id, x.args, x.attachments);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_no_ack& x) {
  return f(caf::meta::type_name("socket_no_ack"), x.socket_id, x.connection_id,
           x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ack_result& x) {
  return f(caf::meta::type_name("ack_result"), x.acks, x.timed_out, x.refused);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_info& x) {
  return f(caf::meta::type_name("socket_info"), x.socket_id, x.connection_id,
           x.user_id, x.nsp, x.rooms, x.websocket, x.remote_address,
           x.connected_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_page& x) {
  return f(caf::meta::type_name("socket_page"), x.sockets, x.more);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hub_stats& x) {
  return f(caf::meta::type_name("hub_stats"), x.connections, x.groups, x.kept);
}


} // namespace sio

// Local-only messages: they carry shared buffers, so they are never
// serialized (a multi-node version relays plain copies instead).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::wire_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::send_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::disconnect_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::close_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::membership_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::exists_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::list_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::acked_send_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::socket_list_query)
