// lib/protocol/eio_packet.hpp
// Engine.IO v4 packet model (protocol.md §1.2): the seven packet types with
// their wire digits, and one packet as a value. Encoding lives in eio_codec.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sio::protocol {

/// Engine.IO packet type; the value is the wire digit ('0' + value).
enum class eio_packet_type : uint8_t {
  /// Server→client handshake carrying the JSON of eio_handshake.hpp.
  open = 0,
  /// Either side closes the session.
  close = 1,
  /// Heartbeat (server→client) or "probe" during an upgrade (client→server).
  ping = 2,
  /// Heartbeat answer, or "probe" answer on the probe WebSocket.
  pong = 3,
  /// Application data (text or binary): carries Socket.IO packets.
  message = 4,
  /// Client→server on the new WebSocket: switch transports.
  upgrade = 5,
  /// Server→client filler that flushes a pending long-poll.
  noop = 6,
};

/// Lower-case name of the type ("open", "message", ...); "unknown" for other values.
std::string_view to_string(eio_packet_type type);

/// The wire digit '0'..'6' of `type`.
constexpr char to_digit(eio_packet_type type) noexcept {
  return static_cast<char>('0' + static_cast<uint8_t>(type));
}

/// The type for a wire digit, or nullopt when `c` is not '0'..'6'.
constexpr std::optional<eio_packet_type> eio_packet_type_from_digit(
  char c) noexcept {
  if (c < '0' || c > '6')
    return std::nullopt;
  return static_cast<eio_packet_type>(c - '0');
}

/// One Engine.IO packet.
struct eio_packet {
  /// Packet type.
  eio_packet_type type = eio_packet_type::message;
  /// Only for message packets: `data` holds raw bytes (a WebSocket binary frame).
  bool binary = false;
  /// Payload without the type digit (text) or the raw bytes (binary).
  std::string data;
};

/// Field-wise equality (handy in tests and for deduplication).
inline bool operator==(const eio_packet& x, const eio_packet& y) {
  return x.type == y.type && x.binary == y.binary && x.data == y.data;
}

/// Field-wise inequality.
inline bool operator!=(const eio_packet& x, const eio_packet& y) {
  return !(x == y);
}

} // namespace sio::protocol
