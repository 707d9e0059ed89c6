// actors/type_registry.hpp
// Registers the contract's message types with a CAF actor system config, so
// that they print by name and are known to CAF's type system. Every main
// and test fixture calls it before constructing the actor_system.
#pragma once

#include <caf/actor_system_config.hpp>

namespace sio {

/// Adds every message type of actors/messages.hpp to `cfg`.
void register_message_types(caf::actor_system_config& cfg);

} // namespace sio
