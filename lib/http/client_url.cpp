#include "lib/http/client.hpp"

#include "lib/http/client_request_writer.hpp"
#include "lib/protocol/ascii.hpp"
#include "lib/protocol/url.hpp"

namespace sio::http {

std::string parsed_url::origin() const {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

protocol::result<parsed_url> parse_url(std::string_view url) {
  using R = protocol::result<parsed_url>;
  if (url.size() > 8192)
    return R::fail("URL too long");
  if (detail::has_ctl(url) || url.find(' ') != std::string_view::npos)
    return R::fail("URL contains spaces or control characters");
  auto parts = protocol::split_url(url);
  if (parts.scheme.empty())
    return R::fail("not an absolute URL: " + std::string{url});
  parsed_url out;
  out.scheme = protocol::ascii_lowered(parts.scheme);
  if (out.scheme != "http" && out.scheme != "https")
    return R::fail("unsupported URL scheme \"" + out.scheme + "\"");
  out.port = out.scheme == "https" ? 443 : 80;
  if (parts.has_fragment)
    return R::fail("URL must not contain a fragment");
  auto authority = parts.authority;
  out.target = parts.target.empty() ? "/" : std::string{parts.target};
  if (out.target[0] == '?')
    out.target.insert(out.target.begin(), '/');
  if (authority.find('@') != std::string_view::npos)
    return R::fail("URL must not contain user info");
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return R::fail("bad IPv6 literal in URL");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        return R::fail("bad URL authority");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':');
             colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty())
    return R::fail("URL has no host");
  out.host = std::string{host};
  if (!port.empty()) {
    if (port.size() > 5)
      return R::fail("bad port in URL");
    unsigned n = 0;
    for (char c : port) {
      if (c < '0' || c > '9')
        return R::fail("bad port in URL");
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    if (n == 0 || n > 65535)
      return R::fail("bad port in URL");
    out.port = static_cast<uint16_t>(n);
  }
  return R::ok(std::move(out));
}

} // namespace sio::http
