// lib/http/request.hpp
// One parsed HTTP/1.1 request as plain values: what the gateway routes on.
// Produced by request_parser; owns its bytes, knows nothing of sockets.
#pragma once

#include "lib/protocol/percent.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::http {

/// A header as received (name case preserved, value trimmed).
using header = std::pair<std::string, std::string>;

/// A complete HTTP request: request line, headers and (de-chunked) body.
struct request {
  std::string method;           ///< "GET", "POST", ...
  std::string target;           ///< raw request target, e.g. "/a/b?x=1"
  std::vector<header> headers;  ///< in arrival order
  std::string body;             ///< de-chunked body
  bool keep_alive = true;       ///< HTTP/1.1 default unless "Connection: close"
  bool upgrade = false;         ///< "Connection: upgrade" + "Upgrade" present
  std::string remote_address;   ///< peer IP, for logs

  /// The path part of the target (before '?' or '#'), still percent-encoded.
  std::string_view path() const;
  /// The raw query string (after '?', before '#'); empty when absent.
  std::string_view query() const;
  /// First header with this name (case-insensitive), or nullptr.
  const std::string* find_header(std::string_view name) const;
};

/// Decodes %XX escapes (and '+' as space when `plus_is_space`); nullopt on a
/// malformed escape. (lib/protocol's, named here for the HTTP layer's users.)
using protocol::percent_decode;

/// Splits a query string into decoded key/value pairs in order; malformed
/// escapes make the whole query invalid (nullopt).
std::optional<std::vector<std::pair<std::string, std::string>>>
parse_query(std::string_view query);

} // namespace sio::http
