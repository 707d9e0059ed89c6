#include "lib/routing/odata_lexer.hpp"

#include "lib/protocol/ascii.hpp"
#include "lib/protocol/utf8.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace sio::routing::odata {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_ident_char(char c) {
  return is_ident_start(c) || is_digit(c);
}

} // namespace

std::optional<failure> lex(std::string_view s, std::vector<token>& out) {
  size_t i = 0;
  while (true) {
    while (i < s.size() && protocol::is_space(s[i]))
      ++i;
    token t;
    t.pos = i;
    if (i == s.size()) {
      out.push_back(std::move(t));
      return std::nullopt;
    }
    char c = s[i];
    if (c == '(' || c == ')' || c == ',') {
      t.kind = c == '(' ? tok::lparen : c == ')' ? tok::rparen : tok::comma;
      ++i;
    } else if (c == '\'') {
      t.kind = tok::string;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') {
            t.text.push_back('\'');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        t.text.push_back(s[i++]);
      }
      if (!closed)
        return failure{t.pos, "unterminated string literal"};
    } else if (is_digit(c)
               || ((c == '-' || c == '+') && i + 1 < s.size()
                   && is_digit(s[i + 1]))) {
      t.kind = tok::integer;
      bool negative = c == '-';
      if (c == '-' || c == '+')
        ++i;
      // Accumulate negatively so that INT64_MIN is representable.
      int64_t v = 0;
      constexpr auto min = std::numeric_limits<int64_t>::min();
      while (i < s.size() && is_digit(s[i])) {
        int d = s[i++] - '0';
        if (v < (min + d) / 10)
          return failure{t.pos, "integer literal out of range"};
        v = v * 10 - d;
      }
      if (!negative && v == min)
        return failure{t.pos, "integer literal out of range"};
      t.integer = negative ? v : -v;
      if (i < s.size() && is_ident_char(s[i]))
        return failure{i, "unexpected character '" + std::string(1, s[i])
                            + "'"};
    } else if (is_ident_start(c)) {
      t.kind = tok::ident;
      while (i < s.size() && is_ident_char(s[i]))
        t.text.push_back(protocol::ascii_lower(s[i++]));
    } else {
      // Name the whole character, not the first byte of a multi-byte
      // UTF-8 sequence (the message is echoed in a JSON error body).
      auto n =
        std::max<size_t>(1, protocol::utf8_sequence_length(s.substr(i)));
      return failure{i, "unexpected character '"
                          + std::string{s.substr(i, n)} + "'"};
    }
    t.raw = s.substr(t.pos, i - t.pos);
    out.push_back(std::move(t));
  }
}

} // namespace sio::routing::odata
