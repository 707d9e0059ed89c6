// lib/protocol/eio_error.hpp
// The Engine.IO server's numbered error table (engine.io server.ts): the
// numbers clients see in {"code":N,"message":...} bodies, kept identical.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sio::protocol {

/// Engine.IO handshake/request errors; values are the wire numbers.
enum class eio_error : uint8_t {
  unknown_transport = 0,             ///< "Transport unknown"
  unknown_sid = 1,                   ///< "Session ID unknown"
  bad_handshake_method = 2,          ///< "Bad handshake method"
  bad_request = 3,                   ///< "Bad request"
  forbidden = 4,                     ///< "Forbidden"
  unsupported_protocol_version = 5,  ///< "Unsupported protocol version"
};

/// The reference server's message for `e`.
std::string_view to_string(eio_error e);

/// The JSON body {"code":N,"message":"..."} for `e`.
std::string eio_error_body(eio_error e);

} // namespace sio::protocol
