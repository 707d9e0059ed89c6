// lib/http/stream.hpp
// The byte stream under the HTTP server and the WebSocket framing: plain TCP
// or TLS (asio::ssl over OpenSSL) behind one type, so that the same
// connection code serves both. Plain mode is the bare socket plus one null
// pointer test per call: no allocation, no type erasure on the hot path.
#pragma once

// Standard headers first: Asio decides between aligned_alloc and operator
// new from libstdc++'s config macros, so every translation unit must have
// seen them before Asio's config (else its recycled handler memory is freed
// with the other function: ASan's alloc-dealloc-mismatch).
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include <asio.hpp>
#include <asio/ssl.hpp>

namespace sio::http {

/// Where a server finds its certificate; both empty = plain TCP.
struct tls_settings {
  /// PEM certificate chain, the server's certificate first.
  std::string cert_file;
  /// PEM private key of that certificate (not encrypted).
  std::string key_file;

  /// True when TLS is configured.
  bool enabled() const noexcept { return !cert_file.empty() || !key_file.empty(); }
};

/// Builds a TLS 1.2+ server context from `s`. Throws std::runtime_error whose
/// message names the file that is missing, unreadable or not a valid
/// certificate / key, or says that the key does not match the certificate.
std::shared_ptr<asio::ssl::context> make_tls_server_context(const tls_settings& s);

/// A connected TCP socket, optionally wrapped in TLS. Move-only; the TLS
/// state lives on the heap so that moving a stream never moves an
/// asio::ssl::stream that an operation in flight still refers to.
class stream {
public:
  // -- member types -----------------------------------------------------------

  /// The connection's event loop, as the socket's own concrete executor:
  /// the default polymorphic any_io_executor is 56 bytes in the socket and
  /// is copied into every pending operation (an idle WebSocket's readiness
  /// wait: 184 -> 104 bytes). One thread runs each loop (server_settings::
  /// loops), so the loop alone serialises a connection's handlers: no
  /// strand (its lock and executor copies were ~3 % of the server's CPU per
  /// echoed ack).
  using executor_type = asio::io_context::executor_type;
  using tcp_socket = asio::basic_stream_socket<asio::ip::tcp, executor_type>;
  using tls_stream = asio::ssl::stream<tcp_socket>;

  // -- construction -----------------------------------------------------------

  /// Plain TCP.
  explicit stream(tcp_socket sock) noexcept : sock_(std::move(sock)) {
    // nop
  }

  /// TLS over `sock`; the server handshake (async_handshake) comes first.
  stream(tcp_socket sock, asio::ssl::context& ctx);

  stream(stream&&) noexcept = default;
  stream& operator=(stream&&) noexcept = default;

  // -- properties -------------------------------------------------------------

  /// True when the bytes go through TLS.
  bool is_tls() const noexcept { return tls_ != nullptr; }

  /// The TCP socket: endpoints, socket options, cancel.
  tcp_socket& lowest_layer() noexcept { return tls_ ? tls_->next_layer() : sock_; }

  /// The connection's event loop.
  executor_type get_executor() noexcept { return lowest_layer().get_executor(); }

  /// Keeps the TLS state alive (null in plain mode): an owner that gave the
  /// stream away while one of its operations is still pending holds this
  /// until that operation's handler has run.
  std::shared_ptr<void> tls_keepalive() const noexcept { return tls_; }

  // -- I/O --------------------------------------------------------------------

  /// Reads some bytes (decrypted in TLS mode).
  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& bufs, Handler&& handler) {
    if (tls_)
      tls_->async_read_some(bufs, std::forward<Handler>(handler));
    else
      sock_.async_read_some(bufs, std::forward<Handler>(handler));
  }

  /// Writes a whole buffer sequence (gather write; TLS packs small buffers
  /// into records of up to 8 KiB).
  template <class ConstBuffers, class Handler>
  void async_write(const ConstBuffers& bufs, Handler&& handler) {
    if (tls_)
      asio::async_write(*tls_, bufs, std::forward<Handler>(handler));
    else
      asio::async_write(sock_, bufs, std::forward<Handler>(handler));
  }

  /// Writes a whole buffer sequence now (blocks only while the socket's send
  /// buffer is full; meant for a short answer on a fresh connection).
  template <class ConstBuffers>
  std::size_t write(const ConstBuffers& bufs, asio::error_code& ec) {
    return tls_ ? asio::write(*tls_, bufs, ec) : asio::write(sock_, bufs, ec);
  }

  /// TLS mode: the server side of the handshake. Plain mode: completes with
  /// success (posted).
  template <class Handler>
  void async_handshake(Handler&& handler) {
    if (tls_)
      tls_->async_handshake(asio::ssl::stream_base::server,
                            std::forward<Handler>(handler));
    else
      asio::post(sock_.get_executor(),
                 [h = std::forward<Handler>(handler)]() mutable { h(asio::error_code{}); });
  }

  /// Half-closes the TCP connection (the peer reads EOF after what was
  /// written). In TLS mode no close_notify is sent: what precedes the EOF
  /// is a complete HTTP response or WebSocket close frame already.
  void shutdown_send() noexcept {
    asio::error_code ignored;
    lowest_layer().shutdown(tcp_socket::shutdown_send, ignored);
  }

  /// Shuts the TCP connection down both ways and closes it; pending
  /// operations complete with an error.
  void close() noexcept {
    asio::error_code ignored;
    auto& s = lowest_layer();
    s.shutdown(tcp_socket::shutdown_both, ignored);
    s.close(ignored);
  }

private:
  /// The socket in plain mode (unused, closed, in TLS mode).
  tcp_socket sock_;
  /// The TLS stream (owning the socket) in TLS mode, else null.
  std::shared_ptr<tls_stream> tls_;
};

/// True if `ec` is a failed TLS handshake because the peer spoke plain HTTP.
bool is_plain_http_on_tls(const asio::error_code& ec) noexcept;

} // namespace sio::http
