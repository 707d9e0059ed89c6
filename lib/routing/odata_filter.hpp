// lib/routing/odata_filter.hpp
// The Web PubSub OData filter subset (protocol.md §7): a recursive-descent
// parser with explicit depth and length limits that builds a small typed AST,
// and an evaluator over one connection (connectionId, userId, its groups).
#pragma once

#include <sio/result.hpp>
#include "lib/routing/group_index.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sio::routing {

/// The connection a filter is evaluated against. Nothing is copied: the hub
/// points `groups` at group_index::groups_of(conn) directly.
struct filter_subject {
  /// The connection id (`connectionId`).
  std::string_view connection_id;
  /// The user id (`userId`); nullptr = null (anonymous connection).
  const std::string* user_id = nullptr;
  /// The connection's groups (`groups`); nullptr = in no group.
  const group_set* groups = nullptr;
};

/// Bounds applied while parsing untrusted filter text.
struct odata_limits {
  /// Longer filters are rejected before any parsing.
  size_t max_length = 4096;
  /// Deepest nesting of parentheses / not / function arguments.
  size_t max_depth = 64;
};

/// A parsed, type-checked filter. Cheap to evaluate many times; immutable.
/// A default-constructed filter matches every connection.
class odata_filter {
public:
  /// Parses `text`. Errors read `Syntax error at position <n> in '<text>':
  /// <reason>` (n is the 0-based offset of the offending token), except the
  /// length-limit error, which does not echo the text. Empty or blank text
  /// yields a filter that matches every connection (REST `filter=`).
  static protocol::result<odata_filter> parse(std::string_view text,
                                              odata_limits limits = {});

  /// True iff the filter evaluates to true for `subject` (null and false
  /// both mean "no").
  bool matches(const filter_subject& subject) const;

  /// If every matching connection must be in at least one of a fixed set of
  /// groups (e.g. `'g1' in groups or 'g2' in groups and not (...)`), stores
  /// them in `out` and returns true, so the hub can scan those groups'
  /// members instead of every connection. Returns false otherwise.
  bool candidate_groups(std::vector<std::string>& out) const;

  /// The text this filter was parsed from.
  const std::string& text() const noexcept {
    return text_;
  }

private:
  /// They build and read the AST (odata_parser.cpp, odata_evaluator.cpp).
  friend struct odata_parser;
  friend struct odata_evaluator;

  // -- AST ---

  /// Static type of an expression.
  enum class type : uint8_t { null_type, boolean, integer, string };

  /// Node kinds: literals, identifiers, operators and functions.
  enum class op : uint8_t {
    match_all,
    lit_null,
    lit_bool,
    lit_int,
    lit_string,
    user_id,
    connection_id,
    length_groups,
    in_groups,
    in_list,
    logical_not,
    logical_and,
    logical_or,
    eq,
    ne,
    gt,
    ge,
    lt,
    le,
    fn_tolower,
    fn_toupper,
    fn_trim,
    fn_substring,
    fn_concat,
    fn_indexof,
    fn_length,
    fn_startswith,
    fn_endswith,
    fn_contains,
  };

  /// One AST node; children are indexes into nodes_.
  struct node {
    /// What this node computes.
    op kind = op::match_all;
    /// Its static type.
    type result = type::null_type;
    /// Value of lit_bool.
    bool boolean = false;
    /// Value of lit_int.
    int64_t integer = 0;
    /// Value of lit_string (unescaped).
    std::string text;
    /// Operands in order.
    std::vector<uint32_t> children;
  };

  /// The source text.
  std::string text_;
  /// All nodes; nodes_[root_] is the whole filter.
  std::vector<node> nodes_;
  /// Index of the root node.
  uint32_t root_ = 0;
};

} // namespace sio::routing
