// lib/cluster/msgpack_value.cpp: notepack.io's reading rules, bounded, and
// JSON.stringify's writing rules (see msgpack_value.hpp).
#include "lib/cluster/msgpack_value.hpp"

#include "lib/protocol/json_text.hpp"
#include "lib/protocol/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_map>

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

constexpr double max_safe = 9007199254740992.0; // 2^53

void append_uint(std::string& out, uint64_t v) {
  if (static_cast<double>(v) > max_safe) { // notepack gives a double
    append_js_number(out, static_cast<double>(v));
    return;
  }
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_int(std::string& out, int64_t v) {
  if (static_cast<double>(v) < -max_safe) {
    append_js_number(out, static_cast<double>(v));
    return;
  }
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_string(std::string& out, std::string_view s) {
  if (protocol::is_valid_utf8(s))
    protocol::append_json_string(out, s);
  else // Buffer.toString("utf8") replaces bad sequences
    protocol::append_json_string(out, protocol::utf8_sanitized(s));
}

/// The property key JS makes of a map key (String(key)), when it is a scalar.
bool key_text(const mp_value& k, std::string& out) {
  using K = mp_value::kind;
  switch (k.k) {
    case K::str: out = protocol::is_valid_utf8(k.bytes) ? std::string{k.bytes}
                                                       : protocol::utf8_sanitized(k.bytes);
      return true;
    case K::nil: out = "null"; return true;
    case K::undefined: out = "undefined"; return true;
    case K::boolean: out = k.b ? "true" : "false"; return true;
    case K::uint64: out.clear(); append_uint(out, k.u); return true;
    case K::int64: out.clear(); append_int(out, k.i); return true;
    case K::float64:
      if (std::isnan(k.f)) out = "NaN";
      else if (std::isinf(k.f)) out = k.f > 0 ? "Infinity" : "-Infinity";
      else { out.clear(); append_js_number(out, k.f); }
      return true;
    default: return false;
  }
}

/// An array index key ("0".."4294967294", canonical): JS lists these first.
bool array_index(std::string_view s, uint64_t& index) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0'))
    return false;
  index = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    index = index * 10 + static_cast<uint64_t>(c - '0');
  }
  return index < 4294967295ULL;
}

class json_writer {
public:
  json_writer(std::vector<std::string>& attachments, const codec_limits& limits)
    : attachments_(attachments), limits_(limits) {}

  bool write(const mp_value& v, std::string& out, size_t depth) {
    using K = mp_value::kind;
    if (depth > limits_.max_depth)
      return fail("nested too deeply");
    switch (v.k) {
      case K::nil: case K::undefined: out += "null"; return true;
      case K::boolean: out += v.b ? "true" : "false"; return true;
      case K::uint64: append_uint(out, v.u); return true;
      case K::int64: append_int(out, v.i); return true;
      case K::float64:
        if (std::isfinite(v.f)) append_js_number(out, v.f);
        else out += "null";
        return true;
      case K::str: append_string(out, v.bytes); return true;
      case K::date:
        if (!append_iso_date(out, v.f)) out += "null";
        return true;
      case K::bin: return placeholder(v.bytes, out);
      case K::ext: { // notepack: [type, Buffer]
        out += '[';
        append_int(out, v.ext_type);
        out += ',';
        bool ok = placeholder(v.bytes, out);
        out += ']';
        return ok;
      }
      case K::array: {
        out += '[';
        for (size_t k = 0; k < v.items.size(); ++k) {
          if (k)
            out += ',';
          if (!write(v.items[k], out, depth + 1))
            return false;
        }
        out += ']';
        return true;
      }
      case K::map: return write_map(v, out, depth);
    }
    return fail("unknown value");
  }

  std::string error;

private:
  bool fail(std::string why) {
    if (error.empty())
      error = std::move(why);
    return false;
  }

  bool placeholder(std::string_view bytes, std::string& out) {
    if (attachments_.size() >= limits_.max_attachments)
      return fail("too many attachments");
    out += R"({"_placeholder":true,"num":)";
    out += std::to_string(attachments_.size());
    out += '}';
    attachments_.emplace_back(bytes);
    return true;
  }

  bool write_map(const mp_value& v, std::string& out, size_t depth) {
    struct member {
      std::string key;
      const mp_value* value;
      bool is_index;
      uint64_t index;
    };
    std::vector<member> members;
    members.reserve(v.items.size() / 2);
    std::unordered_map<std::string, size_t> seen; // key -> index in members
    std::string key;
    for (size_t k = 0; k + 1 < v.items.size(); k += 2) {
      if (!key_text(v.items[k], key))
        return fail("map key is not a string or a number");
      if (key == "__proto__") // sets the prototype: never an own property
        continue;
      auto same = seen.find(key);
      if (same != seen.end()) {
        members[same->second].value = &v.items[k + 1];
        continue;
      }
      seen.emplace(key, members.size());
      member m{key, &v.items[k + 1], false, 0};
      m.is_index = array_index(m.key, m.index);
      members.push_back(std::move(m));
    }
    std::stable_sort(members.begin(), members.end(), [](const member& a, const member& b) {
      if (a.is_index != b.is_index)
        return a.is_index;
      return a.is_index && a.index < b.index;
    });
    out += '{';
    bool first = true;
    for (const auto& m : members) {
      if (m.value->k == mp_value::kind::undefined)
        continue;
      if (!first)
        out += ',';
      first = false;
      append_string(out, m.key);
      out += ':';
      if (!write(*m.value, out, depth + 1))
        return false;
    }
    out += '}';
    return true;
  }

  std::vector<std::string>& attachments_;
  const codec_limits& limits_;
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

result<std::string> to_json(const mp_value& v, std::vector<std::string>& attachments,
                            const codec_limits& limits) {
  json_writer w{attachments, limits};
  std::string out;
  if (!w.write(v, out, 0))
    return result<std::string>::fail(w.error);
  return result<std::string>::ok(std::move(out));
}

void append_js_number(std::string& out, double v) {
  if (v == 0) { // also -0
    out += '0';
    return;
  }
  if (v < 0) {
    out += '-';
    v = -v;
  }
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci{buf, static_cast<size_t>(r.ptr - buf)}; // "d.ddde+XX"
  auto e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.')
      digits += c;
  int exp10 = 0;
  auto exp_text = sci.substr(e + 1);
  if (!exp_text.empty() && exp_text[0] == '+')
    exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1; // ECMAScript Number::toString's n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<size_t>(n));
    out += '.';
    out.append(digits, static_cast<size_t>(n), std::string::npos);
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    out += n - 1 >= 0 ? "e+" : "e-";
    out += std::to_string(std::abs(n - 1));
  }
}

bool append_iso_date(std::string& out, double ms) {
  if (!std::isfinite(ms) || std::fabs(ms) > 8.64e15) // TimeClip
    return false;
  auto t = static_cast<int64_t>(std::trunc(ms));
  int64_t days = t / 86400000, rem = t % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  // civil_from_days (H. Hinnant)
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2)
    ++y;
  char buf[48];
  int len;
  if (y >= 0 && y <= 9999)
    len = std::snprintf(buf, sizeof buf, "\"%04lld", static_cast<long long>(y));
  else
    len = std::snprintf(buf, sizeof buf, "\"%c%06lld", y < 0 ? '-' : '+',
                        static_cast<long long>(y < 0 ? -y : y));
  out.append(buf, static_cast<size_t>(len));
  len = std::snprintf(buf, sizeof buf, "-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ\"",
                      static_cast<long long>(m), static_cast<long long>(d),
                      static_cast<long long>(rem / 3600000),
                      static_cast<long long>(rem / 60000 % 60),
                      static_cast<long long>(rem / 1000 % 60),
                      static_cast<long long>(rem % 1000));
  out.append(buf, static_cast<size_t>(len));
  return true;
}

} // namespace sio::cluster
