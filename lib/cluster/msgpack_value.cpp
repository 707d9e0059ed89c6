// lib/cluster/msgpack_value.cpp: notepack.io's reading rules, bounded
// (see msgpack_value.hpp).
#include "lib/cluster/msgpack_value.hpp"

#include <cstring>

namespace sio::cluster {

using protocol::result;

namespace {

/// Recursive descent over the bytes; depth and value count bounded.
class reader {
public:
  reader(std::string_view in, const codec_limits& limits)
    : in_(in), limits_(limits) {}

  bool parse(mp_value& out, size_t depth) {
    if (++values_ > limits_.max_values)
      return fail("too many values");
    uint8_t p = 0;
    if (!byte(p))
      return false;
    if (p < 0x80)
      return set_uint(out, p);
    if (p < 0x90)
      return container(out, mp_value::kind::map, p & 0x0f, depth);
    if (p < 0xa0)
      return container(out, mp_value::kind::array, p & 0x0f, depth);
    if (p < 0xc0)
      return blob(out, mp_value::kind::str, p & 0x1f);
    if (p >= 0xe0) {
      out.k = mp_value::kind::int64;
      out.i = static_cast<int8_t>(p);
      return true;
    }
    uint64_t n = 0;
    switch (p) {
      case 0xc0: out.k = mp_value::kind::nil; return true;
      case 0xc2: case 0xc3:
        out.k = mp_value::kind::boolean;
        out.b = p == 0xc3;
        return true;
      case 0xc4: case 0xc5: case 0xc6:
        return be(n, size_t{1} << (p - 0xc4)) && blob(out, mp_value::kind::bin, n);
      case 0xc7: case 0xc8: case 0xc9: {
        int8_t type = 0;
        if (!be(n, size_t{1} << (p - 0xc7)) || !sbyte(type))
          return false;
        if (type == -1 && p == 0xc7) { // timestamp 96: nanoseconds, seconds
          uint64_t ns = 0, s = 0;
          if (n != 12 || !be(ns, 4) || !be(s, 8))
            return fail("bad timestamp 96");
          return set_date(out, static_cast<double>(static_cast<int64_t>(s)) * 1e3
                                 + static_cast<double>(ns) / 1e6);
        }
        return ext(out, type, n);
      }
      case 0xca: {
        uint64_t bits = 0;
        if (!be(bits, 4))
          return false;
        float x;
        auto b32 = static_cast<uint32_t>(bits);
        std::memcpy(&x, &b32, 4);
        out.k = mp_value::kind::float64;
        out.f = x;
        return true;
      }
      case 0xcb: {
        uint64_t bits = 0;
        if (!be(bits, 8))
          return false;
        out.k = mp_value::kind::float64;
        std::memcpy(&out.f, &bits, 8);
        return true;
      }
      case 0xcc: case 0xcd: case 0xce: case 0xcf:
        return be(n, size_t{1} << (p - 0xcc)) && set_uint(out, n);
      case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        size_t w = size_t{1} << (p - 0xd0);
        if (!be(n, w))
          return false;
        int64_t v = w == 8 ? static_cast<int64_t>(n)
                           : static_cast<int64_t>(n << (64 - 8 * w)) >> (64 - 8 * w);
        if (v >= 0)
          return set_uint(out, static_cast<uint64_t>(v));
        out.k = mp_value::kind::int64;
        out.i = v;
        return true;
      }
      case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
        size_t len = size_t{1} << (p - 0xd4);
        int8_t type = 0;
        if (!sbyte(type))
          return false;
        if (p == 0xd4 && type == 0) { // notepack's undefined
          out.k = mp_value::kind::undefined;
          return skip(1);
        }
        if (p == 0xd6 && type == -1) { // timestamp 32: seconds
          return be(n, 4) && set_date(out, static_cast<double>(n) * 1e3);
        }
        if (p == 0xd7 && type == 0) { // notepack's legacy date: int64 ms
          return be(n, 8)
                 && set_date(out, static_cast<double>(static_cast<int64_t>(n)));
        }
        if (p == 0xd7 && type == -1) { // timestamp 64: 30-bit ns, 34-bit s
          if (!be(n, 8))
            return false;
          double s = static_cast<double>(n & 0x3ffffffffULL);
          return set_date(out, s * 1e3 + static_cast<double>(n >> 34) / 1e6);
        }
        return ext(out, type, len);
      }
      case 0xd9: case 0xda: case 0xdb:
        return be(n, size_t{1} << (p - 0xd9)) && blob(out, mp_value::kind::str, n);
      case 0xdc: case 0xdd:
        return be(n, size_t{2} << (p - 0xdc))
               && container(out, mp_value::kind::array, n, depth);
      case 0xde: case 0xdf:
        return be(n, size_t{2} << (p - 0xde))
               && container(out, mp_value::kind::map, n, depth);
      default:
        return fail("reserved msgpack byte 0xc1");
    }
  }

  size_t pos() const { return pos_; }
  std::string error;

private:
  bool fail(std::string why) {
    if (error.empty())
      error = std::move(why) + " at offset " + std::to_string(pos_);
    return false;
  }
  size_t left() const { return in_.size() - pos_; }
  bool byte(uint8_t& b) {
    if (left() < 1)
      return fail("truncated");
    b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool sbyte(int8_t& b) {
    uint8_t u = 0;
    if (!byte(u))
      return false;
    b = static_cast<int8_t>(u);
    return true;
  }
  bool be(uint64_t& v, size_t width) {
    if (left() < width)
      return fail("truncated");
    v = 0;
    for (size_t k = 0; k < width; ++k)
      v = (v << 8) | static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool skip(uint64_t n) {
    if (left() < n)
      return fail("truncated");
    pos_ += static_cast<size_t>(n);
    return true;
  }
  bool blob(mp_value& out, mp_value::kind k, uint64_t n) {
    if (left() < n)
      return fail("declared length beyond the input");
    out.k = k;
    out.bytes = in_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return true;
  }
  bool ext(mp_value& out, int8_t type, uint64_t n) {
    if (!blob(out, type == 0 ? mp_value::kind::bin : mp_value::kind::ext, n))
      return false;
    out.ext_type = type;
    return true;
  }
  static bool set_uint(mp_value& out, uint64_t v) {
    out.k = mp_value::kind::uint64;
    out.u = v;
    return true;
  }
  static bool set_date(mp_value& out, double ms) {
    out.k = mp_value::kind::date;
    out.f = ms;
    return true;
  }
  bool container(mp_value& out, mp_value::kind k, uint64_t n, size_t depth) {
    if (depth + 1 > limits_.max_depth)
      return fail("nested too deeply");
    uint64_t count = k == mp_value::kind::map ? 2 * n : n;
    if (count > left()) // every value takes at least one byte
      return fail("declared length beyond the input");
    if (count > limits_.max_values - values_) // before allocating them
      return fail("too many values");
    out.k = k;
    out.items.resize(static_cast<size_t>(count));
    for (auto& item : out.items)
      if (!parse(item, depth + 1))
        return false;
    return true;
  }

  std::string_view in_;
  const codec_limits& limits_;
  size_t pos_ = 0;
  size_t values_ = 0;
};

} // namespace

result<mp_value> decode_msgpack(std::string_view bytes, const codec_limits& limits) {
  if (bytes.size() > limits.max_bytes)
    return result<mp_value>::fail("msgpack message too large");
  reader r{bytes, limits};
  mp_value v;
  if (!r.parse(v, 0))
    return result<mp_value>::fail("msgpack: " + r.error);
  if (r.pos() != bytes.size())
    return result<mp_value>::fail("msgpack: " + std::to_string(bytes.size() - r.pos())
                                  + " trailing bytes");
  return result<mp_value>::ok(std::move(v));
}

const mp_value* find_member(const mp_value& map, std::string_view key) {
  if (map.k != mp_value::kind::map)
    return nullptr;
  const mp_value* found = nullptr;
  for (size_t k = 0; k + 1 < map.items.size(); k += 2)
    if (map.items[k].k == mp_value::kind::str && map.items[k].bytes == key)
      found = &map.items[k + 1];
  return found;
}

} // namespace sio::cluster
