// lib/http/ws_handshake.hpp
// Server side of the RFC 6455 opening handshake (§4.2): checks the upgrade
// request's headers, computes Sec-WebSocket-Accept and builds the literal
// "101 Switching Protocols" response. No I/O.
#pragma once

#include "lib/http/request.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::http {

/// The request headers the handshake depends on; empty = header absent.
/// (The caller checks that the method is GET and the version HTTP/1.1.)
struct ws_upgrade_headers {
  /// `Upgrade`, must name "websocket" (case-insensitive).
  std::string_view upgrade;
  /// `Connection`, a token list that must contain "upgrade".
  std::string_view connection;
  /// `Sec-WebSocket-Version`, must be "13".
  std::string_view version;
  /// `Sec-WebSocket-Key`, base64 of 16 bytes.
  std::string_view key;
};

/// Outcome of validate_ws_upgrade.
struct ws_handshake_result {
  /// True when the request is a valid WebSocket upgrade.
  bool ok = false;
  /// Status to answer a rejected request with: 400, or 426 for a version
  /// other than 13 (send `Sec-WebSocket-Version: 13` with it, §4.4).
  int http_status = 400;
  /// Why the request was rejected (human-readable).
  std::string reason;
  /// Sec-WebSocket-Accept value when ok.
  std::string accept;
};

/// The four headers of `req` (views into it; empty when absent).
ws_upgrade_headers upgrade_headers_of(const request& req);

/// True if `headers` ask for a WebSocket upgrade at all (Upgrade names
/// websocket), i.e. the request must be treated as a handshake attempt.
bool is_ws_upgrade_request(const ws_upgrade_headers& headers);

/// Checks all four headers; on success also computes the accept value.
ws_handshake_result validate_ws_upgrade(const ws_upgrade_headers& headers);

/// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), RFC 6455 §4.2.2.
std::string ws_accept_key(std::string_view client_key);

/// An extra response header (name, value).
using ws_extra_header = std::pair<std::string, std::string>;

/// The complete 101 response text, ending with the blank line. Extra headers
/// with an empty name, a ':' in the name, or CR, LF or NUL anywhere are
/// skipped, so they cannot split the response.
std::string make_ws_101_response(std::string_view accept,
                                 const std::vector<ws_extra_header>& extra = {});

} // namespace sio::http
