// actors/session_upgrade.hpp
// Internal to the client_session actor: the upgrade of a long-polling
// session to WebSocket. A probe WebSocket answers "2probe" with "3probe";
// polling GETs get noops meanwhile; "5" makes the probe the transport.
#pragma once

#include "actors/session_state.hpp"

#include <cstdint>
#include <string>

namespace sio::session {

/// The upgrade candidate, or null.
ws_link* probe_of(session_state& st);

/// A WebSocket for this sid: the probe of a polling session; any other is
/// closed at once (one WebSocket per session).
void on_ws_open(self_ptr self, ws_link& link);

/// A frame on the upgrade candidate (only polling sessions have one).
void on_probe_frame(self_ptr self, std::string& data, bool binary);

/// The upgrade candidate is gone: the session keeps polling.
void on_probe_closed(self_ptr self);

/// session_timer::upgrade_timeout: the probe of generation `gen` took too
/// long.
void on_upgrade_timeout(self_ptr self, uint64_t gen);

/// session_timer::noop_flush: during the upgrade of generation `gen`,
/// answers a waiting GET with a noop, and comes again.
void on_noop_flush(self_ptr self, uint64_t gen);

} // namespace sio::session
