#include "lib/protocol/eio_codec.hpp"

#include "lib/protocol/base64.hpp"

#include <algorithm>
#include <utility>

namespace sio::protocol {

namespace {

// Why the first byte of a text packet is rejected, for error reasons.
std::string bad_type_reason(char c) {
  std::string reason = "unknown packet type ";
  if (c >= 0x20 && c < 0x7f) {
    reason += '\'';
    reason += c;
    reason += '\'';
  } else {
    // Never copy control or non-ASCII bytes into a log line verbatim.
    static constexpr char hex[] = "0123456789abcdef";
    auto u = static_cast<unsigned char>(c);
    reason += "0x";
    reason += hex[u >> 4];
    reason += hex[u & 0xF];
  }
  return reason;
}

// Decodes the text form "<digit><data>" shared by WS frames and payload segments.
result<eio_packet> decode_text(std::string_view text) {
  if (text.empty())
    return result<eio_packet>::fail("empty packet");
  auto type = eio_packet_type_from_digit(text[0]);
  if (!type)
    return result<eio_packet>::fail(bad_type_reason(text[0]));
  eio_packet packet;
  packet.type = *type;
  packet.data.assign(text.substr(1));
  return result<eio_packet>::ok(std::move(packet));
}

// Exact decoded size of padded base64 text, or nullopt when the length is invalid.
std::optional<size_t> base64_decoded_size(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=')
    ++pad;
  return text.size() / 4 * 3 - pad;
}

// Decodes one payload segment; `index` only serves the error reasons.
result<eio_packet> decode_segment(
  std::string_view segment, size_t index, const payload_limits& limits) {
  auto fail = [index](const std::string& what) {
    return result<eio_packet>::fail(
      "packet " + std::to_string(index) + ": " + what);
  };
  if (segment.empty())
    return fail("empty packet");
  if (segment[0] == 'b') {
    auto b64 = segment.substr(1);
    auto size = base64_decoded_size(b64);
    if (!size)
      return fail("invalid base64 (length " + std::to_string(b64.size())
                  + " is not a multiple of 4)");
    // Checked before base64_decode allocates the output buffer.
    if (*size > limits.max_packet_size)
      return fail("binary packet of " + std::to_string(*size)
                  + " bytes exceeds the limit of "
                  + std::to_string(limits.max_packet_size));
    auto bytes = base64_decode(b64);
    if (!bytes)
      return fail("invalid base64");
    eio_packet packet;
    packet.type = eio_packet_type::message;
    packet.binary = true;
    packet.data = std::move(*bytes);
    return result<eio_packet>::ok(std::move(packet));
  }
  if (segment.size() - 1 > limits.max_packet_size)
    return fail("packet of " + std::to_string(segment.size() - 1)
                + " bytes exceeds the limit of "
                + std::to_string(limits.max_packet_size));
  auto packet = decode_text(segment);
  if (!packet)
    return fail(packet.error());
  return packet;
}

} // namespace

std::string_view to_string(eio_packet_type type) {
  switch (type) {
    case eio_packet_type::open:
      return "open";
    case eio_packet_type::close:
      return "close";
    case eio_packet_type::ping:
      return "ping";
    case eio_packet_type::pong:
      return "pong";
    case eio_packet_type::message:
      return "message";
    case eio_packet_type::upgrade:
      return "upgrade";
    case eio_packet_type::noop:
      return "noop";
  }
  return "unknown";
}

std::string encode_frame(const eio_packet& packet) {
  if (is_binary_frame(packet))
    return packet.data;
  std::string out;
  out.reserve(1 + packet.data.size());
  out.push_back(to_digit(packet.type));
  out.append(packet.data);
  return out;
}

result<eio_packet> decode_text_frame(std::string_view frame) {
  if (!frame.empty() && frame[0] == 'b')
    return result<eio_packet>::fail(
      "binary packet prefix 'b' is not valid on WebSocket");
  return decode_text(frame);
}

result<eio_packet> take_text_frame(std::string&& frame) {
  auto checked = decode_text_frame(std::string_view{frame}.substr(0, 1));
  if (!checked)
    return checked;
  checked->data = std::move(frame);
  checked->data.erase(0, 1);
  return checked;
}

eio_packet take_binary_frame(std::string&& bytes) {
  eio_packet packet;
  packet.type = eio_packet_type::message;
  packet.binary = true;
  packet.data = std::move(bytes);
  return packet;
}

eio_packet decode_binary_frame(std::string_view bytes) {
  return take_binary_frame(std::string{bytes});
}

void append_to_payload(std::string& out, const eio_packet& packet) {
  if (is_binary_frame(packet)) {
    append_frame_to_payload(out, packet.data, true);
    return;
  }
  if (!out.empty())
    out.push_back(payload_separator);
  out.push_back(to_digit(packet.type));
  out.append(packet.data);
}

void append_frame_to_payload(
  std::string& out, std::string_view frame, bool binary) {
  if (!out.empty())
    out.push_back(payload_separator);
  if (binary) {
    out.push_back('b');
    out.append(base64_encode(frame));
  } else {
    out.append(frame);
  }
}

std::string encode_payload(const std::vector<eio_packet>& packets) {
  std::string out;
  for (const auto& packet : packets)
    append_to_payload(out, packet);
  return out;
}

result<std::vector<eio_packet>> decode_payload(
  std::string_view body, const payload_limits& limits) {
  using result_type = result<std::vector<eio_packet>>;
  // Count first so that the vector is never sized by an unchecked number.
  auto count = static_cast<size_t>(
                 std::count(body.begin(), body.end(), payload_separator))
               + 1;
  if (count > limits.max_packets)
    return result_type::fail("payload holds " + std::to_string(count)
                             + " packets, more than the limit of "
                             + std::to_string(limits.max_packets));
  std::vector<eio_packet> packets;
  packets.reserve(count);
  size_t index = 0;
  for (;;) {
    auto end = body.find(payload_separator);
    auto segment = body.substr(0, end);
    auto packet = decode_segment(segment, index, limits);
    if (!packet)
      return result_type::fail(packet.error());
    packets.push_back(std::move(*packet));
    if (end == std::string_view::npos)
      break;
    body.remove_prefix(end + 1);
    ++index;
  }
  return result_type::ok(std::move(packets));
}

bool is_single_text_packet(std::string_view body, const payload_limits& limits) {
  // decode_segment's rules for a text segment, on a body with no separator.
  return !body.empty() && body[0] != 'b' && body.size() - 1 <= limits.max_packet_size
         && eio_packet_type_from_digit(body[0]).has_value()
         && body.find(payload_separator) == std::string_view::npos;
}

} // namespace sio::protocol
