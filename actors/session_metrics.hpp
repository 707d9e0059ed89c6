// actors/session_metrics.hpp
// Internal to the client_session actor: what a session counts in its hub's
// metrics registry (connections by transport, sockets, closes, rejections).
#pragma once

#include "actors/session_state.hpp"

#include <cstdint>
#include <string>

namespace sio::session {

/// Moves this connection's count from transport `from` to `to` ("" =
/// none).
void count_transport(self_ptr self, const char* from, const char* to);

/// Adds `delta` to the sockets of namespace `nsp`.
void count_socket(self_ptr self, const std::string& nsp, int64_t delta);

/// One more connection closed for `reason`.
void count_close(self_ptr self, const std::string& reason);

/// Work turned away: rejected sockets, dropped or failed events. The reason
/// is one of a few fixed words (never client text: label cardinality).
void count_rejected(self_ptr self, const char* reason);

/// Per-event rejections: a cached counter, no lookup.
void count_cached(metrics::counter* session_counters::*which,
                  const session_state& st);

} // namespace sio::session
