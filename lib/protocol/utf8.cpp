#include "lib/protocol/utf8.hpp"

#include <array>
#include <cstring>

namespace sio::protocol {

namespace {

// A 9-state DFA over 12 byte classes, written straight from Unicode Table 3-7
// ("well-formed UTF-8 byte sequences"). Second-byte ranges after E0, ED, F0 and
// F4 are what exclude overlongs, surrogates and code points above U+10FFFF.

constexpr uint8_t s_accept = 0;
constexpr uint8_t s_reject = 1;
constexpr uint8_t s_need1 = 2; // one more 80..BF
constexpr uint8_t s_need2 = 3; // two more 80..BF
constexpr uint8_t s_need3 = 4; // three more 80..BF
constexpr uint8_t s_e0 = 5;    // A0..BF, then one more
constexpr uint8_t s_ed = 6;    // 80..9F, then one more
constexpr uint8_t s_f0 = 7;    // 90..BF, then two more
constexpr uint8_t s_f4 = 8;    // 80..8F, then two more
constexpr int num_states = 9;
constexpr int num_classes = 12;

// Byte classes: 0 ASCII, 1 80..8F, 2 90..9F, 3 A0..BF, 4 never valid
// (C0, C1, F5..FF), 5 C2..DF, 6 E0, 7 E1..EC EE..EF, 8 ED, 9 F0, 10 F1..F3, 11 F4.
constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> c{};
  for (int b = 0; b < 256; ++b) {
    uint8_t k = 4;
    if (b < 0x80) k = 0;
    else if (b < 0x90) k = 1;
    else if (b < 0xA0) k = 2;
    else if (b < 0xC0) k = 3;
    else if (b < 0xC2) k = 4;
    else if (b < 0xE0) k = 5;
    else if (b == 0xE0) k = 6;
    else if (b == 0xED) k = 8;
    else if (b < 0xF0) k = 7;
    else if (b == 0xF0) k = 9;
    else if (b < 0xF4) k = 10;
    else if (b == 0xF4) k = 11;
    c[static_cast<size_t>(b)] = k;
  }
  return c;
}

constexpr std::array<uint8_t, num_states * num_classes> make_transitions() {
  std::array<uint8_t, num_states * num_classes> t{};
  for (auto& x : t)
    x = s_reject;
  auto set = [&t](uint8_t from, int cls, uint8_t to) {
    t[static_cast<size_t>(from * num_classes + cls)] = to;
  };
  set(s_accept, 0, s_accept);
  set(s_accept, 5, s_need1);
  set(s_accept, 6, s_e0);
  set(s_accept, 7, s_need2);
  set(s_accept, 8, s_ed);
  set(s_accept, 9, s_f0);
  set(s_accept, 10, s_need3);
  set(s_accept, 11, s_f4);
  for (int cls = 1; cls <= 3; ++cls) {
    set(s_need1, cls, s_accept);
    set(s_need2, cls, s_need1);
    set(s_need3, cls, s_need2);
  }
  set(s_e0, 3, s_need1);
  set(s_ed, 1, s_need1);
  set(s_ed, 2, s_need1);
  set(s_f0, 2, s_need2);
  set(s_f0, 3, s_need2);
  set(s_f4, 1, s_need2);
  return t;
}

constexpr auto byte_class = make_classes();
constexpr auto transitions = make_transitions();

} // namespace

bool utf8_validator::feed(std::string_view bytes) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(bytes.data());
  auto end = p + bytes.size();
  uint8_t s = state_;
  while (p < end && s != s_reject) {
    if (s == s_accept) {
      // Text is mostly ASCII: skip it eight bytes at a time.
      while (end - p >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        if (w & 0x8080808080808080ULL)
          break;
        p += 8;
      }
      while (p < end && *p < 0x80)
        ++p;
      if (p == end)
        break;
    }
    s = transitions[static_cast<size_t>(s * num_classes + byte_class[*p++])];
  }
  state_ = s;
  return s != s_reject;
}

bool utf8_validator::failed() const noexcept {
  return state_ == s_reject;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
  utf8_validator v;
  return v.feed(bytes) && v.complete();
}

size_t utf8_sequence_length(std::string_view bytes) noexcept {
  uint8_t s = s_accept;
  for (size_t i = 0; i < bytes.size() && i < 4; ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    s = transitions[static_cast<size_t>(s * num_classes + byte_class[b])];
    if (s == s_accept)
      return i + 1;
    if (s == s_reject)
      return 0;
  }
  return 0;
}

std::string_view utf8_prefix(std::string_view bytes, size_t max_bytes) noexcept {
  if (bytes.size() <= max_bytes)
    return bytes;
  // bytes[max_bytes] is the first byte left out: step back while it is a
  // continuation byte (10xxxxxx), to the start of its sequence.
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(bytes[end]) & 0xC0) == 0x80)
    --end;
  return bytes.substr(0, end);
}

std::string utf8_sanitized(std::string_view bytes) {
  if (is_valid_utf8(bytes))
    return std::string{bytes};
  std::string out;
  out.reserve(bytes.size() + 16);
  for (size_t i = 0; i < bytes.size();) {
    if (auto n = utf8_sequence_length(bytes.substr(i))) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
      ++i;
    }
  }
  return out;
}

} // namespace sio::protocol
