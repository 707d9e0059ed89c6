// lib/auth/connection_string.hpp
// Azure Web PubSub connection strings (protocol.md §6.1):
// `Endpoint=http://host[:port];AccessKey=<key>;Version=1.0;[Port=<n>;]`.
#pragma once

#include <sio/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sio::auth {

/// The parts of a connection string this service understands.
struct connection_string {
  /// scheme://host[:port] without trailing '/'; "https://" added if the
  /// string had no scheme (like the JS SDK).
  std::string endpoint;
  /// The access key as written; empty = identity-based (no key).
  std::string access_key;
  /// The Version field as written (ignored by the service, kept for format).
  std::string version = "1.0";
  /// Optional Port field; overrides the endpoint's port.
  std::optional<uint16_t> port;

  /// endpoint with the Port override applied ("http://h:1" + Port=2 ->
  /// "http://h:2").
  std::string effective_endpoint() const;
};

/// Parses `key=value;...`; keys are case-insensitive, unknown keys ignored,
/// duplicate keys, a missing Endpoint and a bad Port are errors.
protocol::result<connection_string> parse_connection_string(std::string_view);

/// `Endpoint=...;AccessKey=...;Version=...;[Port=n;]` (empty key omitted).
std::string format_connection_string(const connection_string& cs);

} // namespace sio::auth
