// examples/handlers/echo_handler.hpp
// An in-process event handler for demos and tests: accepts sockets (unless
// the CONNECT auth says {"deny":"why"}), acks every event with its own
// arguments, answers `echo` with an `echo` event and fans `broadcast` out to
// the whole namespace. sio-server offers it as "inProcessHandler": "echo".
#pragma once

#include <sio/event_handler.hpp>
#include <sio/inline_handler.hpp>

#include <caf/actor_system.hpp>

namespace sio::demo {

/// The echo handler as an inline handler (how sio-server runs it);
/// `hub` receives the `broadcast` fan-outs.
inline_handler_ptr make_echo_handler(hub_actor hub);

/// The same handler as an actor (for pipelines and actor-only code).
event_handler_actor spawn_echo_handler(caf::actor_system& sys, hub_actor hub);

} // namespace sio::demo
