// actors/event_handler.hpp
// The event_handler typed interface: where a hub sends every socket's
// lifecycle and events. The webhook dispatcher speaks it over HTTP; an
// application links in its own actors with the same interface, alone or as a
// pipeline in front of another handler.
#pragma once

#include "actors/messages.hpp"

#include <caf/typed_actor.hpp>

namespace sio {

/// connect -> verdict (sync), connected / disconnected (async),
/// message -> reply (sync; the reply payload is relayed to the client).
/// Sessions send to the handler directly; a connect verdict that does not
/// come within session_settings::handler_timeout rejects the connect. Message
/// replies are not timed: a session bounds how many of its events await the
/// handler (session_settings::max_pending_events).
/// examples/embed/main.cpp and actors/echo_handler.cpp implement it.
using event_handler_actor = caf::typed_actor<
  caf::replies_to<connect_event>::with<connect_verdict>,
  caf::reacts_to<connected_event>,
  caf::reacts_to<disconnected_event>,
  caf::replies_to<message_event>::with<message_reply>>;

} // namespace sio
