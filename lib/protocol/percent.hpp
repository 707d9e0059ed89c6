// lib/protocol/percent.hpp
// Percent-decoding (RFC 3986 §2.1) of URL parts: the HTTP layer's query
// strings and the JWT audience's path share one decoder.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sio::protocol {

/// Decodes %XX escapes (and '+' as space when `plus_is_space`, as in query
/// strings); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in,
                                          bool plus_is_space = false);

} // namespace sio::protocol
