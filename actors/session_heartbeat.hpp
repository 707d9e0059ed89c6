// actors/session_heartbeat.hpp
// Internal to the client_session actor: the heartbeat. One timer scheme
// (session_timer::heartbeat) drives every deadline of a session: the next
// ping, the pong deadline, the connect deadline and the connect verdicts'.
#pragma once

#include "actors/session_state.hpp"

namespace sio::session {

/// Sets the first ping and the connect deadline of a new session.
void start_heartbeat(self_ptr self);

/// Makes sure a heartbeat tick comes by the next thing due.
void arm_heartbeat(self_ptr self);

/// A heartbeat tick: pings, closes on a missed pong or connect deadline,
/// rejects overdue connect verdicts.
void on_heartbeat(self_ptr self);

/// The client's pong: the next ping is a ping interval away.
void on_pong(self_ptr self);

/// Closes a session whose pong is overdue; true when the session is (now)
/// closed.
bool close_if_pong_overdue(self_ptr self);

} // namespace sio::session
