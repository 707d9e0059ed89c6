// actors/atoms.hpp
// The atoms of the actor contract (CAF 0.17: at most 10 characters each).
#pragma once

#include <caf/atom.hpp>

namespace sio {

/// Reserved; no current actor handles it.
using open_atom = caf::atom_constant<caf::atom("open")>;
/// A long-polling GET for a session.
using poll_atom = caf::atom_constant<caf::atom("poll")>;
/// A long-polling POST for a session.
using post_atom = caf::atom_constant<caf::atom("post")>;
/// A WebSocket handed to a session.
using ws_open_atom = caf::atom_constant<caf::atom("wsopen")>;
/// A complete WebSocket message for a session.
using ws_msg_atom = caf::atom_constant<caf::atom("wsmsg")>;
/// A session's WebSocket is gone.
using ws_closed_atom = caf::atom_constant<caf::atom("wsclosed")>;
/// The connection of a pending poll went away.
using aborted_atom = caf::atom_constant<caf::atom("aborted")>;
/// Packets for a session's client.
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
/// Server-initiated close of a session.
using close_atom = caf::atom_constant<caf::atom("close")>;
/// A session's own timer fired (or the hub's fan-out hand-over marker).
using tick_atom = caf::atom_constant<caf::atom("tick")>;
/// A hub's own deadline passed (an acked send's).
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
/// A session tells its hub it is gone.
using closed_atom = caf::atom_constant<caf::atom("closed")>;
/// Server-side disconnect of a session's namespace.
using disconnect_atom = caf::atom_constant<caf::atom("disconnect")>;
/// Replaces a hub's event handler.
using handler_atom = caf::atom_constant<caf::atom("handler")>;
/// A message from a Redis channel (channel, payload) for a cluster actor.
using bus_atom = caf::atom_constant<caf::atom("bus")>;
/// The outcome of a PUBLISH a cluster actor asked for (token, ok, error).
using published_atom = caf::atom_constant<caf::atom("published")>;
/// A cluster query's time is up (request id).
using expire_atom = caf::atom_constant<caf::atom("expire")>;
/// Hub -> adapter peer: a namespace has local sockets (namespace name);
/// adapter peer -> hub: tell me those (the peer's handle).
using namespace_atom = caf::atom_constant<caf::atom("namespace")>;
/// A hub's own timer: end the kept sessions whose window has passed.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

} // namespace sio
