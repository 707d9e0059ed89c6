// lib/http/response.hpp
// An HTTP response as plain values, plus the one function that writes its
// head. Bodies are sent as given (no transfer encoding on our side).
#pragma once

#include "lib/http/request.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace sio::http {

/// A complete response; the server adds Content-Length and Connection.
struct response {
  int status = 200;
  std::vector<header> headers;  ///< extra headers, e.g. Content-Type
  std::string body;
  bool close = false;           ///< close the connection after sending

  /// A JSON body with `Content-Type: application/json`.
  static response json(int status, std::string body);
  /// A text body with `Content-Type: text/plain; charset=UTF-8`.
  static response text(int status, std::string body);
  /// The JSON error body {"code":"<code>","message":"<message>"}, escaped
  /// (protocol::json_error_body), with `Content-Type: application/json`.
  static response error(int status, std::string_view code,
                        std::string_view message);
};

/// The reason phrase of a status code ("Not Found"); "Unknown" otherwise.
std::string_view reason_phrase(int status);

/// Status line and headers, including Content-Length and Connection,
/// terminated by the empty line.
std::string serialize_head(const response& r, bool keep_alive);

} // namespace sio::http
