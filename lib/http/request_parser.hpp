// lib/http/request_parser.hpp
// Incremental HTTP/1.1 request parser: Node's http_parser does the byte-level
// parsing; this class adds the limits a public server needs and turns each
// violation into the status the peer should get (400, 413, 414, 431) instead
// of a silent reset. No I/O.
#pragma once

#include "lib/http/request.hpp"

#include <http_parser.h>

#include <climits>
#include <cstddef>
#include <string>
#include <string_view>

namespace sio::http {

/// Size limits, all checked before the bytes are stored.
struct request_limits {
  size_t max_url_size = 8 * 1024;           ///< over -> 414
  size_t max_header_bytes = 16 * 1024;      ///< names + values, total -> 431
  size_t max_header_count = 100;            ///< -> 431
  size_t max_body_size = 1024 * 1024 + 64;  ///< -> 413
};

/// Parses one request at a time from a byte stream.
class request_parser {
public:
  enum class status { need_more, complete, invalid };

  explicit request_parser(request_limits limits = {});
  request_parser(const request_parser&) = delete;
  request_parser& operator=(const request_parser&) = delete;

  /// Feeds bytes; `consumed` tells how many were used (the rest belongs to the
  /// next request or, after an upgrade, to the new protocol).
  status parse(std::string_view bytes, size_t& consumed);

  /// The finished request (valid after `complete`); call reset() before the
  /// next one.
  request& current() { return req_; }

  /// After `invalid`: the HTTP status to answer and why.
  int error_status() const { return error_status_; }
  const std::string& error_reason() const { return error_reason_; }

  /// True once any byte of a request has been seen (for idle vs. slow reads).
  bool started() const { return started_; }

  /// Prepares for the next request on the same connection.
  void reset();

  /// Changes the body limit for the request being parsed (e.g. per route).
  void set_max_body_size(size_t n) { limits_.max_body_size = n; }

private:
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, size_t n);
  static int on_header_field(http_parser* p, const char* at, size_t n);
  static int on_header_value(http_parser* p, const char* at, size_t n);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t n);
  static int on_message_complete(http_parser* p);

  int fail(int status, std::string reason);

  http_parser parser_;
  http_parser_settings settings_;
  request_limits limits_;
  request req_;
  size_t header_bytes_ = 0;
  bool in_value_ = false;
  bool complete_ = false;
  bool started_ = false;
  int error_status_ = 0;
  std::string error_reason_;
};

} // namespace sio::http
