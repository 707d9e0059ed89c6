// lib/cluster/adapter_requests.hpp
// Requests and responses of @socket.io/redis-adapter 8.3 (and the emitter's
// requests), published on "<key>-request#<nsp>#" and
// "<key>-response#<nsp>#[<uid>#]" (adapter_channels.hpp). JSON text, except
// BROADCAST (7) requests and BROADCAST_ACK (9) responses, which are msgpack
// (a receiver tells them apart by the first byte: '{' is JSON).
//
// What a Node peer sends and waits for (dist/index.js, 8.3.0):
// - Server count: `PUBSUB NUMSUB <key>-request#<nsp>#`, itself included.
//   So each of our nodes SUBSCRIBEs that channel on exactly one connection
//   per namespace, and answers every request that expects an answer, even
//   with nothing to report. It subscribes also to <key>-response#<nsp>#
//   (and its own <key>-response#<nsp>#<uid>#) for the answers it awaits.
// - Answers go to <key>-response#<nsp>#: every Node adapter subscribes to
//   it (and to its uid channel, used only when the answering Node has
//   publishOnSpecificResponseChannel). A requester ignores requestIds it
//   does not know.
// - A requester ignores its own requests by requestId (SOCKETS, ALL_ROOMS,
//   REMOTE_FETCH, BROADCAST) or uid (SERVER_SIDE_EMIT); so must we.
// - REMOTE_FETCH (5) {uid, requestId, type, opts:{rooms, except}}: waits
//   for numSub - 1 answers {requestId, sockets:[{id, handshake, rooms, data}]}
//   within requestsTimeout (default 5000 ms), then rejects the whole
//   fetchSockets with "timeout reached". An answer without a `sockets`
//   array counts but never completes: always send the array, even empty.
// - ALL_ROOMS (1) {uid, requestId, type}: same, answer {requestId, rooms:[...]}.
// - SOCKETS (0) {uid, requestId, type, rooms}: 8.x never sends it (sockets()
//   is local) but answers {requestId, sockets:[ids]}.
// - REMOTE_JOIN (2) {uid?, type, opts, rooms}, REMOTE_LEAVE (3) same,
//   REMOTE_DISCONNECT (4) {uid?, type, opts, close}: fire and forget, no
//   answer (the emitter sends them without uid). Only the pre-8 forms
//   without opts ({sid, room}) were answered {requestId}: not sent by 8.x.
//   The sender does NOT apply them itself: its own subscription to the
//   request channel delivers them back and it applies them then, like
//   everyone (no uid check for 2, 3, 4): so must we, for ours and theirs.
// - SERVER_SIDE_EMIT (6) {uid, type, data:[ev, ...args]} (no answer) or
//   with requestId: waits for numSub - 1 answers {type:6, requestId, data}
//   (each node answers once, with the first argument its listener acks),
//   else after requestsTimeout calls the ack with an Error and the partial
//   answers. A Node server without a listener never answers; answering
//   {type:6, requestId, data:null} ends the requester's wait at once.
// - BROADCAST (7) msgpack {uid, requestId, type, packet, opts:{rooms,
//   except, flags:{timeout,...}}} for io.timeout(ms).emit(..., cb): the
//   requester expects from every other server exactly one
//   {type:8, requestId, clientCount} (JSON; 0 included) and then, per
//   client ack, one msgpack {type:9, requestId, packet: <first ack arg>}.
//   It forgets the requestId after flags.timeout ms. The packet has no id:
//   each node sends it to its clients with its own ack id.
#pragma once

#include "lib/cluster/adapter_codec.hpp"
#include <sio/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::cluster {

/// The adapter's RequestType values.
enum class request_type : int {
  sockets = 0,
  all_rooms = 1,
  remote_join = 2,
  remote_leave = 3,
  remote_disconnect = 4,
  remote_fetch = 5,
  server_side_emit = 6,
  broadcast = 7,
  broadcast_client_count = 8,
  broadcast_ack = 9,
};

/// A decoded request; members not in the message stay empty.
struct adapter_request {
  /// A request_type value; unknown values come through (Node ignores them).
  int type = -1;
  /// The sender's uid ("" when absent: the emitter's join/leave/disconnect).
  std::string uid;
  std::optional<std::string> request_id;
  /// REMOTE_JOIN/LEAVE/DISCONNECT/FETCH, BROADCAST: which sockets.
  std::optional<broadcast_opts> opts;
  /// REMOTE_JOIN/LEAVE: the rooms to join/leave; SOCKETS: the rooms filter.
  std::vector<std::string> rooms;
  /// REMOTE_DISCONNECT: close the underlying connection too.
  bool close = false;
  /// Pre-8 single-socket forms (no opts): the socket id and room.
  std::string sid;
  std::string room;
  /// SERVER_SIDE_EMIT: the JSON array [event, ...args].
  std::string data_json;
  /// BROADCAST: the packet (frames without ack id) and opts (also in `opts`).
  std::optional<adapter_broadcast> broadcast;
};

/// Decodes a message of the request channel (JSON, or msgpack when it does
/// not start with '{').
protocol::result<adapter_request> decode_request(
  std::string_view bytes, const codec_limits& limits = {});

/// One socket of a REMOTE_FETCH answer.
struct fetched_socket {
  std::string id;
  /// JSON object: Node's socket.handshake (see handshake_json).
  std::string handshake_json = "{}";
  /// Its rooms, its own id first (Node lists socket.rooms).
  std::vector<std::string> rooms;
  /// JSON: socket.data ({} by default in Node).
  std::string data_json = "{}";
};

/// A decoded response; members not in the message stay empty.
struct adapter_response {
  /// Present on SERVER_SIDE_EMIT (6), BROADCAST_CLIENT_COUNT (8), BROADCAST_ACK (9) answers.
  std::optional<int> type;
  std::string request_id;
  /// "sockets" of strings (a SOCKETS answer). An empty "sockets" array sets
  /// both socket_ids and sockets (the requester knows which it asked for).
  std::optional<std::vector<std::string>> socket_ids;
  /// "sockets" of objects (a REMOTE_FETCH answer).
  std::optional<std::vector<fetched_socket>> sockets;
  std::optional<std::vector<std::string>> rooms;
  std::optional<uint64_t> client_count;
  /// SERVER_SIDE_EMIT answer: JSON of `data` ("null" when absent).
  std::string data_json = "null";
  /// BROADCAST_ACK: JSON of the client's first ack argument (placeholders
  /// for Buffers) and the attachments; nullopt when undefined (no argument).
  std::optional<std::string> ack_json;
  std::vector<std::string> ack_attachments;
};

/// Decodes a message of a response channel (JSON, or msgpack for BROADCAST_ACK).
protocol::result<adapter_response> decode_response(
  std::string_view bytes, const codec_limits& limits = {});

} // namespace sio::cluster
