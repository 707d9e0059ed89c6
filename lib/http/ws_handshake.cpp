#include "lib/http/ws_handshake.hpp"

#include "lib/protocol/ascii.hpp"
#include "lib/protocol/base64.hpp"

#include <openssl/evp.h>

#include <array>

namespace sio::http {

namespace {

constexpr std::string_view ws_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string_view header_or_empty(const request& req, std::string_view name) {
  auto* h = req.find_header(name);
  return h ? std::string_view{*h} : std::string_view{};
}

// True if the comma-separated header value has `token` as one element; this
// is how "Connection: keep-alive, Upgrade" (Firefox) must be read.
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    auto item =
      protocol::trim(list.substr(0, comma), protocol::http_whitespace);
    if (protocol::ascii_iequals(item, token))
      return true;
    if (comma == std::string_view::npos)
      break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool safe_header_text(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0')
      return false;
  return true;
}

} // namespace

ws_upgrade_headers upgrade_headers_of(const request& req) {
  return {header_or_empty(req, "Upgrade"), header_or_empty(req, "Connection"),
          header_or_empty(req, "Sec-WebSocket-Version"),
          header_or_empty(req, "Sec-WebSocket-Key")};
}

bool is_ws_upgrade_request(const ws_upgrade_headers& headers) {
  return has_token(headers.upgrade, "websocket");
}

ws_handshake_result validate_ws_upgrade(const ws_upgrade_headers& h) {
  ws_handshake_result r;
  if (!has_token(h.upgrade, "websocket")) {
    r.reason = "Upgrade header must be 'websocket'";
    return r;
  }
  if (!has_token(h.connection, "upgrade")) {
    r.reason = "Connection header must contain 'upgrade'";
    return r;
  }
  if (protocol::trim(h.version, protocol::http_whitespace) != "13") {
    r.http_status = 426;
    r.reason = "Sec-WebSocket-Version must be 13";
    return r;
  }
  auto key = protocol::trim(h.key, protocol::http_whitespace);
  // A 16-byte nonce is always 24 base64 characters; checking first keeps the
  // decoder away from arbitrarily long header values.
  auto nonce = key.size() == 24 ? protocol::base64_decode(key) : std::nullopt;
  if (!nonce || nonce->size() != 16) {
    r.reason = "Sec-WebSocket-Key must be base64 of 16 bytes";
    return r;
  }
  r.ok = true;
  r.http_status = 101;
  r.accept = ws_accept_key(key);
  return r;
}

std::string ws_accept_key(std::string_view client_key) {
  std::string input;
  input.reserve(client_key.size() + ws_guid.size());
  input.append(client_key);
  input.append(ws_guid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &len, EVP_sha1(), nullptr) != 1)
    return {};
  return protocol::base64_encode(
    std::string_view{reinterpret_cast<const char*>(digest.data()), len});
}

std::string make_ws_101_response(std::string_view accept,
                                 const std::vector<ws_extra_header>& extra) {
  std::string out;
  out.reserve(160);
  out += "HTTP/1.1 101 Switching Protocols\r\n"
         "Upgrade: websocket\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Accept: ";
  out += accept;
  out += "\r\n";
  for (const auto& [name, value] : extra) {
    if (name.empty() || !safe_header_text(name) || !safe_header_text(value)
        || name.find(':') != std::string::npos)
      continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

} // namespace sio::http
