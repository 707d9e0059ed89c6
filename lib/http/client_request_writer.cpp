#include "lib/http/client_request_writer.hpp"

#include "lib/protocol/ascii.hpp"

namespace sio::http::detail {

namespace {

/// RFC 9110 token characters and control characters, by byte value: the
/// request line and every header are checked before they are written.
struct char_classes {
  bool token[256] = {};
  bool ctl[256] = {};
  constexpr char_classes() {
    for (int c = 0; c < 256; ++c) {
      token[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                 || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
                 || c == '!' || c == '#' || c == '$' || c == '%' || c == '&'
                 || c == '\'' || c == '*' || c == '+' || c == '^' || c == '`'
                 || c == '|' || c == '~';
      ctl[c] = c < 0x20 || c == 0x7F;
    }
  }
};
constexpr char_classes classes{};

} // namespace

bool is_token(std::string_view s) {
  for (unsigned char c : s)
    if (!classes.token[c])
      return false;
  return !s.empty();
}

bool has_ctl(std::string_view s) {
  for (unsigned char c : s)
    if (classes.ctl[c])
      return true;
  return false;
}

namespace {

/// Host, Content-Length, Connection and Transfer-Encoding are the client's.
bool reserved_header(std::string_view name) {
  switch (name.size()) {
    case 4:
      return protocol::ascii_iequals(name, "host");
    case 10:
      return protocol::ascii_iequals(name, "connection");
    case 14:
      return protocol::ascii_iequals(name, "content-length");
    case 17:
      return protocol::ascii_iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

/// A header the client writes: not reserved, a token name, no control
/// characters that could split the request.
bool sendable(const header& h) {
  return !reserved_header(h.first) && is_token(h.first) && !has_ctl(h.second);
}

} // namespace

/// The request's bytes: reserved once, written in one pass.
std::string serialize(const client_request& req, std::string_view target,
                      std::string_view host) {
  auto length = std::to_string(req.body.size());
  size_t size = req.method.size() + 1 + target.size()
                + (sizeof(" HTTP/1.1\r\nHost: ") - 1) + host.size() + 2
                + (sizeof("Content-Length: ") - 1) + length.size() + 4
                + req.body.size();
  // An upper bound: headers dropped below only make the request shorter.
  for (auto& h : req.headers)
    size += h.first.size() + 2 + h.second.size() + 2;
  std::string wire;
  wire.reserve(size);
  auto put = [&wire](std::string_view s) { wire.append(s.data(), s.size()); };
  put(req.method);
  put(" ");
  put(target);
  put(" HTTP/1.1\r\nHost: ");
  put(host);
  put("\r\n");
  for (auto& h : req.headers) {
    // A header that would split the request is dropped, never sent.
    if (!sendable(h))
      continue;
    put(h.first);
    put(": ");
    put(h.second);
    put("\r\n");
  }
  put("Content-Length: ");
  put(length);
  put("\r\n\r\n");
  put(req.body);
  return wire;
}

} // namespace sio::http::detail
