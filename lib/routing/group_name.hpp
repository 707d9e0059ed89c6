// lib/routing/group_name.hpp
// Socket.IO namespace/room <-> Web PubSub group name mapping (protocol.md
// §3.3): room group "0~b64u(ns)~b64u(room)", namespace group "0~b64u(ns)~".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sio::routing {

/// A decoded group name.
struct group_ref {
  /// The Socket.IO namespace, e.g. "/" or "/chat".
  std::string nsp;
  /// The room (or socket id); empty = the namespace group itself.
  std::string room;
};

/// "0~" + b64u(nsp) + "~": every socket of `nsp` is in it.
std::string namespace_group(std::string_view nsp);

/// "0~" + b64u(nsp) + "~" + b64u(room); a socket's own room uses its id.
std::string room_group(std::string_view nsp, std::string_view room);

/// Inverse of namespace_group / room_group. nullopt for names that are not
/// Socket.IO groups (other prefixes, bad or non-canonical base64url).
std::optional<group_ref> parse_group(std::string_view group);

/// Web PubSub rule for any group name: 1-1024 chars, not whitespace only.
bool is_valid_group_name(std::string_view group);

} // namespace sio::routing
