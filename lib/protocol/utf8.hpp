// lib/protocol/utf8.hpp
// UTF-8 validation (RFC 3629 / Unicode Table 3-7): rejects overlongs, UTF-16
// surrogates, code points above U+10FFFF and truncated sequences. Used for
// WebSocket text frames and close reasons (RFC 6455 §8.1), Socket.IO
// namespaces, webhook answers and error texts: the one validator (one table,
// streaming and one-shot), plus the cutting and repairing built on it; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sio::protocol {

/// Streaming validator: feed a text message piece by piece (fragments may split
/// a code point), then ask complete() at the end of the message.
class utf8_validator {
 public:
  /// Validates the next piece; false once the input can never become valid.
  bool feed(std::string_view bytes) noexcept;

  /// True when everything fed so far is valid and ends on a code point boundary.
  bool complete() const noexcept { return state_ == 0; }

  /// True once invalid input was seen (sticky until reset()).
  bool failed() const noexcept;

  /// Starts over for a new message.
  void reset() noexcept { state_ = 0; }

 private:
  /// DFA state; 0 = at a boundary (accept).
  uint8_t state_ = 0;
};

/// True if `bytes` is a complete, well-formed UTF-8 string.
bool is_valid_utf8(std::string_view bytes) noexcept;

/// Bytes of the well-formed sequence (one code point) that `bytes` starts
/// with; 0 when it is empty or starts with a malformed or truncated one.
size_t utf8_sequence_length(std::string_view bytes) noexcept;

/// The longest prefix of `bytes` of at most `max_bytes` that does not end
/// inside a multi-byte sequence (for cutting a text to a size limit).
std::string_view utf8_prefix(std::string_view bytes, size_t max_bytes) noexcept;

/// `bytes` with every byte that is not part of a well-formed sequence
/// replaced by U+FFFD: for echoing untrusted text where UTF-8 is required.
std::string utf8_sanitized(std::string_view bytes);

} // namespace sio::protocol
