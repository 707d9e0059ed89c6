// lib/protocol/base64.hpp
// Base64 (RFC 4648 §4, padded) and base64url (§5, unpadded) for Engine.IO
// polling payloads ("b" + base64), group names and JWTs. No I/O, no throws.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sio::protocol {

/// Standard alphabet with '=' padding (Engine.IO binary packets on polling).
std::string base64_encode(std::string_view bytes);

/// The length of base64_encode's result for `bytes` input bytes.
constexpr std::size_t base64_encoded_size(std::size_t bytes) noexcept {
  return (bytes + 2) / 3 * 4;
}

/// Decodes standard base64; padding is required. nullopt on any bad input.
std::optional<std::string> base64_decode(std::string_view text);

/// URL-safe alphabet without padding (group names, JWT segments).
std::string base64url_encode(std::string_view bytes);

/// Decodes base64url; accepts input with or without '=' padding.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace sio::protocol
