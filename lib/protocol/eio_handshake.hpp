// lib/protocol/eio_handshake.hpp
// The Engine.IO v4 open packet (protocol.md §1.3): exactly the five keys sid,
// upgrades, pingInterval, pingTimeout, maxPayload, in that order. The service
// sends it as "0" + encode_handshake(h); decode_handshake serves test clients.
#pragma once

#include <sio/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sio::protocol {

/// Content of the open packet; the defaults are the reference server's (§1.3).
struct handshake {
  /// Session id (REC: the connection id).
  std::string sid;
  /// ["websocket"] on a polling handshake, [] on a WebSocket handshake.
  std::vector<std::string> upgrades;
  /// Milliseconds between server pings.
  uint32_t ping_interval = 25000;
  /// Milliseconds the client has to answer a ping.
  uint32_t ping_timeout = 20000;
  /// Largest accepted payload in bytes.
  uint32_t max_payload = 1000000;
};

/// Field-wise equality.
bool operator==(const handshake& x, const handshake& y);

/// JSON text of the open packet:
/// {"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..}
std::string encode_handshake(const handshake& h);

/// Parses the JSON of an open packet (without the '0'); all five keys must be
/// present with the right types, unknown keys are ignored.
result<handshake> decode_handshake(std::string_view json);

} // namespace sio::protocol
