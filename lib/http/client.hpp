// lib/http/client.hpp
// A pooled keep-alive HTTP/1.1 client on Asio for hot paths (webhook calls):
// one pool per upstream origin (host:port) with a bounded number of
// connections and a bounded wait queue, connect/response timeouts and a
// response size limit. Responses are parsed by Node's http_parser. http:// only.
#pragma once

#include "lib/http/request.hpp"
#include <sio/result.hpp>

#include <asio.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sio::http {

/// Limits and timeouts of a client (all per origin where it applies).
struct client_settings {
  /// Open connections per origin (connecting + busy + idle).
  size_t max_connections_per_origin = 32;
  /// Requests waiting for a connection per origin; beyond -> "queue full".
  size_t max_queued_requests = 4096;
  /// From the start of DNS resolution until the TCP connection is up.
  std::chrono::milliseconds connect_timeout{5000};
  /// From the first byte written until the whole response is read.
  std::chrono::milliseconds response_timeout{30000};
  /// Status line, headers and body together; beyond -> error, connection closed.
  size_t max_response_size = 1024 * 1024;
  /// An idle keep-alive connection is closed after this long.
  std::chrono::milliseconds idle_timeout{55000};
};

/// Why a request produced no HTTP status (client_result::code).
enum class client_error : uint8_t {
  none = 0,            ///< a response was received (status is set)
  bad_url = 1,         ///< not an absolute http(s) URL
  unsupported = 2,     ///< https:// (not supported yet)
  queue_full = 3,      ///< too many requests waiting for this origin
  unreachable = 4,     ///< DNS or TCP connect failed
  connect_timeout = 5, ///< no connection within connect_timeout
  timeout = 6,         ///< no complete response within response_timeout
  too_large = 7,       ///< the response exceeded max_response_size
  bad_response = 8,    ///< not valid HTTP/1.x
  connection_lost = 9, ///< the upstream closed or reset before the response
  closed = 10,         ///< the client was destroyed
};

/// Short text of an error code ("timeout", "queue full", ...).
std::string_view to_string(client_error e);

/// One request. The client adds Host, Content-Length and Connection itself
/// (caller-supplied headers with those names are ignored).
struct client_request {
  std::string method = "POST";  ///< any token, e.g. "POST", "OPTIONS"
  std::string url;              ///< absolute: http://host[:port]/path?query
  std::vector<header> headers;  ///< sent in this order
  std::string body;             ///< sent with Content-Length (may be empty)
};

/// The outcome: an HTTP response (status != 0) or a transport error.
struct client_result {
  int status = 0;               ///< 0 on transport error
  std::vector<header> headers;  ///< in arrival order, values trimmed
  std::string body;             ///< de-chunked
  std::string error;            ///< human-readable; empty when status != 0
  client_error code = client_error::none;

  /// First header with this name (case-insensitive), or nullptr.
  const std::string* find_header(std::string_view name) const;
};

/// The parts of an absolute URL the client needs.
struct parsed_url {
  std::string scheme;  ///< "http" or "https" (lower case)
  std::string host;    ///< without brackets for IPv6 literals
  uint16_t port = 80;
  std::string target;  ///< path and query, at least "/"

  /// host:port, the pool key (also what WebHook-Allowed-Origin may name).
  std::string origin() const;
};

/// Splits an absolute http(s) URL; rejects user-info, fragments, bad ports
/// and control characters.
protocol::result<parsed_url> parse_url(std::string_view url);

/// Counters (tests, metrics).
struct client_stats {
  uint64_t connections_opened = 0;  ///< TCP connections established
  uint64_t requests_sent = 0;       ///< requests written (retries included)
  uint64_t retries = 0;             ///< requests retried on a fresh connection
};

namespace detail {
class client_impl;
} // namespace detail

/// The client. send() is thread-safe; callbacks run on an I/O thread of the
/// io_context (never inside send()). No thread per request: everything is
/// asynchronous on the given io_context, one strand per origin.
///
/// Dead keep-alive connections: an idle connection is watched, so a close by
/// the upstream removes it at once; before reuse a non-blocking peek checks
/// it again; a write that fails on a reused connection is retried once on a
/// fresh one. A request whose bytes were written is never retried (a POST is
/// not idempotent): if the upstream then closes without answering, the
/// result is connection_lost.
class client {
public:
  explicit client(asio::io_context& io, client_settings settings = {});
  /// Closes every connection; requests still pending complete with
  /// client_error::closed (on an I/O thread, if the io_context still runs).
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `req`; `done` is called exactly once with the result.
  void send(client_request req, std::function<void(client_result)> done);

  /// Counters so far.
  client_stats stats() const;

  /// The settings in use.
  const client_settings& settings() const;

private:
  std::shared_ptr<detail::client_impl> impl_;
};

} // namespace sio::http
