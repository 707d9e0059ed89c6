// lib/protocol/ascii.hpp
// ASCII text helpers for protocol tokens and texts (HTTP header names and
// values, WebSocket handshake tokens, CloudEvents names, connection strings,
// OData filters): locale-free, unlike std::tolower and std::isspace, and one
// copy for the whole tree.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sio::protocol {

/// Optional whitespace of HTTP (RFC 9110 §5.6.3): SP and HTAB.
inline constexpr std::string_view http_whitespace = " \t";
/// Insignificant whitespace of JSON (RFC 8259 §2): SP, HTAB, LF, CR.
inline constexpr std::string_view json_whitespace = " \t\n\r";
/// What std::isspace accepts in the "C" locale: JSON's plus VT and FF.
inline constexpr std::string_view ascii_whitespace = " \t\n\v\f\r";

/// `c` lowered if it is an ASCII capital; every other byte unchanged.
constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `c` raised if it is an ASCII small letter; every other byte unchanged.
constexpr char ascii_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// True if `a` and `b` are equal ignoring ASCII case.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i]))
      return false;
  return true;
}

/// `s` with its ASCII capitals lowered.
inline std::string ascii_lowered(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = ascii_lower(c);
  return out;
}

/// True if `c` is one of the bytes in `whitespace`.
constexpr bool is_space(char c,
                        std::string_view whitespace = ascii_whitespace) noexcept {
  return whitespace.find(c) != std::string_view::npos;
}

/// `s` without the bytes of `whitespace` at either end.
constexpr std::string_view
trim(std::string_view s, std::string_view whitespace = ascii_whitespace) noexcept {
  auto first = s.find_first_not_of(whitespace);
  if (first == std::string_view::npos)
    return {};
  return s.substr(first, s.find_last_not_of(whitespace) - first + 1);
}

/// Trims `s` where it is, without a copy (header values as they arrive).
inline void trim_in_place(std::string& s,
                          std::string_view whitespace = ascii_whitespace) {
  auto kept = trim(s, whitespace);
  auto first = static_cast<size_t>(kept.data() - s.data());
  auto size = kept.size();
  if (size == 0)
    first = 0; // an empty view may point anywhere
  s.erase(first + size);
  s.erase(0, first);
}

} // namespace sio::protocol
