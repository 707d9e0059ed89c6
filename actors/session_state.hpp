// actors/session_state.hpp
// Internal to the client_session actor, not part of the library's API: the
// state one session holds and the timers it sets itself. The actor's parts
// (session_*.cpp) are free functions of the session's actor pointer.
#pragma once

#include "actors/client_session.hpp"
#include "lib/http/ws_connection.hpp"
#include "lib/protocol/eio_packet.hpp"
#include "lib/protocol/sio_decoder.hpp"
#include "lib/protocol/sio_packet.hpp"

#include <caf/all.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sio::session {

using protocol::eio_packet;
using protocol::eio_packet_type;
using protocol::sio_packet;
using protocol::sio_packet_type;

/// Which timer fired: the tick_atom messages a session sends itself carry
/// it as a uint8_t, with a generation (each timer's own meaning).
enum class session_timer : uint8_t {
  /// Every heartbeat deadline: the next ping, the pong deadline, the
  /// connect deadline and the connect verdicts' deadlines (one timer
  /// scheme, see arm_heartbeat). Generation unused.
  heartbeat,
  /// The probe WebSocket did not upgrade in time. Generation: upgrade_gen.
  upgrade_timeout,
  /// Keep answering a polling GET with a noop during an upgrade.
  /// Generation: upgrade_gen.
  noop_flush,
  /// A closed polling session stops waiting for a last GET to carry its
  /// close packet. Generation unused: a closed session stays closed.
  close_linger,
  /// Not a timer: the hub's fan-out hand-over marker (messages.hpp).
  /// Generation: the hand-over round.
  fanout_marker = fanout_marker_tick,
};

/// One namespace connection on this Engine.IO connection.
struct sio_socket {
  std::string socket_id;
  bool connected = false;  ///< false while the connect verdict is pending
  /// While pending: the handler's answer must come before this. Checked
  /// by the heartbeat tick, not by a CAF request timeout: those stay in
  /// CAF 0.17's clock until they expire, answered or not (~150 bytes per
  /// connection for handler_timeout after every connect).
  std::chrono::steady_clock::time_point verdict_due;
};

/// What only a long-polling session needs (also while it upgrades). A
/// WebSocket-only session never allocates it: at 10k idle clients every
/// byte of session state counts (BENCHMARKS.md, memory per connection).
struct polling_state {
  ws_link probe;                        ///< an upgrade candidate
  std::optional<http::exchange> poll;   ///< the pending polling GET
  uint64_t poll_id = 0;
  /// Outbound queue, always flushed whole.
  std::vector<wire_packet> queue;
  size_t queued_bytes = 0;
};

/// A binary packet whose attachments are still arriving.
struct binary_assembly {
  protocol::sio_decoder decoder;
  std::string text;  ///< its Engine.IO message ('4' + text), relayed with the event
  size_t bytes = 0;  ///< its text and attachments so far (max_packet_bytes)
};

/// The WebSocket a session speaks on: a ws_link without the bytes handed
/// over at the upgrade (attach_ws consumes those).
struct ws_transport {
  uint64_t id = 0;  ///< the link id its callbacks report
  std::shared_ptr<http::ws_connection> conn;
};

/// The namespaces joined on a connection, in join order: nearly always one
/// or two, so a vector (no tree node per namespace).
using socket_list = std::vector<std::pair<std::string, sio_socket>>;

/// Kept small on purpose: every idle connection holds one, inside a CAF
/// actor whose allocation jemalloc rounds to 1280 bytes only while this
/// stays within 248 (BENCHMARKS.md, memory per connection; checked below).
struct session_state {
  // -- identity (from session_config; the handshake facts packed) ----------
  std::string connection_id;
  std::string user_id;  ///< token `sub`, or the connect answer's userId
  /// hub name, settings, registry and metrics, shared by the hub's sessions
  std::shared_ptr<const session_context> ctx;
  /// query, headers and claims of the handshake, packed into one string
  /// (see pack_fields): read once per namespace CONNECT, kept compact.
  std::string handshake;
  hub_full_actor hub;
  event_handler_actor handler;

  // -- transport ---------------------------------------------------------------
  ws_transport ws;                      ///< the WebSocket transport
  std::unique_ptr<polling_state> polling;  ///< null for WebSocket sessions
  bool websocket = false;               ///< upgraded or WebSocket-only
  bool closed = false;                  ///< no more traffic; waiting to quit
  bool awaiting_pong = false;
  bool connect_settled = false;         ///< joined in time: no connect deadline
  uint8_t wake_count = 0;               ///< entries of `wakes` in use
  /// Client events awaiting the handler's answer.
  uint32_t pending_events = 0;

  // -- heartbeat and timers ------------------------------------------------------
  /// Generation of the upgrade probe: upgrade_timeout and noop_flush ticks
  /// of an earlier probe carry an older one and are ignored.
  uint32_t upgrade_gen = 0;
  /// A connection must join a namespace before this (connect_timeout).
  std::chrono::steady_clock::time_point connect_deadline;
  /// The next ping; while a pong is awaited, the pong's deadline.
  std::chrono::steady_clock::time_point heartbeat_due;
  /// Due times of the heartbeat wake-ups pending, earliest first. One
  /// cannot be cancelled, so another is asked for only when it must come
  /// before all of these: a session holds at most two (at 1 s pings, a
  /// tick per ping and per pong deadline piled up 20 per session).
  std::array<std::chrono::steady_clock::time_point, 2> wakes{};

  // -- Socket.IO ---------------------------------------------------------------------
  socket_list sockets;
  std::unique_ptr<binary_assembly> assembling;  ///< null between packets

  static inline const char* name = "client_session";
};

#if defined(__GLIBCXX__) && defined(__x86_64__)
static_assert(sizeof(session_state) <= 248,
              "session_state grew past 248 bytes: idle connections cost a "
              "jemalloc size class more (see the comment on session_state)");
#endif

using self_ptr = client_session_actor::stateful_pointer<session_state>;

/// Sends `self` the tick of timer `which` after `after`.
inline void schedule(self_ptr self, std::chrono::milliseconds after,
                     session_timer which, uint64_t gen) {
  self->delayed_send(self, after, tick_atom::value,
                     static_cast<uint8_t>(which), gen);
}

} // namespace sio::session
