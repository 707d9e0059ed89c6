#include "lib/http/stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>
#include <stdexcept>

namespace sio::http {

namespace {

/// The OpenSSL reason carried by `ec` (or "invalid"); clears OpenSSL's
/// error queue so that no stale error shows up on a later connection.
std::string openssl_reason(const asio::error_code& ec) {
  std::string why = ec ? ec.message() : std::string{};
  ERR_clear_error();
  return why.empty() ? std::string{"invalid"} : why;
}

void check_readable(const std::string& path, const char* what) {
  if (path.empty())
    throw std::runtime_error(std::string{"TLS "} + what + " file is not set");
  std::ifstream in{path};
  if (!in)
    throw std::runtime_error(std::string{"TLS "} + what + " file '" + path
                             + "' cannot be read");
}

} // namespace

std::shared_ptr<asio::ssl::context> make_tls_server_context(const tls_settings& s) {
  check_readable(s.cert_file, "certificate");
  check_readable(s.key_file, "key");
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds
                   | asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3
                   | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1
                   | asio::ssl::context::single_dh_use);
  // Idle connections (most WebSockets, most of the time) give their 2 x 17 KiB
  // record buffers back.
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  asio::error_code ec;
  ctx->use_certificate_chain_file(s.cert_file, ec);
  if (ec)
    throw std::runtime_error("TLS certificate file '" + s.cert_file
                             + "' is not a PEM certificate chain: " + openssl_reason(ec));
  ctx->use_private_key_file(s.key_file, asio::ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("TLS key file '" + s.key_file
                             + "' is not a PEM private key: " + openssl_reason(ec));
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("TLS key file '" + s.key_file
                             + "' does not match the certificate in '" + s.cert_file + "'");
  }
  return ctx;
}

stream::stream(tcp_socket sock, asio::ssl::context& ctx)
  : sock_(sock.get_executor()),
    tls_(std::make_shared<tls_stream>(std::move(sock), ctx)) {
  // nop
}

bool is_plain_http_on_tls(const asio::error_code& ec) noexcept {
  return ec.category() == asio::error::get_ssl_category()
         && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST;
}

} // namespace sio::http
