// actors/session_polling.hpp
// Internal to the client_session actor: the long-polling transport. Its
// outbound queue is bounded (max_queued_bytes) and flushed whole on a GET.
#pragma once

#include "actors/session_state.hpp"

#include <cstdint>

namespace sio::session {

/// 400 with the Engine.IO error body: an unknown sid, a transport
/// mismatch, a request on a closed session.
http::response bad_request();

/// Answers the pending GET with everything queued.
void flush_poll(self_ptr self);

/// Queues a packet for the next GET; closes a session whose client does not
/// fetch its packets (the queue passes max_queued_bytes).
void queue_for_poll(self_ptr self, const wire_packet& p);

/// A long-polling GET (`id` names it for on_poll_aborted).
void on_poll(self_ptr self, uint64_t id, http::exchange& ex);

/// A long-polling POST: its body is an Engine.IO payload.
void on_post(self_ptr self, http::exchange& ex);

/// The HTTP connection holding GET `id` went away.
void on_poll_aborted(self_ptr self, uint64_t id);

} // namespace sio::session
