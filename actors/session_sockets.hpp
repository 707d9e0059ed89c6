// actors/session_sockets.hpp
// Internal to the client_session actor: the Socket.IO layer. Decodes the
// Socket.IO packets of a connection's messages, joins and leaves its
// namespaces (the event handler's connect verdicts), hands events to the
// handler and relays its acks.
#pragma once

#include "actors/session_state.hpp"

#include <chrono>
#include <string>

namespace sio::session {

/// An Engine.IO message from the client: `wire` is the message as received
/// for text ('4' and the Socket.IO text), the attachment's bytes for binary.
void on_message(self_ptr self, std::string& wire, bool binary);

/// Rejects every namespace connect whose handler answer is overdue; a late
/// answer finds its socket gone and is ignored.
void expire_verdicts(self_ptr self, std::chrono::steady_clock::time_point now);

/// Socket `s` of namespace `nsp` is gone: tells the handler (unless the
/// hub does: `tell_handler` false), counts, logs.
void socket_gone(self_ptr self, const std::string& nsp, const sio_socket& s,
                 const std::string& reason, bool tell_handler = true);

/// A DISCONNECT of namespace `nsp` sent through the REST API; `close`:
/// the connection closes too.
void on_server_disconnect(self_ptr self, const std::string& nsp, bool close);

} // namespace sio::session
