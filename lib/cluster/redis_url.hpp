// lib/cluster/redis_url.hpp
// The cluster config's "redis" URL (cluster.md "Config"):
// redis://[[username]:password@]host[:port][/db]. rediss:// (TLS) is refused:
// hiredis 0.14 has no TLS.
#pragma once

#include <sio/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sio::cluster {

/// Where and how to reach one Redis server.
struct redis_endpoint {
  /// Host name or IP address (IPv6 without the brackets).
  std::string host;
  uint16_t port = 6379;
  /// ACL user (Redis 6+); empty = AUTH with the password only.
  std::string username;
  /// Empty = no AUTH.
  std::string password;
  /// SELECTed after connecting (0 = the default, no SELECT sent).
  int db = 0;

  /// "host:port/db" ("[v6]:port/db") for logs; never the credentials.
  std::string describe() const;
};

/// Parses redis://[[username]:password@]host[:port][/db]; the user name and
/// password are percent-decoded. Fails with a reason on anything else.
sio::protocol::result<redis_endpoint> parse_redis_url(std::string_view url);

} // namespace sio::cluster
