#include "actors/packed_handshake.hpp"

#include <cstdint>
#include <limits>

namespace sio {

namespace {

// Layout: for each of query, headers, claims: count, then per entry the
// key and its values (count, then each value); every count and string
// length is a little-endian base-128 varint, so short texts cost one byte.

void put_size(std::string& out, size_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

void put_text(std::string& out, const std::string& s) {
  put_size(out, s.size());
  out.append(s);
}

void put_map(std::string& out, const multimap& m) {
  put_size(out, m.size());
  for (auto& [key, values] : m) {
    put_text(out, key);
    put_size(out, values.size());
    for (auto& v : values)
      put_text(out, v);
  }
}

/// Reads from a packed string; every read checks the bounds.
struct reader {
  std::string_view in;

  bool size(size_t& n) {
    n = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in.empty())
        return false;
      auto b = static_cast<uint8_t>(in.front());
      in.remove_prefix(1);
      n |= static_cast<size_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        return true;
    }
    return false;
  }

  bool text(std::string& s) {
    size_t n = 0;
    if (!size(n) || n > in.size())
      return false;
    s.assign(in.substr(0, n));
    in.remove_prefix(n);
    return true;
  }

  bool map(multimap& m) {
    size_t entries = 0;
    // Every entry takes at least two bytes: the counts bound the reserve.
    if (!size(entries) || entries > in.size())
      return false;
    m.reserve(entries);
    for (size_t i = 0; i < entries; ++i) {
      auto& [key, values] = m.emplace_back();
      size_t count = 0;
      if (!text(key) || !size(count) || count > in.size())
        return false;
      values.resize(count);
      for (auto& v : values)
        if (!text(v))
          return false;
    }
    return true;
  }
};

} // namespace

std::string pack_handshake(const handshake_info& info) {
  std::string out;
  for (auto* m : {&info.query, &info.headers, &info.claims})
    put_map(out, *m);
  out.shrink_to_fit();
  return out;
}

bool unpack_handshake(std::string_view packed, connect_event& ev) {
  reader r{packed};
  if (r.map(ev.query) && r.map(ev.headers) && r.map(ev.claims)
      && r.in.empty())
    return true;
  ev.query.clear();
  ev.headers.clear();
  ev.claims.clear();
  return false;
}

} // namespace sio
