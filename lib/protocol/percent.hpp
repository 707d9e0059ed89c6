// lib/protocol/percent.hpp
// Percent-encoding (RFC 3986 §2.1) of URL parts: the HTTP layer's query
// strings and the JWT audience's path share one decoder; links the REST API
// builds (nextLink) use the encoder.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sio::protocol {

/// Decodes %XX escapes (and '+' as space when `plus_is_space`, as in query
/// strings); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in,
                                          bool plus_is_space = false);

/// Escapes every byte but RFC 3986's unreserved characters
/// (A-Z a-z 0-9 - . _ ~) as %XX: safe in a path segment and a query value.
std::string percent_encode(std::string_view in);

} // namespace sio::protocol
