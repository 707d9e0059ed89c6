// lib/cluster/msgpack_json.cpp: JSON.stringify's writing rules over a
// decoded msgpack value (see msgpack_json.hpp).
#include "lib/cluster/msgpack_json.hpp"

#include "lib/protocol/json_text.hpp"
#include "lib/protocol/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

namespace sio::cluster {

using protocol::result;

namespace {

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
