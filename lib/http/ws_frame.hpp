// lib/http/ws_frame.hpp
// RFC 6455 framing without I/O: an incremental frame *header* parser that
// enforces the protocol rules and the message size limits before anything is
// allocated, the masking function, a frame header encoder and close payloads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sio::http {

// -- opcodes and close codes --------------------------------------------------

/// Frame opcodes (RFC 6455 §5.2); everything else is reserved.
enum class ws_opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// Lower-case name ("text", "close", ...); "reserved" for unknown values.
std::string_view to_string(ws_opcode op) noexcept;

/// True for the six opcodes above.
bool is_known_opcode(uint8_t raw) noexcept;

/// True for close, ping and pong (the high opcode bit).
constexpr bool is_control(ws_opcode op) noexcept {
  return (static_cast<uint8_t>(op) & 0x8) != 0;
}

/// Close status codes we send or report (RFC 6455 §7.4.1).
namespace ws_close_code {
/// Normal closure.
constexpr uint16_t normal = 1000;
/// Endpoint going away (server shutdown).
constexpr uint16_t going_away = 1001;
/// Protocol error: bad framing, unmasked client frame, bad close payload.
constexpr uint16_t protocol_error = 1002;
/// Reported (never sent) when a close frame carried no status code.
constexpr uint16_t no_status = 1005;
/// Reported (never sent) when the connection dropped without a close frame.
constexpr uint16_t abnormal = 1006;
/// Text message or close reason is not valid UTF-8.
constexpr uint16_t invalid_payload = 1007;
/// Policy violation; we use it for a full write queue (slow consumer).
constexpr uint16_t policy_violation = 1008;
/// Message (or one of its fragments, or their count) over the limit.
constexpr uint16_t too_big = 1009;
/// Unexpected server condition.
constexpr uint16_t internal_error = 1011;
} // namespace ws_close_code

/// True for codes a peer may put in a close frame: 1000-1003, 1007-1014, 3000-4999.
bool is_valid_close_code(uint16_t code) noexcept;

// -- frame headers ------------------------------------------------------------

/// A decoded frame header.
struct ws_frame_header {
  /// Last frame of the message.
  bool fin = false;
  /// Frame opcode (always a known one once the parser said complete).
  ws_opcode opcode = ws_opcode::continuation;
  /// Mask bit; client frames must have it.
  bool masked = false;
  /// Masking key (zero when unmasked).
  std::array<uint8_t, 4> mask{};
  /// Payload length in bytes.
  uint64_t payload_size = 0;
};

/// Outcome of feeding bytes to the parser.
enum class ws_parse_status : uint8_t {
  /// All input consumed, the header is not complete yet.
  need_more,
  /// A full header was decoded; see ws_frame_parser::header().
  complete,
  /// The peer broke the protocol or a limit; close with close_code.
  invalid,
};

/// Result of ws_frame_parser::parse_header.
struct ws_parse_result {
  /// What happened.
  ws_parse_status status = ws_parse_status::need_more;
  /// Input bytes used (the payload starts right after them).
  size_t consumed = 0;
  /// For invalid: 1002 (protocol error) or 1009 (too big).
  uint16_t close_code = 0;
  /// For invalid: a short static explanation, usable as the close reason.
  std::string_view reason;
};

/// Limits applied to headers, i.e. before any payload is stored.
struct ws_parser_limits {
  /// Whole message, all fragments together.
  uint64_t max_message_size = 1000000;
  /// Frames per message (fragment storm guard).
  size_t max_fragments = 1024;
  /// Server side: client frames must be masked (RFC 6455 §5.1).
  bool require_mask = true;
};

/// Incremental frame header parser plus the message-level rules that can be
/// decided from headers alone (fragment sequence, size, fragment count). The
/// payload itself is the caller's business: after `complete`, the next
/// header().payload_size bytes of the stream are payload.
class ws_frame_parser {
 public:
  /// A parser for a new connection.
  explicit ws_frame_parser(ws_parser_limits limits = {}) noexcept : limits_(limits) {}

  /// Consumes header bytes from the front of `bytes`; stops at the header's end.
  ws_parse_result parse_header(std::string_view bytes) noexcept;

  /// The last complete header.
  const ws_frame_header& header() const noexcept { return header_; }

  /// True if the last complete header is a data frame with FIN (its payload
  /// finishes a message).
  bool ends_message() const noexcept;

  /// Opcode (text/binary) of the message the last data frame belongs to.
  ws_opcode message_opcode() const noexcept { return message_opcode_; }

  /// Forgets everything, including a failure.
  void reset() noexcept;

 private:
  /// Checks what the first two bytes already tell; sets needed_.
  ws_parse_result check_first_bytes() noexcept;
  /// Decodes length and mask; applies sequence and size rules.
  ws_parse_result finish_header() noexcept;
  /// Records a failure (sticky) and returns it.
  ws_parse_result fail(uint16_t code, const char* reason) noexcept;

  /// Limits for this connection.
  ws_parser_limits limits_;
  /// The last complete header.
  ws_frame_header header_;
  /// Raw bytes of the header being parsed (at most 14).
  std::array<uint8_t, 14> raw_{};
  /// Bytes in raw_.
  uint8_t have_ = 0;
  /// Header size once the first two bytes are known (else 2).
  uint8_t needed_ = 2;
  /// Inside a fragmented message (a data frame without FIN was seen).
  bool in_message_ = false;
  /// Protocol error seen; every later call fails the same way.
  bool failed_ = false;
  /// Opcode of the current (or last) message.
  ws_opcode message_opcode_ = ws_opcode::text;
  /// Failure details for repeated calls after an error.
  uint16_t fail_code_ = 0;
  /// Failure reason (static text; a pointer, not a view: 8 bytes less in
  /// every WebSocket connection, see ws_connection's size).
  const char* fail_reason_ = "";
  /// Bytes announced so far for the current message.
  uint64_t message_size_ = 0;
  /// Frames so far in the current message.
  size_t fragments_ = 0;
};

/// XORs `data` with `key`; `offset` = payload bytes of this frame before `data`,
/// so a payload can be unmasked piece by piece. Masking and unmasking are equal.
void ws_apply_mask(char* data, size_t size, const std::array<uint8_t, 4>& key,
                   uint64_t offset = 0) noexcept;

/// An encoded frame header (2 to 14 bytes).
struct ws_header_bytes {
  /// Header bytes; only the first `size` are used.
  std::array<char, 14> data{};
  /// Number of bytes used.
  uint8_t size = 0;
  /// The header as a view.
  std::string_view view() const noexcept { return {data.data(), size}; }
};

/// Encodes a frame header using the shortest length form. Servers send
/// unmasked frames; pass `mask` to build a client frame (tests, clients).
ws_header_bytes encode_ws_frame_header(ws_opcode op, uint64_t payload_size,
                                       bool fin = true,
                                       const std::array<uint8_t, 4>* mask = nullptr) noexcept;

// -- close frames -------------------------------------------------------------

/// A decoded close frame payload.
struct ws_close_info {
  /// Status code; 1005 when the payload was empty.
  uint16_t code = ws_close_code::no_status;
  /// UTF-8 reason (may be empty).
  std::string reason;
};

/// Decodes a peer's close payload; nullopt if it is 1 byte long, has a code a
/// peer may not send, or a reason that is not UTF-8 (all mean close 1002).
std::optional<ws_close_info> parse_ws_close_payload(std::string_view payload);

/// Builds a close payload: the code, then `reason` cut to fit 125 bytes at a
/// UTF-8 boundary (dropped if not UTF-8). A code that may not be sent (e.g.
/// 1005, 1006) becomes 1000.
std::string make_ws_close_payload(uint16_t code, std::string_view reason);

} // namespace sio::http
