// lib/protocol/event_offset.hpp
// Connection state recovery's offsets (Socket.IO 4.6+): an EVENT the server
// sends without an ack id carries its offset as its last argument, a JSON
// string after the data (and after a binary event's placeholders). The
// client keeps the last one it got and presents it when it reconnects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sio::protocol {

/// The namespace of `message` (an Engine.IO message: '4' + Socket.IO text)
/// when it is an EVENT or BINARY_EVENT without an ack id whose data is a
/// JSON array: the packets that get an offset. nullopt for any other.
std::optional<std::string_view> offset_namespace(std::string_view message);

/// `message` (one offset_namespace accepts) with `offset` appended to its
/// arguments: `42["chat","hi"]` -> `42["chat","hi","17"]`.
std::string with_offset(std::string_view message, uint64_t offset);

/// `message` without the offset with_offset appended (its last argument,
/// a string of decimal digits); nullopt when it has none.
std::optional<std::string> without_offset(std::string_view message);

/// An offset a client presented: decimal digits of a uint64 (at most 20,
/// no sign, no blanks); nullopt for anything else.
std::optional<uint64_t> parse_offset(std::string_view text);

} // namespace sio::protocol
