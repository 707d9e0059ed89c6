// lib/protocol/sio_packet.hpp
// Socket.IO v5 packet model (protocol.md §2.1): the seven packet types and one
// packet as a value, carried inside Engine.IO message packets. Encoding is in
// sio_encoder.hpp, decoding (with binary attachments) in sio_decoder.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sio::protocol {

/// Socket.IO packet type; the value is the wire digit ('0' + value).
enum class sio_packet_type : uint8_t {
  /// Join a namespace (client, optional auth object) / accept it (server, {"sid"}).
  connect = 0,
  /// Leave a namespace; never carries a payload.
  disconnect = 1,
  /// An event: ["name", args...].
  event = 2,
  /// Answer to an event with an ack id: [args...].
  ack = 3,
  /// Namespace connection refused: {"message":..,"data"?:..} or a string.
  connect_error = 4,
  /// EVENT whose arguments hold binary attachments.
  binary_event = 5,
  /// ACK whose arguments hold binary attachments.
  binary_ack = 6,
};

/// Upper-case protocol name of the type ("CONNECT", "BINARY_EVENT", ...); "UNKNOWN" otherwise.
std::string_view to_string(sio_packet_type type);

/// The wire digit '0'..'6' of `type`.
constexpr char to_digit(sio_packet_type type) noexcept {
  return static_cast<char>('0' + static_cast<uint8_t>(type));
}

/// True for the two types that carry attachments (BINARY_EVENT, BINARY_ACK).
constexpr bool is_binary(sio_packet_type type) noexcept {
  return type == sio_packet_type::binary_event
         || type == sio_packet_type::binary_ack;
}

/// One Socket.IO packet.
struct sio_packet {
  /// Packet type.
  sio_packet_type type = sio_packet_type::event;
  /// Namespace, always starting with '/'.
  std::string nsp = "/";
  /// Ack id.
  std::optional<uint64_t> id;
  /// JSON text (with placeholders for binary), empty when absent.
  std::string data;
  /// Binary buffers, in placeholder order.
  std::vector<std::string> attachments;
};

/// Field-wise equality.
inline bool operator==(const sio_packet& x, const sio_packet& y) {
  return x.type == y.type && x.nsp == y.nsp && x.id == y.id && x.data == y.data
         && x.attachments == y.attachments;
}

/// Field-wise inequality.
inline bool operator!=(const sio_packet& x, const sio_packet& y) {
  return !(x == y);
}

} // namespace sio::protocol
