// sio::args_of (<sio/event.hpp>): a client event's arguments as they came,
// for handlers that pass them on unchanged (an echo, a relay).
#include <sio/event.hpp>

#include "actors/event_payloads.hpp"

namespace sio {

std::optional<args> args_of(const message_event& ev) {
  // A slice of the packet when the session said where the arguments are
  // (no decode); the placeholders in it number ev's attachments.
  auto json = event_args(ev);
  if (!json)
    return std::nullopt;
  return args::from_json_array(std::move(*json), ev.attachments);
}

} // namespace sio
