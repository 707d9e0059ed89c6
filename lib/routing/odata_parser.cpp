#include "lib/routing/odata_parser.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

namespace sio::routing {

using odata::failure;
using odata::tok;
using odata::token;

class odata_parser::grammar {
public:
  using node = odata_filter::node;
  using op = odata_filter::op;
  using type = odata_filter::type;
  using idx = int64_t;
  static constexpr idx bad = -1;

  static const char* type_name(type t) {
    switch (t) {
      case type::null_type:
        return "null";
      case type::boolean:
        return "bool";
      case type::integer:
        return "int";
      case type::string:
        return "string";
    }
    return "?";
  }

  grammar(std::vector<token>& toks, std::vector<node>& nodes,
          size_t max_depth)
    : toks_(toks), nodes_(nodes), max_depth_(max_depth) {
    // nop
  }

  /// Parses the whole token list into a boolean expression.
  idx parse_filter() {
    idx root = parse_or();
    if (root == bad)
      return bad;
    if (cur().kind != tok::end) {
      if (cur().kind == tok::rparen)
        return fail(cur().pos, "unbalanced ')'");
      return fail(cur().pos, "unexpected '" + std::string{cur().raw} + "'");
    }
    if (!expect_type(root, toks_.front().pos, type::boolean))
      return bad;
    return root;
  }

  /// The first failure, if any.
  const failure& error() const {
    return error_;
  }

private:
  // -- helpers ---

  const token& cur() const {
    return toks_[pos_];
  }

  const token& peek(size_t ahead) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }

  void advance() {
    if (pos_ + 1 < toks_.size())
      ++pos_;
  }

  bool is_kw(const token& t, std::string_view kw) const {
    return t.kind == tok::ident && t.text == kw;
  }

  bool is_kw(std::string_view kw) const {
    return is_kw(cur(), kw);
  }

  idx fail(size_t pos, std::string reason) {
    if (error_.reason.empty())
      error_ = failure{pos, std::move(reason)};
    return bad;
  }

  idx add(node n) {
    nodes_.push_back(std::move(n));
    return static_cast<idx>(nodes_.size() - 1);
  }

  type type_of(idx i) const {
    return nodes_[static_cast<size_t>(i)].result;
  }

  bool expect_type(idx i, size_t pos, type want) {
    if (type_of(i) == want)
      return true;
    fail(pos, std::string{"Type '"} + type_name(type_of(i)) + "', expect '"
                + type_name(want) + "'");
    return false;
  }

  /// `want` or the null literal (functions on null yield null).
  bool expect_type_or_null(idx i, size_t pos, type want) {
    return type_of(i) == type::null_type || expect_type(i, pos, want);
  }

  static node make(op kind, type result) {
    node n;
    n.kind = kind;
    n.result = result;
    return n;
  }

  static bool comparable(type a, type b, bool ordering) {
    if (a == type::null_type || b == type::null_type)
      return !ordering || a != type::boolean || b != type::boolean;
    if (a != b)
      return false;
    return !ordering || a == type::integer || a == type::string;
  }

  /// Keeps recursion bounded by max_depth_ whatever the input nests.
  struct depth_guard {
    size_t& depth;
    explicit depth_guard(size_t& d) : depth(++d) {
      // nop
    }
    ~depth_guard() {
      --depth;
    }
  };

  // -- grammar ---

  /// or_expr := and_expr ("or" and_expr)*   (n-ary node, no deep chains)
  idx parse_or() {
    return parse_chain("or", op::logical_or, &grammar::parse_and);
  }

  /// and_expr := cmp_expr ("and" cmp_expr)*
  idx parse_and() {
    return parse_chain("and", op::logical_and, &grammar::parse_cmp);
  }

  idx parse_chain(std::string_view kw, op kind, idx (grammar::*next)()) {
    size_t first_pos = cur().pos;
    idx first = (this->*next)();
    if (first == bad || !is_kw(kw))
      return first;
    if (!expect_type(first, first_pos, type::boolean))
      return bad;
    node n = make(kind, type::boolean);
    n.children.push_back(static_cast<uint32_t>(first));
    while (is_kw(kw)) {
      advance();
      size_t p = cur().pos;
      idx rhs = (this->*next)();
      if (rhs == bad || !expect_type(rhs, p, type::boolean))
        return bad;
      n.children.push_back(static_cast<uint32_t>(rhs));
    }
    return add(std::move(n));
  }

  static std::optional<op> comparison(const token& t) {
    if (t.kind != tok::ident)
      return std::nullopt;
    static constexpr std::pair<std::string_view, op> ops[] = {
      {"eq", op::eq}, {"ne", op::ne}, {"gt", op::gt},
      {"ge", op::ge}, {"lt", op::lt}, {"le", op::le},
    };
    for (const auto& [name, kind] : ops)
      if (t.text == name)
        return kind;
    return std::nullopt;
  }

  /// cmp_expr := unary [cmpop unary | "in" in_rhs]
  idx parse_cmp() {
    idx lhs = parse_unary();
    if (lhs == bad)
      return bad;
    if (auto kind = comparison(cur())) {
      const token& op_tok = cur();
      size_t op_pos = op_tok.pos;
      std::string op_name = op_tok.text;
      advance();
      idx rhs = parse_unary();
      if (rhs == bad)
        return bad;
      bool ordering = *kind != op::eq && *kind != op::ne;
      if (!comparable(type_of(lhs), type_of(rhs), ordering))
        return fail(op_pos, std::string{"cannot compare '"}
                              + type_name(type_of(lhs)) + "' " + op_name
                              + " '" + type_name(type_of(rhs)) + "'");
      node n = make(*kind, type::boolean);
      n.children = {static_cast<uint32_t>(lhs), static_cast<uint32_t>(rhs)};
      return add(std::move(n));
    }
    if (is_kw("in"))
      return parse_in(lhs);
    return lhs;
  }

  /// in_rhs := "groups" | "(" "groups" ")" | "(" expr ("," expr)* ")"
  idx parse_in(idx lhs) {
    size_t in_pos = cur().pos;
    advance();
    bool groups = is_kw("groups");
    bool paren_groups = cur().kind == tok::lparen && is_kw(peek(1), "groups")
                        && peek(2).kind == tok::rparen;
    if (groups || paren_groups) {
      for (int n = groups ? 1 : 3; n > 0; --n)
        advance();
      if (!expect_type_or_null(lhs, in_pos, type::string))
        return bad;
      node n = make(op::in_groups, type::boolean);
      n.children.push_back(static_cast<uint32_t>(lhs));
      return add(std::move(n));
    }
    if (cur().kind != tok::lparen)
      return fail(cur().pos, "expected '(' or 'groups' after 'in'");
    advance();
    node n = make(op::in_list, type::boolean);
    n.children.push_back(static_cast<uint32_t>(lhs));
    while (true) {
      size_t p = cur().pos;
      idx item = parse_or();
      if (item == bad)
        return bad;
      if (!comparable(type_of(lhs), type_of(item), false))
        return fail(p, std::string{"cannot compare '"}
                         + type_name(type_of(lhs)) + "' in '"
                         + type_name(type_of(item)) + "'");
      n.children.push_back(static_cast<uint32_t>(item));
      if (cur().kind == tok::comma) {
        advance();
        continue;
      }
      if (cur().kind == tok::rparen) {
        advance();
        break;
      }
      return fail(cur().pos, "expected ',' or ')' in 'in' list");
    }
    return add(std::move(n));
  }

  /// unary := "not" unary | primary   (binds tighter than comparisons)
  idx parse_unary() {
    depth_guard guard{depth_};
    if (depth_ > max_depth_)
      return fail(cur().pos, "nesting deeper than "
                               + std::to_string(max_depth_) + " levels");
    if (!is_kw("not"))
      return parse_primary();
    advance();
    size_t p = cur().pos;
    idx operand = parse_unary();
    if (operand == bad || !expect_type(operand, p, type::boolean))
      return bad;
    node n = make(op::logical_not, type::boolean);
    n.children.push_back(static_cast<uint32_t>(operand));
    return add(std::move(n));
  }

  idx parse_primary() {
    const token& t = cur();
    switch (t.kind) {
      case tok::end:
        return fail(t.pos, "unexpected end of filter");
      case tok::rparen:
        return fail(t.pos, "unbalanced ')'");
      case tok::comma:
        return fail(t.pos, "unexpected ','");
      case tok::lparen: {
        size_t open_pos = t.pos;
        advance();
        idx inner = parse_or();
        if (inner == bad)
          return bad;
        if (cur().kind != tok::rparen)
          return fail(cur().kind == tok::end ? open_pos : cur().pos,
                      cur().kind == tok::end ? "unbalanced '('"
                                             : "expected ')'");
        advance();
        return inner;
      }
      case tok::string: {
        node n = make(op::lit_string, type::string);
        n.text = t.text;
        advance();
        return add(std::move(n));
      }
      case tok::integer: {
        node n = make(op::lit_int, type::integer);
        n.integer = t.integer;
        advance();
        return add(std::move(n));
      }
      case tok::ident:
        return parse_identifier();
    }
    return fail(t.pos, "unexpected token");
  }

  idx parse_identifier() {
    const token& t = cur();
    const std::string& name = t.text;
    size_t pos = t.pos;
    if (peek(1).kind == tok::lparen && function_info(name))
      return parse_call();
    node n;
    if (name == "true" || name == "false") {
      n = make(op::lit_bool, type::boolean);
      n.boolean = name == "true";
    } else if (name == "null") {
      n = make(op::lit_null, type::null_type);
    } else if (name == "userid") {
      n = make(op::user_id, type::string);
    } else if (name == "connectionid") {
      n = make(op::connection_id, type::string);
    } else if (name == "groups") {
      return fail(pos, "'groups' is only allowed after 'in' or in "
                       "length()");
    } else if (function_info(name)) {
      return fail(pos, "expected '(' after '" + std::string{t.raw} + "'");
    } else if (comparison(t) || name == "and" || name == "or"
               || name == "not" || name == "in") {
      return fail(pos, "unexpected '" + std::string{t.raw} + "'");
    } else {
      return fail(pos, "unknown identifier '" + std::string{t.raw} + "'");
    }
    advance();
    return add(std::move(n));
  }

  struct function_desc {
    op kind;
    type result;
    size_t min_args;
    size_t max_args;
  };

  static std::optional<function_desc> function_info(std::string_view n) {
    static constexpr std::pair<std::string_view, function_desc> table[] = {
      {"tolower", {op::fn_tolower, type::string, 1, 1}},
      {"toupper", {op::fn_toupper, type::string, 1, 1}},
      {"trim", {op::fn_trim, type::string, 1, 1}},
      {"substring", {op::fn_substring, type::string, 2, 3}},
      {"concat", {op::fn_concat, type::string, 2, 2}},
      {"indexof", {op::fn_indexof, type::integer, 2, 2}},
      {"length", {op::fn_length, type::integer, 1, 1}},
      {"startswith", {op::fn_startswith, type::boolean, 2, 2}},
      {"endswith", {op::fn_endswith, type::boolean, 2, 2}},
      {"contains", {op::fn_contains, type::boolean, 2, 2}},
    };
    for (const auto& [name, desc] : table)
      if (name == n)
        return desc;
    return std::nullopt;
  }

  /// func := name "(" [expr ("," expr)*] ")"; length(groups) is special.
  idx parse_call() {
    std::string raw{cur().raw};
    size_t name_pos = cur().pos;
    auto desc = *function_info(cur().text);
    advance(); // name
    advance(); // '('
    if (desc.kind == op::fn_length && is_kw("groups")
        && peek(1).kind == tok::rparen) {
      advance();
      advance();
      return add(make(op::length_groups, type::integer));
    }
    node n = make(desc.kind, desc.result);
    if (cur().kind != tok::rparen) {
      while (true) {
        size_t p = cur().pos;
        idx arg = parse_or();
        if (arg == bad)
          return bad;
        // substring's 2nd and 3rd arguments are integers, all else strings.
        bool int_arg = desc.kind == op::fn_substring && !n.children.empty();
        if (!expect_type_or_null(arg, p,
                                 int_arg ? type::integer : type::string))
          return bad;
        n.children.push_back(static_cast<uint32_t>(arg));
        if (cur().kind != tok::comma)
          break;
        advance();
      }
    }
    if (cur().kind != tok::rparen)
      return fail(cur().pos, cur().kind == tok::end
                               ? "unbalanced '(' in call of '" + raw + "'"
                               : "expected ',' or ')' in call of '" + raw
                                   + "'");
    advance();
    if (n.children.size() < desc.min_args
        || n.children.size() > desc.max_args)
      return fail(name_pos,
                  "'" + raw + "' takes "
                    + (desc.min_args == desc.max_args
                         ? std::to_string(desc.min_args)
                         : std::to_string(desc.min_args) + " or "
                             + std::to_string(desc.max_args))
                    + " argument(s), got "
                    + std::to_string(n.children.size()));
    return add(std::move(n));
  }

  /// All tokens, ending with tok::end.
  std::vector<token>& toks_;
  /// Output AST.
  std::vector<node>& nodes_;
  /// Index of the current token.
  size_t pos_ = 0;
  /// Current nesting of parse_unary.
  size_t depth_ = 0;
  /// Limit for depth_.
  size_t max_depth_;
  /// First failure.
  failure error_;
};

std::optional<odata::failure>
odata_parser::parse(std::vector<odata::token>& toks,
                    std::vector<odata_filter::node>& nodes, size_t max_depth,
                    uint32_t& root) {
  grammar p{toks, nodes, max_depth};
  auto at = p.parse_filter();
  if (at == grammar::bad)
    return p.error();
  root = static_cast<uint32_t>(at);
  return std::nullopt;
}

} // namespace sio::routing
