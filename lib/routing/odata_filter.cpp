#include "lib/routing/odata_filter.hpp"

#include "lib/protocol/ascii.hpp"
#include "lib/protocol/utf8.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

namespace sio::routing {

using protocol::result;

struct odata_impl {
  using node = odata_filter::node;
  using op = odata_filter::op;
  using type = odata_filter::type;

  // -- lexer ---

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

  static bool is_digit(char c) {
    return c >= '0' && c <= '9';
  }

  static bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  static bool is_ident_char(char c) {
    return is_ident_start(c) || is_digit(c);
  }


  /// Splits the whole text into tokens; the text is already length-limited,
  /// so the token vector is bounded too.
  static std::optional<failure> lex(std::string_view s,
                                    std::vector<token>& out) {
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

  // -- parser ---

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

  class parser {
  public:
    parser(std::vector<token>& toks, std::vector<node>& nodes,
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
      return parse_chain("or", op::logical_or, &parser::parse_and);
    }

    /// and_expr := cmp_expr ("and" cmp_expr)*
    idx parse_and() {
      return parse_chain("and", op::logical_and, &parser::parse_cmp);
    }

    idx parse_chain(std::string_view kw, op kind, idx (parser::*next)()) {
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

  // -- evaluator ---

  /// A runtime value. Strings are views into the subject or the AST unless
  /// computed by a function, in which case `own` holds them.
  struct value {
    type t = type::null_type;
    bool b = false;
    int64_t i = 0;
    std::string_view s;
    std::string own;
    bool owned = false;

    std::string_view str() const {
      return owned ? std::string_view{own} : s;
    }

    static value boolean(bool v) {
      value r;
      r.t = type::boolean;
      r.b = v;
      return r;
    }

    static value integer(int64_t v) {
      value r;
      r.t = type::integer;
      r.i = v;
      return r;
    }

    static value view(std::string_view v) {
      value r;
      r.t = type::string;
      r.s = v;
      return r;
    }

    static value owning(std::string v) {
      value r;
      r.t = type::string;
      r.own = std::move(v);
      r.owned = true;
      return r;
    }
  };

  static bool equal(const value& a, const value& b) {
    if (a.t == type::null_type || b.t == type::null_type)
      return a.t == b.t;
    switch (a.t) {
      case type::boolean:
        return a.b == b.b;
      case type::integer:
        return a.i == b.i;
      case type::string:
        return a.str() == b.str();
      case type::null_type:
        break;
    }
    return false;
  }

  /// Ordering comparison; types were checked at parse time.
  static int compare(const value& a, const value& b) {
    if (a.t == type::integer)
      return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
    return a.str().compare(b.str());
  }

  /// Evaluates node `at`. Recursion depth is bounded by the parser's depth
  /// limit (and/or chains are flat n-ary nodes).
  static value eval(const std::vector<node>& nodes, uint32_t at,
                    const filter_subject& subj) {
    const node& n = nodes[at];
    auto arg = [&](size_t k) { return eval(nodes, n.children[k], subj); };
    switch (n.kind) {
      case op::match_all:
        return value::boolean(true);
      case op::lit_null:
        return value{};
      case op::lit_bool:
        return value::boolean(n.boolean);
      case op::lit_int:
        return value::integer(n.integer);
      case op::lit_string:
        return value::view(n.text);
      case op::user_id:
        return subj.user_id ? value::view(*subj.user_id) : value{};
      case op::connection_id:
        return value::view(subj.connection_id);
      case op::length_groups:
        return value::integer(
          subj.groups ? static_cast<int64_t>(subj.groups->size()) : 0);
      case op::in_groups: {
        auto v = arg(0);
        if (v.t == type::null_type || !subj.groups)
          return value::boolean(false);
        return value::boolean(subj.groups->count(v.str()) > 0);
      }
      case op::in_list: {
        auto v = arg(0);
        for (size_t k = 1; k < n.children.size(); ++k)
          if (equal(v, arg(k)))
            return value::boolean(true);
        return value::boolean(false);
      }
      case op::logical_not: {
        auto v = arg(0);
        return v.t == type::null_type ? v : value::boolean(!v.b);
      }
      case op::logical_and:
      case op::logical_or: {
        // Kleene logic: a null operand (e.g. startswith(null, ..)) neither
        // satisfies nor vetoes; matches() treats a null result as false.
        bool is_and = n.kind == op::logical_and;
        bool saw_null = false;
        for (size_t k = 0; k < n.children.size(); ++k) {
          auto v = arg(k);
          if (v.t == type::null_type)
            saw_null = true;
          else if (v.b != is_and)
            return value::boolean(!is_and);
        }
        return saw_null ? value{} : value::boolean(is_and);
      }
      case op::eq:
        return value::boolean(equal(arg(0), arg(1)));
      case op::ne:
        return value::boolean(!equal(arg(0), arg(1)));
      case op::gt:
      case op::ge:
      case op::lt:
      case op::le: {
        auto a = arg(0);
        auto b = arg(1);
        if (a.t == type::null_type || b.t == type::null_type)
          return value::boolean(false);
        int c = compare(a, b);
        bool r = n.kind == op::gt   ? c > 0
                 : n.kind == op::ge ? c >= 0
                 : n.kind == op::lt ? c < 0
                                    : c <= 0;
        return value::boolean(r);
      }
      default:
        return eval_function(n, nodes, subj);
    }
  }

  static value eval_function(const node& n, const std::vector<node>& nodes,
                             const filter_subject& subj) {
    std::vector<value> args;
    args.reserve(n.children.size());
    for (auto child : n.children) {
      args.push_back(eval(nodes, child, subj));
      if (args.back().t == type::null_type)
        return value{};
    }
    auto s0 = args[0].str();
    switch (n.kind) {
      case op::fn_tolower:
      case op::fn_toupper: {
        std::string out{s0};
        for (auto& c : out)
          c = n.kind == op::fn_tolower ? protocol::ascii_lower(c)
                                        : protocol::ascii_upper(c);
        return value::owning(std::move(out));
      }
      case op::fn_trim: {
        return value::owning(std::string{protocol::trim(s0)});
      }
      case op::fn_substring: {
        auto size = static_cast<int64_t>(s0.size());
        int64_t start = std::clamp<int64_t>(args[1].i, 0, size);
        int64_t count = args.size() > 2
                          ? std::clamp<int64_t>(args[2].i, 0, size - start)
                          : size - start;
        return value::owning(std::string{
          s0.substr(static_cast<size_t>(start), static_cast<size_t>(count))});
      }
      case op::fn_concat:
        return value::owning(std::string{s0} + std::string{args[1].str()});
      case op::fn_indexof: {
        auto p = s0.find(args[1].str());
        return value::integer(p == std::string_view::npos
                                ? -1
                                : static_cast<int64_t>(p));
      }
      case op::fn_length:
        return value::integer(static_cast<int64_t>(s0.size()));
      case op::fn_startswith: {
        auto s1 = args[1].str();
        return value::boolean(s0.substr(0, s1.size()) == s1);
      }
      case op::fn_endswith: {
        auto s1 = args[1].str();
        return value::boolean(s0.size() >= s1.size()
                              && s0.substr(s0.size() - s1.size()) == s1);
      }
      case op::fn_contains:
        return value::boolean(s0.find(args[1].str())
                              != std::string_view::npos);
      default:
        return value{};
    }
  }

  // -- candidate groups ---

  static bool candidates(const std::vector<node>& nodes, uint32_t at,
                         std::vector<std::string>& out) {
    const node& n = nodes[at];
    switch (n.kind) {
      case op::in_groups: {
        const node& lhs = nodes[n.children[0]];
        if (lhs.kind != op::lit_string)
          return false;
        out.push_back(lhs.text);
        return true;
      }
      case op::logical_and:
        // Any one conjunct that pins the groups pins the whole conjunction.
        for (auto child : n.children) {
          std::vector<std::string> sub;
          if (candidates(nodes, child, sub)) {
            out.insert(out.end(), sub.begin(), sub.end());
            return true;
          }
        }
        return false;
      case op::logical_or:
        for (auto child : n.children)
          if (!candidates(nodes, child, out))
            return false;
        return true;
      default:
        return false;
    }
  }
};

result<odata_filter> odata_filter::parse(std::string_view text,
                                         odata_limits limits) {
  using res = result<odata_filter>;
  if (text.size() > limits.max_length)
    return res::fail("filter too long: " + std::to_string(text.size())
                     + " characters, limit "
                     + std::to_string(limits.max_length));
  odata_filter f;
  f.text_ = std::string{text};
  std::vector<odata_impl::token> toks;
  auto syntax_error = [&text](const odata_impl::failure& e) {
    return res::fail("Syntax error at position " + std::to_string(e.pos)
                     + " in '" + std::string{text} + "': " + e.reason);
  };
  if (auto e = odata_impl::lex(text, toks))
    return syntax_error(*e);
  if (toks.size() == 1) {
    f.nodes_.push_back(node{});
    f.root_ = 0;
    return res::ok(std::move(f));
  }
  odata_impl::parser p{toks, f.nodes_, limits.max_depth};
  auto root = p.parse_filter();
  if (root == odata_impl::bad)
    return syntax_error(p.error());
  f.root_ = static_cast<uint32_t>(root);
  return res::ok(std::move(f));
}

bool odata_filter::matches(const filter_subject& subject) const {
  if (nodes_.empty())
    return true;
  auto v = odata_impl::eval(nodes_, root_, subject);
  return v.t == type::boolean && v.b;
}

bool odata_filter::candidate_groups(std::vector<std::string>& out) const {
  if (nodes_.empty())
    return false;
  std::vector<std::string> found;
  if (!odata_impl::candidates(nodes_, root_, found))
    return false;
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  out = std::move(found);
  return true;
}

} // namespace sio::routing
