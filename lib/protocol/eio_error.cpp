#include "lib/protocol/eio_error.hpp"

#include "lib/protocol/json_text.hpp"

namespace sio::protocol {

std::string_view to_string(eio_error e) {
  switch (e) {
    case eio_error::unknown_transport:
      return "Transport unknown";
    case eio_error::unknown_sid:
      return "Session ID unknown";
    case eio_error::bad_handshake_method:
      return "Bad handshake method";
    case eio_error::bad_request:
      return "Bad request";
    case eio_error::forbidden:
      return "Forbidden";
    case eio_error::unsupported_protocol_version:
      return "Unsupported protocol version";
  }
  return "Bad request";
}

std::string eio_error_body(eio_error e) {
  return json_error_body(static_cast<int>(e), to_string(e));
}

} // namespace sio::protocol
