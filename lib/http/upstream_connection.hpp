// lib/http/upstream_connection.hpp
// One keep-alive TCP connection of the client to an upstream: connect,
// write a request, read its response through Node's http_parser, then go
// back to the pool; plus what the client, its pools and connections share.
#pragma once

#include "lib/http/client.hpp"

#include <http_parser.h>

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>

namespace sio::http::detail {

using tcp = asio::ip::tcp;
using strand_type = asio::strand<asio::io_context::executor_type>;

class upstream_pool;

/// What a queued or in-flight request carries.
struct pending_request {
  std::string wire;  ///< the serialized request
  std::function<void(client_result)> done;
  bool retried = false;
};

/// Shared by the client, its pools and their connections.
struct client_shared {
  client_settings settings;
  std::atomic<uint64_t> connections_opened{0};
  std::atomic<uint64_t> requests_sent{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<bool> closed{false};
};

/// A result without an HTTP status.
inline client_result failure(client_error code, std::string why) {
  client_result r;
  r.code = code;
  r.error = std::move(why);
  return r;
}

/// One TCP connection to an upstream; lives on its pool's strand.
class upstream_connection
  : public std::enable_shared_from_this<upstream_connection> {
public:
  upstream_connection(std::shared_ptr<upstream_pool> pool, strand_type strand);

  /// Resolves, connects and sends `p` (a fresh connection).
  void open(pending_request p);
  /// Sends `p` on this (idle, checked) connection.
  void reuse(pending_request p);
  /// Parks the connection in the pool: watches for a close by the upstream.
  void park();
  /// Leaves the idle state (before reuse); false if the upstream closed it.
  bool unpark();
  /// Closes the socket; a request in flight fails with `code`.
  void shutdown(client_error code, const std::string& why);

private:
  void connect(const tcp::resolver::results_type& endpoints);
  void write();
  void read();
  void on_timeout(uint64_t gen);
  void complete(bool reusable);
  void fail(client_error code, std::string why);
  void reset_parser();

  /// Adds `n` bytes to the response's size; false (and too large) past
  /// max_response_size.
  bool count_response_bytes(size_t n);
  static int on_header_field(http_parser* p, const char* at, size_t n);
  static int on_header_value(http_parser* p, const char* at, size_t n);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t n);
  static int on_message_complete(http_parser* p);

  /// Weak: the pool owns its connections, not the other way round, so a
  /// client destroyed while the io_context is stopped leaves no cycle.
  std::weak_ptr<upstream_pool> pool_;
  std::shared_ptr<client_shared> shared_;
  std::string host_;
  uint16_t port_;
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  http_parser parser_;
  http_parser_settings parser_settings_;
  client_result res_;
  std::optional<pending_request> cur_;
  std::array<char, 16 * 1024> buf_;
  size_t response_bytes_ = 0;   ///< bytes of the current response so far
  bool in_value_ = false;
  bool complete_ = false;
  bool too_large_ = false;
  bool reused_ = false;         ///< served a request before
  bool closed_ = false;
  bool connected_ = false;      ///< the TCP connection is up
  /// Bumped whenever a wait (timer, idle watch) must no longer act.
  uint64_t gen_ = 0;
};

} // namespace sio::http::detail
