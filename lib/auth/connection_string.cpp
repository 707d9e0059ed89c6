#include "lib/auth/connection_string.hpp"

#include "lib/protocol/ascii.hpp"

#include <algorithm>
#include <vector>

namespace sio::auth {

namespace {

using protocol::result;

constexpr size_t max_connection_string_length = 4096;

std::optional<uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5)
    return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(v);
}

} // namespace

std::string connection_string::effective_endpoint() const {
  if (!port)
    return endpoint;
  auto scheme_end = endpoint.find("://");
  auto host_begin = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  auto authority_end = endpoint.find('/', host_begin);
  if (authority_end == std::string::npos)
    authority_end = endpoint.size();
  // A ':' after the last ']' (IPv6 literal) starts the port.
  auto bracket = endpoint.rfind(']', authority_end);
  auto search_from = bracket == std::string::npos || bracket < host_begin
                       ? host_begin
                       : bracket;
  auto colon = endpoint.find(':', search_from);
  auto host_end = colon == std::string::npos || colon > authority_end
                    ? authority_end
                    : colon;
  return endpoint.substr(0, host_end) + ":" + std::to_string(*port)
         + endpoint.substr(authority_end);
}

result<connection_string> parse_connection_string(std::string_view text) {
  using res = result<connection_string>;
  if (text.size() > max_connection_string_length)
    return res::fail("connection string too long");
  connection_string cs;
  std::vector<std::string> seen;
  bool has_endpoint = false;
  while (!text.empty()) {
    auto semi = text.find(';');
    auto part = protocol::trim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view{}
                                          : text.substr(semi + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    if (eq == std::string_view::npos)
      return res::fail("connection string: missing '=' in '"
                       + std::string{part} + "'");
    auto key = protocol::ascii_lowered(protocol::trim(part.substr(0, eq)));
    auto value = protocol::trim(part.substr(eq + 1));
    if (key.empty())
      return res::fail("connection string: empty key");
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      return res::fail("connection string: duplicate key '" + key + "'");
    seen.push_back(key);
    if (key == "endpoint") {
      std::string ep{value};
      if (ep.find("://") == std::string::npos)
        ep.insert(0, "https://");
      auto host = ep.find("://") + 3;
      while (ep.size() > host && ep.back() == '/')
        ep.pop_back();
      // A URL has no whitespace or control bytes; allowing them inside
      // made format + parse lose the ones left before a stripped '/'.
      bool bad_char = std::any_of(ep.begin(), ep.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      });
      if (bad_char || ep.find("://") == 0 || ep.size() == host
          || ep[host] == '/')
        return res::fail("connection string: invalid Endpoint '"
                         + std::string{value} + "'");
      cs.endpoint = std::move(ep);
      has_endpoint = true;
    } else if (key == "accesskey") {
      cs.access_key = std::string{value};
    } else if (key == "version") {
      cs.version = std::string{value};
    } else if (key == "port") {
      auto p = parse_port(value);
      if (!p)
        return res::fail("connection string: invalid Port '"
                         + std::string{value} + "'");
      cs.port = p;
    }
    // Other keys (ClientEndpoint, AuthType, ...) are Azure features this
    // service does not have; ignoring them keeps Azure strings usable.
  }
  if (!has_endpoint)
    return res::fail("connection string: missing Endpoint");
  return res::ok(std::move(cs));
}

std::string format_connection_string(const connection_string& cs) {
  std::string out = "Endpoint=" + cs.endpoint + ";";
  if (!cs.access_key.empty())
    out += "AccessKey=" + cs.access_key + ";";
  out += "Version=" + cs.version + ";";
  if (cs.port)
    out += "Port=" + std::to_string(*cs.port) + ";";
  return out;
}

} // namespace sio::auth
