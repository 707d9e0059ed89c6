// lib/protocol/ascii.hpp
// ASCII case folding for protocol tokens (HTTP header names, WebSocket
// handshake tokens, CloudEvents names): locale-free, unlike std::tolower,
// and one copy for lib/http, lib/webhook and the rest.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sio::protocol {

/// `c` lowered if it is an ASCII capital; every other byte unchanged.
constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
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

} // namespace sio::protocol
