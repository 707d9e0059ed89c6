// lib/auth/jwt.hpp
// JWT HS256 as Azure Web PubSub uses it (protocol.md §3.1, §6.2, §6.5):
// signing client/REST tokens, verifying them against the access keys, and the
// audience comparison rules. Only HS256; everything else is rejected.
#pragma once

#include "lib/auth/access_keys.hpp"
#include <sio/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::auth {

/// Tokens longer than this are rejected before any decoding.
constexpr size_t max_token_length = 8192;

/// Default tolerated clock difference for exp/nbf, in seconds.
constexpr int64_t default_clock_skew = 300;

/// The claims of a verified token.
struct jwt_claims {
  /// `sub`: the connection's userId; nullopt for anonymous tokens.
  std::optional<std::string> sub;
  /// `aud`, a string or an array in the token; always a list here.
  std::vector<std::string> aud;
  /// `exp` in epoch seconds (required, so always set after verify).
  std::optional<int64_t> exp;
  /// `nbf` in epoch seconds, when present.
  std::optional<int64_t> nbf;
  /// `iat` in epoch seconds, when present.
  std::optional<int64_t> iat;
  /// `role` (Web PubSub permissions; no meaning for Socket.IO).
  std::vector<std::string> roles;
  /// `webpubsub.group`: groups to join at handshake.
  std::vector<std::string> groups;
  /// Every claim in token order, each value as a list of strings (numbers
  /// stringified, arrays flattened, objects as compact JSON): the shape of
  /// the connect webhook's "claims" object (protocol.md §4.4).
  std::vector<std::pair<std::string, std::vector<std::string>>> all;
};

/// What a client token should carry (protocol.md §6.5).
struct token_request {
  /// `aud`, e.g. "http://localhost:8080/clients/socketio/hubs/hub".
  std::string audience;
  /// `sub`, omitted when nullopt.
  std::optional<std::string> user_id;
  /// `role` array, omitted when empty.
  std::vector<std::string> roles;
  /// `webpubsub.group` array, omitted when empty.
  std::vector<std::string> groups;
  /// exp = now + lifetime_seconds.
  int64_t lifetime_seconds = 3600;
};

/// `b64u(header).b64u(payload).b64u(HMAC-SHA256)` with the header exactly
/// {"alg":"HS256","typ":"JWT"}; `payload_json` is used byte for byte.
std::string sign_hs256(std::string_view payload_json, std::string_view key);

/// Signs {nbf, exp, iat, aud[, sub][, role][, webpubsub.group]} (compact
/// JSON, that order) with `key`; nbf = iat = now.
std::string make_token(const token_request& req, std::string_view key,
                       int64_t now);

/// Verifies an HS256 token against the primary, then the secondary key, and
/// checks exp (required) and nbf with `skew_seconds` tolerance. Errors are
/// short reasons: "token too long", "malformed token", "unsupported alg",
/// "invalid signature", "missing exp", "token expired", "token not yet valid".
/// The audience is not checked here (see audience_matches).
protocol::result<jwt_claims> verify_hs256(std::string_view token,
                                          const access_keys& keys,
                                          int64_t now,
                                          int64_t skew_seconds
                                          = default_clock_skew);

/// Compares a token `aud` with the URL it must name: query, fragment and
/// trailing '/' are ignored on both; scheme and host case-insensitive
/// (default ports ignored); path exact after percent-decoding. With
/// `compare_host` false only scheme-less path equality counts (for reverse
/// proxies that rewrite the host).
bool audience_matches(std::string_view aud, std::string_view expected_url,
                      bool compare_host = true);

/// True if `aud` names `{endpoint}/clients/socketio/hubs/{hub}` or
/// `{endpoint}/client/hubs/{hub}` (tokens from :generateToken, §11 #14).
bool client_audience_matches(std::string_view aud,
                             std::string_view public_endpoint,
                             std::string_view hub);

} // namespace sio::auth
