// lib/cluster/redis_url.cpp
#include "lib/cluster/redis_url.hpp"

#include "lib/protocol/percent.hpp"

#include <cstddef>

namespace sio::cluster {

namespace {

using sio::protocol::result;

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i])
      return false;
  }
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

// Host names and addresses: printable ASCII without the URL delimiters.
bool valid_host_char(char c) {
  return c > ' ' && c < 0x7f && c != '/' && c != '?' && c != '#' && c != '@'
         && c != '[' && c != ']' && c != '%';
}

} // namespace

std::string redis_endpoint::describe() const {
  std::string out;
  bool v6 = host.find(':') != std::string::npos;
  if (v6)
    out += '[';
  out += host;
  if (v6)
    out += ']';
  out += ':';
  out += std::to_string(port);
  out += '/';
  out += std::to_string(db);
  return out;
}

result<redis_endpoint> parse_redis_url(std::string_view url) {
  using r = result<redis_endpoint>;
  if (iequals_prefix(url, "rediss://"))
    return r::fail("rediss:// (TLS to Redis) is not supported: the Redis "
                   "client (hiredis 0.14) has no TLS; use redis:// on a "
                   "trusted network or a TLS tunnel");
  if (!iequals_prefix(url, "redis://")) {
    auto colon = url.find("://");
    if (colon == std::string_view::npos)
      return r::fail("not a Redis URL: expected redis://host[:port][/db]");
    return r::fail("unsupported scheme '" + std::string{url.substr(0, colon)}
                   + "': expected redis://host[:port][/db]");
  }
  std::string_view rest = url.substr(8);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return r::fail("query and fragment are not supported in a Redis URL "
                   "(put the database number in the path: redis://host/2)");

  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path
    = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);

  redis_endpoint ep;

  // userinfo: the last '@' ends it (a password may hold an unescaped '@').
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos)
      return r::fail("credentials need a ':' before the password "
                     "(redis://:password@host or redis://user:password@host)");
    auto user = sio::protocol::percent_decode(userinfo.substr(0, colon));
    if (!user)
      return r::fail("malformed percent-escape in the user name");
    auto pass = sio::protocol::percent_decode(userinfo.substr(colon + 1));
    if (!pass)
      return r::fail("malformed percent-escape in the password");
    if (!user->empty() && pass->empty())
      return r::fail("user name '" + *user + "' given without a password");
    ep.username = std::move(*user);
    ep.password = std::move(*pass);
  }

  // host [":" port], IPv6 in brackets.
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return r::fail("IPv6 address without its closing ']'");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return r::fail("unexpected text after the IPv6 address: '"
                       + std::string{after} + "'");
      has_port = true;
      port = after.substr(1);
    }
    if (host.empty())
      return r::fail("empty host in the Redis URL");
    for (char c : host)
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
            || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
        return r::fail("invalid IPv6 address '" + std::string{host} + "'");
  } else {
    auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
      if (port.find(':') != std::string_view::npos)
        return r::fail("IPv6 addresses need brackets: redis://[::1]:6379");
    }
    if (host.empty())
      return r::fail("empty host in the Redis URL");
    for (char c : host)
      if (!valid_host_char(c))
        return r::fail("invalid character in the host '" + std::string{host}
                       + "'");
  }
  ep.host = std::string{host};

  if (has_port) {
    if (!all_digits(port) || port.size() > 5)
      return r::fail("bad port '" + std::string{port}
                     + "': expected a number from 1 to 65535");
    unsigned long p = std::stoul(std::string{port});
    if (p == 0 || p > 65535)
      return r::fail("bad port '" + std::string{port}
                     + "': expected a number from 1 to 65535");
    ep.port = static_cast<uint16_t>(p);
  }

  if (path.size() > 1) {
    std::string_view db = path.substr(1);
    if (!db.empty() && db.back() == '/')
      db.remove_suffix(1);
    // Redis has 16 databases by default; "databases" may raise it, so only
    // the form is checked here (SELECT answers for the range).
    if (!all_digits(db) || db.size() > 9)
      return r::fail("bad database '" + std::string{path.substr(1)}
                     + "': expected a number, as in redis://host:6379/0");
    ep.db = std::stoi(std::string{db});
  }
  return r::ok(std::move(ep));
}

} // namespace sio::cluster
