// lib/auth/hmac.hpp
// HMAC-SHA256 (OpenSSL), lower-case hex and a constant-time comparison: the
// primitives behind JWT HS256 signatures and the webhook `ce-signature`.
#pragma once

#include <string>
#include <string_view>

namespace sio::auth {

/// Raw 32-byte HMAC-SHA256 of `msg` keyed with the bytes of `key`.
std::string hmac_sha256(std::string_view key, std::string_view msg);

/// Lower-case hex of arbitrary bytes ("\x01\xab" -> "01ab").
std::string to_hex(std::string_view bytes);

/// Compares without an early exit, so timing does not reveal the common
/// prefix of a guessed signature. Differing lengths return false at once
/// (lengths of signatures are public).
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace sio::auth
