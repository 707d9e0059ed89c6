// lib/protocol/json_text.hpp
// JSON string literals for the texts the service writes itself (error
// messages, ids, names): one escaping routine instead of one per caller.
#pragma once

#include <string>
#include <string_view>

namespace sio::protocol {

/// Appends `s` as a JSON string literal (quotes included) to `out`;
/// control characters become \uXXXX, invalid UTF-8 passes through as is.
void append_json_string(std::string& out, std::string_view s);

/// `s` as a JSON string literal, quotes included.
std::string json_string(std::string_view s);

} // namespace sio::protocol
