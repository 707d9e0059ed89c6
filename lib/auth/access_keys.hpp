// lib/auth/access_keys.hpp
// The hub's access keys (primary, optional secondary), key generation and the
// webhook `ce-signature` header value (protocol.md §4.3).
#pragma once

#include <string>
#include <string_view>

namespace sio::auth {

/// The configured HS256 keys; the HMAC key is the UTF-8 bytes of the string
/// as written (not base64-decoded), like Azure. An empty string = not set.
struct access_keys {
  /// Signs issued tokens; always tried first when verifying.
  std::string primary;
  /// Optional second key for rotation; empty when unused.
  std::string secondary;
};

/// 32 CSPRNG bytes, base64 encoded: 44 characters like an Azure access key.
/// Returns an empty string if the CSPRNG fails (callers must refuse to run).
std::string generate_access_key();

/// `sha256=<hex>[,sha256=<hex>]`: HMAC-SHA256(key, connection_id) for each
/// non-empty key, primary first (protocol.md §4.3).
std::string ce_signature(const access_keys& keys,
                         std::string_view connection_id);

} // namespace sio::auth
