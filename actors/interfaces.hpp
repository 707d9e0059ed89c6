// actors/interfaces.hpp
// The typed actor interfaces of the service: client_session and hub (the
// event_handler interface has its own header). Spawn functions and
// settings live in client_session.hpp and hub.hpp.
#pragma once

#include <sio/inline_handler.hpp>
#include "actors/messages.hpp"

#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>

namespace sio {

/// The interface of a session; the gateway and the hub send to it.
using client_session_actor = caf::typed_actor<
  /// Long-polling GET: answered when packets are queued.
  caf::reacts_to<poll_atom, uint64_t /* poll id */, http::exchange>,
  /// Long-polling POST: the body is an Engine.IO payload.
  caf::reacts_to<post_atom, http::exchange>,
  /// A WebSocket for this sid (the transport of a WebSocket-only session,
  /// or a probe to upgrade to).
  caf::reacts_to<ws_open_atom, ws_link>,
  /// A complete WebSocket message (link id, data, binary?).
  caf::reacts_to<ws_msg_atom, uint64_t, std::string, bool>,
  /// A WebSocket is gone (link id, close code).
  caf::reacts_to<ws_closed_atom, uint64_t, uint16_t>,
  /// The HTTP connection holding GET poll `id` went away.
  caf::reacts_to<aborted_atom, uint64_t>,
  /// Packets for the client (fan-out: shared, never copied per client).
  caf::reacts_to<deliver_atom, wire_batch>,
  /// Server-initiated close with a reason. `true` when the service is
  /// stopping: close at once, without waiting for a polling client's next
  /// GET to carry the close packet (Node's engine.io discards it the same
  /// way on server close).
  caf::reacts_to<close_atom, std::string, bool>,
  /// Server-side namespace disconnect (namespace, then close the connection?).
  caf::reacts_to<disconnect_atom, std::string, bool>,
  /// Own timers (session_timer as uint8_t, generation), and the hub's
  /// fan-out hand-over marker (fanout_marker_tick, round), echoed back to
  /// the hub as a fanout_handoff. One handler for both: each handler of a
  /// session's behavior costs every connection 40 bytes (ten of them fit
  /// jemalloc's 448-byte class, twelve take 640).
  caf::reacts_to<tick_atom, uint8_t, uint64_t>>;

/// The hub's whole interface: the public commands of hub_actor
/// (<sio/event_handler.hpp>) plus what the gateway and its sessions send.
/// A hub_full_actor converts to a hub_actor.
using hub_full_actor = hub_actor::extend<
  /// A new Engine.IO connection: spawn and register its session.
  caf::reacts_to<open_session>,
  /// Membership notices from the hub's own sessions.
  caf::reacts_to<socket_joined>,
  caf::reacts_to<socket_left>,
  caf::reacts_to<closed_atom, std::string /* connection id */,
                 std::string /* reason */>,
  /// Connection state recovery: a client resumes a socket it lost; the
  /// hub's timer for the sockets it keeps.
  caf::replies_to<restore_request>::with<restore_answer>,
  caf::reacts_to<sweep_atom>,
  /// Cluster: hands a kept socket over to the node that claims it; the
  /// front to claim from the other nodes a pid this hub does not keep.
  caf::replies_to<resume_claim>::with<moved_socket>,
  caf::reacts_to<bus_atom, caf::actor>,
  /// Cluster: a kept socket taken from Redis for a resume.
  caf::reacts_to<kept_taken>,
  /// A client's answer to an acked send.
  caf::reacts_to<client_ack>,
  /// An acked send's timeout (its request id).
  caf::reacts_to<timeout_atom, uint64_t>,
  /// A session's upgrade to WebSocket completed; then the echo of the
  /// hand-over marker the hub sent it (fan-out goes to the WebSocket).
  caf::reacts_to<socket_upgraded>,
  caf::reacts_to<fanout_handoff>,
  /// A dead node's sockets, ended by this node (cluster).
  caf::reacts_to<orphaned_sockets>,
  /// Replaces the hub's event handler (for handlers that need the hub).
  /// Sessions opened afterwards send their events to it; open ones keep
  /// the handler they started with.
  caf::reacts_to<handler_atom, event_handler_actor>,
  /// The same with an inline handler, which those sessions call directly.
  caf::reacts_to<handler_atom, inline_handler_ptr>,
  /// Cluster: the local sockets a Node.js peer's request names.
  caf::replies_to<sockets_query>::with<sockets_answer>,
  /// Cluster: the adapter peer to tell, now and from then on, each
  /// namespace that has local sockets (namespace_atom, nsp).
  caf::reacts_to<namespace_atom, caf::actor>>;

} // namespace sio
