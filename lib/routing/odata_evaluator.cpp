#include "lib/routing/odata_evaluator.hpp"

#include "lib/protocol/ascii.hpp"

#include <algorithm>
#include <limits>
#include <string_view>
#include <utility>

namespace sio::routing {

/// Runtime values and the recursive evaluation of AST nodes.
struct odata_evaluator::values {
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
};

bool odata_evaluator::matches(const std::vector<node>& nodes, uint32_t root,
                              const filter_subject& subject) {
  auto v = values::eval(nodes, root, subject);
  return v.t == type::boolean && v.b;
}

bool odata_evaluator::candidates(const std::vector<node>& nodes, uint32_t at,
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

} // namespace sio::routing
