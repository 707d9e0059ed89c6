// lib/protocol/json_text.hpp
// JSON string literals for the texts the service writes itself (error
// messages, ids, names) and the error bodies made of them: one escaping
// routine and one {code, message} builder instead of one per caller.
#pragma once

#include <string>
#include <string_view>

namespace sio::protocol {

/// Appends `s` as a JSON string literal (quotes included) to `out`;
/// control characters become \uXXXX, invalid UTF-8 passes through as is.
void append_json_string(std::string& out, std::string_view s);

/// `s` as a JSON string literal, quotes included.
std::string json_string(std::string_view s);

/// The error body {"code":"<code>","message":"<message>"} (the Azure shape);
/// a message that is not UTF-8 has its bad bytes replaced by U+FFFD, so the
/// body is always valid JSON.
std::string json_error_body(std::string_view code, std::string_view message);

/// The same with a numeric code, {"code":N,"message":"..."} (Engine.IO's).
std::string json_error_body(int code, std::string_view message);

} // namespace sio::protocol
