// lib/routing/odata_lexer.hpp
// The tokens of an OData filter: identifiers (lower-cased), string and
// integer literals, parentheses and commas, each with its position.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sio::routing::odata {

enum class tok : uint8_t { end, ident, string, integer, lparen, rparen,
                           comma };

struct token {
  /// Token class.
  tok kind = tok::end;
  /// 0-based offset of its first character in the filter text.
  size_t pos = 0;
  /// The source characters.
  std::string_view raw;
  /// Lower-cased identifier or unescaped string literal.
  std::string text;
  /// Value of an integer literal.
  int64_t integer = 0;
};

/// A lexing or parsing failure: where, and why.
struct failure {
  size_t pos = 0;
  std::string reason;
};

/// Splits the whole text into tokens ending with tok::end; the text is
/// already length-limited, so the token vector is bounded too.
std::optional<failure> lex(std::string_view s, std::vector<token>& out);

} // namespace sio::routing::odata
