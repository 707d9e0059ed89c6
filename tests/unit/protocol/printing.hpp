// tests/unit/protocol/printing.hpp
// Stream operators so that Boost.Test can print protocol values in failed
// assertions; bytes outside printable ASCII are shown as \xNN.
#pragma once

#include "lib/protocol/eio_packet.hpp"
#include "lib/protocol/sio_packet.hpp"

#include <cstdio>
#include <ostream>
#include <string_view>

namespace sio::protocol {

/// Writes `bytes` quoted, escaping non-printable bytes.
inline void print_escaped(std::ostream& os, std::string_view bytes) {
  os << '"';
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      os << c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      os << buf;
    }
  }
  os << '"';
}

inline std::ostream& operator<<(std::ostream& os, const eio_packet& p) {
  os << "eio_packet{" << to_string(p.type) << (p.binary ? ", binary, " : ", ");
  print_escaped(os, p.data);
  return os << '}';
}

inline std::ostream& operator<<(std::ostream& os, const sio_packet& p) {
  os << "sio_packet{" << to_string(p.type) << ", nsp ";
  print_escaped(os, p.nsp);
  if (p.id)
    os << ", id " << *p.id;
  os << ", data ";
  print_escaped(os, p.data);
  os << ", " << p.attachments.size() << " attachment(s)";
  for (const auto& a : p.attachments) {
    os << ' ';
    print_escaped(os, a);
  }
  return os << '}';
}

} // namespace sio::protocol
