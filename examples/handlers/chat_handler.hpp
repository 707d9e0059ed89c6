// examples/handlers/chat_handler.hpp
// An in-process chat: sockets `join`/`leave` rooms and send `message`s that
// the hub fans out to the room; join/leave notices arrive as `system`
// events. The default handler of `sio-server` without a config (hub "chat",
// page at /); sio-server offers it as "inProcessHandler": "chat".
#pragma once

#include <sio/event_handler.hpp>

#include <caf/actor_system.hpp>

#include <chrono>
#include <cstddef>

namespace sio::demo {

/// Limits of the chat handler. Lengths count Unicode code points.
struct chat_settings {
  /// Sockets the handler keeps state for (connected plus accepted but not
  /// yet connected); further CONNECTs are rejected with "chat is full".
  size_t max_sockets = 100000;
  /// Rooms one socket may be in at once; more joins are refused.
  size_t max_rooms_per_socket = 32;
  size_t max_room_chars = 64;    ///< room names: 1..this, no control chars
  size_t max_name_chars = 32;    ///< auth names: 1..this, no control chars
  size_t max_text_chars = 2000;  ///< message texts: 1..this
  /// An accepted socket whose connected_event does not follow within this
  /// time is forgotten (its session died before the verdict arrived).
  std::chrono::seconds pending_expiry{60};
};

/// Spawns the chat handler for the hub `hub`.
///
/// Events (all acked when the client asks for an ack):
/// - `join(room)` -> {ok:true, room}; the socket joins the room and
///   `system` {room, text:"<user> joined <room>", at} goes to the room, the
///   joiner included.
/// - `leave(room)` -> {ok:true, room}; `system` "<user> left <room>" to the
///   room (also sent for every room when the socket disconnects).
/// - `message({room, text})` -> {ok:true}; `message` {room, from, text, at}
///   (at = ms since the epoch) goes to the room, the sender included.
/// Failures ack {ok:false, error}. `from` is the socket's userId, else the
/// CONNECT auth's `name`, else "guest-" + the first 6 chars of the socket id;
/// an invalid auth name rejects the CONNECT.
event_handler_actor spawn_chat_handler(caf::actor_system& sys, hub_actor hub,
                                       chat_settings settings = {});

} // namespace sio::demo
