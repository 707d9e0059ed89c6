// lib/protocol/eio_codec.hpp
// Engine.IO v4 wire codec (protocol.md §1.4, §1.5): one packet per WebSocket
// frame, or several packets joined by "\x1e" in a long-polling payload with
// binary packets as "b" + base64. Pure functions, no I/O, never throw.
#pragma once

#include "lib/protocol/eio_packet.hpp"
#include <sio/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sio::protocol {

/// The record separator between packets of a polling payload.
constexpr char payload_separator = '\x1e';

/// WebSocket frame content: text -> "<digit><data>", binary message -> raw bytes.
/// (`binary` is honoured only for message packets; other types are always text.)
std::string encode_frame(const eio_packet& packet);

/// True when encode_frame(packet) must go out as a WebSocket binary frame.
inline bool is_binary_frame(const eio_packet& packet) noexcept {
  return packet.binary && packet.type == eio_packet_type::message;
}

/// Decodes one WebSocket text frame ("4hello", "2probe", "5"...). Error on
/// empty, unknown digit, 'b' prefix (not valid on WebSocket) etc.
result<eio_packet> decode_text_frame(std::string_view frame);

/// A WebSocket binary frame is always a binary message packet.
eio_packet decode_binary_frame(std::string_view bytes);

/// decode_text_frame and decode_binary_frame for a frame the caller gives
/// up: the packet's data reuses the frame's buffer instead of a copy (its
/// capacity still fits the type digit, so putting it back in front does
/// not allocate either).
result<eio_packet> take_text_frame(std::string&& frame);
eio_packet take_binary_frame(std::string&& bytes);

/// Appends one packet to a polling payload: adds "\x1e" first when `out` is
/// non-empty; text packets as "<digit><data>", binary as "b" + base64(data).
void append_to_payload(std::string& out, const eio_packet& packet);

/// Same for a packet already in WebSocket frame form (text frame content or raw bytes).
void append_frame_to_payload(
  std::string& out, std::string_view frame, bool binary);

/// Joins packets into one polling payload (append_to_payload for each).
std::string encode_payload(const std::vector<eio_packet>& packets);

/// Bounds applied by decode_payload before anything is allocated.
struct payload_limits {
  /// Most packets accepted in one payload.
  size_t max_packets = 10000;
  /// Largest packet data in bytes (after the type digit; decoded size for binary).
  size_t max_packet_size = 1000000;
};

/// Decodes a polling payload (POST body or REST send body): packets split on
/// "\x1e", "b"+base64 for binary. Any invalid packet (empty segment, unknown
/// digit, bad base64, limit) -> error whose reason names the packet index and
/// the problem.
result<std::vector<eio_packet>> decode_payload(
  std::string_view body, const payload_limits& limits = {});

/// True when decode_payload(body, limits) would give exactly one text packet:
/// `body` is then that packet's frame text as it is (e.g. an ack to relay).
bool is_single_text_packet(std::string_view body,
                           const payload_limits& limits = {});

} // namespace sio::protocol
