// lib/auth/negotiate.hpp
// The "initialization" step of the client workflow (protocol.md §9): what a
// backend's negotiate endpoint returns to a client, {endpoint, path, token},
// in the shape of Azure's Socket.IO negotiation.
#pragma once

#include "lib/auth/access_keys.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sio::auth {

/// Connection details for one client of one hub.
struct negotiation {
  std::string endpoint;  ///< scheme://host[:port], no path
  std::string path;      ///< /clients/socketio/hubs/{hub}
  std::string token;     ///< HS256 client token (aud = endpoint + path)

  /// {"endpoint":..,"path":..,"token":..}
  std::string to_json() const;
};

/// Signs a client token for `hub` with the primary key; `sub` = user_id
/// when given; valid for `lifetime_seconds` from `now`.
negotiation negotiate(std::string_view public_endpoint, std::string_view hub,
                      const access_keys& keys,
                      const std::optional<std::string>& user_id, int64_t now,
                      int64_t lifetime_seconds = 3600);

} // namespace sio::auth
