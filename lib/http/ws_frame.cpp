#include "lib/http/ws_frame.hpp"

#include "lib/protocol/utf8.hpp"

#include <algorithm>
#include <cstring>

namespace sio::http {

std::string_view to_string(ws_opcode op) noexcept {
  switch (op) {
    case ws_opcode::continuation:
      return "continuation";
    case ws_opcode::text:
      return "text";
    case ws_opcode::binary:
      return "binary";
    case ws_opcode::close:
      return "close";
    case ws_opcode::ping:
      return "ping";
    case ws_opcode::pong:
      return "pong";
  }
  return "reserved";
}

bool is_known_opcode(uint8_t raw) noexcept {
  switch (raw) {
    case 0x0:
    case 0x1:
    case 0x2:
    case 0x8:
    case 0x9:
    case 0xA:
      return true;
    default:
      return false;
  }
}

bool is_valid_close_code(uint16_t code) noexcept {
  // 1004-1006 and 1015 are reserved and must never appear on the wire; 1012-1014
  // are registered with IANA; 3000-4999 belong to libraries and applications.
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
         || (code >= 3000 && code <= 4999);
}

// -- ws_frame_parser ------------------------------------------------------------

ws_parse_result ws_frame_parser::fail(uint16_t code, const char* reason) noexcept {
  failed_ = true;
  fail_code_ = code;
  fail_reason_ = reason;
  return {ws_parse_status::invalid, 0, code, reason};
}

bool ws_frame_parser::ends_message() const noexcept {
  return header_.fin && !is_control(header_.opcode);
}

void ws_frame_parser::reset() noexcept {
  *this = ws_frame_parser{limits_};
}

ws_parse_result ws_frame_parser::check_first_bytes() noexcept {
  uint8_t b0 = raw_[0];
  uint8_t b1 = raw_[1];
  if (b0 & 0x70)
    return fail(ws_close_code::protocol_error, "reserved bits set");
  uint8_t raw_op = b0 & 0x0F;
  if (!is_known_opcode(raw_op))
    return fail(ws_close_code::protocol_error, "unknown opcode");
  auto op = static_cast<ws_opcode>(raw_op);
  bool fin = (b0 & 0x80) != 0;
  bool masked = (b1 & 0x80) != 0;
  uint8_t len7 = b1 & 0x7F;
  if (limits_.require_mask && !masked)
    return fail(ws_close_code::protocol_error, "client frame is not masked");
  if (is_control(op)) {
    if (!fin)
      return fail(ws_close_code::protocol_error, "fragmented control frame");
    if (len7 > 125)
      return fail(ws_close_code::protocol_error, "control frame too long");
  } else if (op == ws_opcode::continuation) {
    if (!in_message_)
      return fail(ws_close_code::protocol_error, "continuation without a message");
  } else if (in_message_) {
    return fail(ws_close_code::protocol_error, "new message inside a fragmented one");
  }
  uint8_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  needed_ = static_cast<uint8_t>(2 + ext + (masked ? 4 : 0));
  return {};
}

ws_parse_result ws_frame_parser::finish_header() noexcept {
  ws_frame_header h;
  h.fin = (raw_[0] & 0x80) != 0;
  h.opcode = static_cast<ws_opcode>(raw_[0] & 0x0F);
  h.masked = (raw_[1] & 0x80) != 0;
  uint8_t len7 = raw_[1] & 0x7F;
  size_t pos = 2;
  if (len7 == 126) {
    h.payload_size = (uint64_t{raw_[2]} << 8) | raw_[3];
    pos = 4;
  } else if (len7 == 127) {
    if (raw_[2] & 0x80)
      return fail(ws_close_code::protocol_error, "64-bit length has the top bit set");
    uint64_t v = 0;
    for (size_t i = 2; i < 10; ++i)
      v = (v << 8) | raw_[i];
    h.payload_size = v;
    pos = 10;
  } else {
    h.payload_size = len7;
  }
  if (h.masked)
    std::memcpy(h.mask.data(), raw_.data() + pos, 4);

  if (!is_control(h.opcode)) {
    // Decide size and count before the caller stores a single payload byte.
    bool first = h.opcode != ws_opcode::continuation;
    uint64_t so_far = first ? 0 : message_size_;
    size_t frames = first ? 0 : fragments_;
    if (h.payload_size > limits_.max_message_size - so_far)
      return fail(ws_close_code::too_big, "message too big");
    if (frames + 1 > limits_.max_fragments)
      return fail(ws_close_code::too_big, "too many fragments");
    if (first)
      message_opcode_ = h.opcode;
    message_size_ = so_far + h.payload_size;
    fragments_ = frames + 1;
    in_message_ = !h.fin;
  }
  header_ = h;
  return {ws_parse_status::complete, 0, 0, {}};
}

ws_parse_result ws_frame_parser::parse_header(std::string_view bytes) noexcept {
  if (failed_)
    return {ws_parse_status::invalid, 0, fail_code_, fail_reason_};
  size_t used = 0;
  auto take = [&](size_t want) {
    size_t n = std::min(want - have_, bytes.size() - used);
    std::memcpy(raw_.data() + have_, bytes.data() + used, n);
    have_ = static_cast<uint8_t>(have_ + n);
    used += n;
  };
  if (have_ < 2) {
    take(2);
    if (have_ < 2)
      return {ws_parse_status::need_more, used, 0, {}};
    auto r = check_first_bytes();
    if (r.status == ws_parse_status::invalid) {
      r.consumed = used;
      return r;
    }
  }
  take(needed_);
  if (have_ < needed_)
    return {ws_parse_status::need_more, used, 0, {}};
  auto r = finish_header();
  r.consumed = used;
  have_ = 0;
  needed_ = 2;
  return r;
}

// -- masking and encoding -------------------------------------------------------

void ws_apply_mask(char* data, size_t size, const std::array<uint8_t, 4>& key,
                   uint64_t offset) noexcept {
  // Rotate the key so that key byte (offset % 4) lines up with data[0], then
  // XOR eight bytes at a time; memcpy keeps unaligned access well-defined.
  std::array<uint8_t, 8> k8;
  for (size_t i = 0; i < 8; ++i)
    k8[i] = key[(offset + i) % 4];
  uint64_t k;
  std::memcpy(&k, k8.data(), 8);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= k;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < size; ++i)
    data[i] = static_cast<char>(static_cast<uint8_t>(data[i]) ^ k8[i % 8]);
}

ws_header_bytes encode_ws_frame_header(ws_opcode op, uint64_t payload_size, bool fin,
                                       const std::array<uint8_t, 4>* mask) noexcept {
  ws_header_bytes out;
  auto put = [&out](uint8_t b) { out.data[out.size++] = static_cast<char>(b); };
  put(static_cast<uint8_t>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(op)));
  uint8_t mask_bit = mask ? 0x80 : 0x00;
  if (payload_size <= 125) {
    put(static_cast<uint8_t>(mask_bit | payload_size));
  } else if (payload_size <= 0xFFFF) {
    put(mask_bit | 126);
    put(static_cast<uint8_t>(payload_size >> 8));
    put(static_cast<uint8_t>(payload_size));
  } else {
    put(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      put(static_cast<uint8_t>(payload_size >> shift));
  }
  if (mask)
    for (uint8_t b : *mask)
      put(b);
  return out;
}

// -- close payloads -------------------------------------------------------------

std::optional<ws_close_info> parse_ws_close_payload(std::string_view payload) {
  ws_close_info info;
  if (payload.empty())
    return info;
  if (payload.size() == 1)
    return std::nullopt;
  info.code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8)
                                    | static_cast<uint8_t>(payload[1]));
  if (!is_valid_close_code(info.code))
    return std::nullopt;
  auto reason = payload.substr(2);
  if (!protocol::is_valid_utf8(reason))
    return std::nullopt;
  info.reason.assign(reason);
  return info;
}

std::string make_ws_close_payload(uint16_t code, std::string_view reason) {
  if (!is_valid_close_code(code))
    code = ws_close_code::normal;
  // Control frames carry at most 125 bytes: 2 for the code, 123 for the reason.
  // Cutting inside a multi-byte sequence would make the peer fail us with 1007.
  reason = protocol::utf8_prefix(reason, 123);
  if (!protocol::is_valid_utf8(reason))
    reason = {};
  std::string out;
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

} // namespace sio::http
