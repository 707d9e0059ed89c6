// actors/session_engineio.hpp
// Internal to the client_session actor: the Engine.IO layer. Packets out
// (to the WebSocket or the polling queue), packets in (heartbeat, close,
// messages for the Socket.IO layer), and the session's end.
#pragma once

#include "actors/session_state.hpp"

#include <string>
#include <string_view>

namespace sio::session {

/// A packet for the client, on whichever transport the session speaks.
void send_wire(self_ptr self, const wire_packet& p);

/// An Engine.IO packet of `type` with text `data`.
void send_eio(self_ptr self, eio_packet_type type, std::string_view data);

/// A Socket.IO packet: its text, then its attachments.
void send_sio(self_ptr self, const sio_packet& p);

/// Relays a handler's Engine.IO payload to the client.
void relay_payload(self_ptr self, std::string payload);

/// An Engine.IO packet from the client (polling payloads come decoded).
void on_packet(self_ptr self, eio_packet& p);

/// A frame on the session's WebSocket transport.
void on_ws_text_or_binary(self_ptr self, std::string& data, bool binary);

/// Wires a WebSocket's callbacks to this actor (weakly: the connection
/// must not keep a finished session alive) and starts reading.
void attach_ws(self_ptr self, ws_link& link);

/// Closes the session for `reason`: its sockets get their disconnected
/// events; a polling client may fetch the close packet for a while.
/// Whether a polling session waits for the client's next GET to carry the
/// close packet when no GET is pending.
enum class close_wait { for_last_poll, none };

void close_session(self_ptr self, const std::string& reason,
                   close_wait wait = close_wait::for_last_poll);

/// The session is over: the sid becomes unknown and the actor ends.
void finish(self_ptr self);

} // namespace sio::session
