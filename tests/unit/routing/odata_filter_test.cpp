#include "lib/routing/odata_filter.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <ostream>
#include <set>

using namespace sio::routing;
namespace bdata = boost::unit_test::data;

namespace {

/// A sample connection as the hub would describe it.
struct sample {
  std::string id;
  std::optional<std::string> user;
  group_set groups;
  /// Backing storage for the views in `groups`.
  std::vector<std::string> group_storage;

  sample(std::string i, std::optional<std::string> u,
         std::vector<std::string> gs)
    : id(std::move(i)), user(std::move(u)), group_storage(std::move(gs)) {
    for (const auto& g : group_storage)
      groups.insert(g);
  }

  sample(const sample&) = delete;
  sample& operator=(const sample&) = delete;

  filter_subject subject() const {
    return {id, user ? &*user : nullptr, &groups};
  }
};

const std::vector<std::unique_ptr<sample>>& samples() {
  static const auto all = [] {
    std::vector<std::unique_ptr<sample>> v;
    auto add = [&v](std::string id, std::optional<std::string> user,
                    std::vector<std::string> groups) {
      v.push_back(std::make_unique<sample>(std::move(id), std::move(user),
                                           std::move(groups)));
    };
    add("A", "user1", {"group1", "0~L25z~cm0", "0~L25z~c29ja2V0SWQ"});
    add("123", "user1", {"group2"});
    add("C", "user2", {"group1", "group2"});
    add("D", std::nullopt, {});
    add("E", "user'1", {"0~L25z~cm0", "0~L25z~c2lk"});
    add("F", "abcdefgh", {"0~L25z~cm0y"});
    add("G", "vic's", {});
    add("H", "ab", {"0~L25z~ZXgx", "0~L25z~cm0y"});
    add("I", "user3", {"0~L25z~cm0", "0~L25z~ZXgx"});
    add("J", "u", {"0~L25z~c29ja2V0MQ"});
    return v;
  }();
  return all;
}

/// Ids of the sample connections that `filter` selects.
std::string selected(const odata_filter& f) {
  std::string out;
  for (const auto& s : samples())
    if (f.matches(s->subject()))
      out += (out.empty() ? "" : ",") + s->id;
  return out;
}

struct example {
  const char* filter;
  const char* selects; // comma-separated sample ids
};

std::ostream& operator<<(std::ostream& os, const example& e) {
  return os << e.filter;
}

// protocol.md §7.3 and §5.2, evaluated against samples().
const example examples[] = {
  // §7.3
  {"'group1' in groups or 'group2' in groups", "A,123,C"},
  {"userId in ('user1', 'user2', 'user3') and 'group1' in groups", "A,C"},
  {"userId eq 'user1' and connectionId ne '123'", "A"},
  {"userId eq 'user1' and (not ('group1' in groups))", "123"},
  {"userId eq 'user''1'", "E"},
  {"userId ne 'user1' and userId ne 'user2'", "D,E,F,G,H,I,J"},
  {"'0~L25z~c29ja2V0SWQ' in groups", "A"},
  {"'0~L25z~cm0' in groups and not ('0~L25z~c2lk' in groups)", "A,I"},
  {"length(userId) gt 0 and length(userId) lt 3 or length(userId) gt 7 and "
   "length(userId) lt 10",
   "F,H,J"},
  {"userId eq null or userId eq 'vic''s' or length(userId) gt 3",
   "A,123,C,D,E,F,G,I"},
  // §5.2 (Functions extension filters)
  {"not ('0~L25z~c2lk' in groups)", "A,123,C,D,F,G,H,I,J"},
  {"'0~L25z~cm0' in groups or '0~L25z~cm0y' in groups", "A,E,F,H,I"},
  // A or (B and not C): I is in cm0 and ex1, so it stays selected.
  {"'0~L25z~cm0' in groups or '0~L25z~cm0y' in groups and not "
   "('0~L25z~ZXgx' in groups)",
   "A,E,F,I"},
  {"'0~L25z~c29ja2V0MQ' in groups or '0~L25z~c29ja2V0Mg' in groups", "J"},
  {"'0~L25z~' in groups", ""},
  {"", "A,123,C,D,E,F,G,H,I,J"},
  {"   ", "A,123,C,D,E,F,G,H,I,J"},
};

/// Evaluates a filter with no group/user dependence on subject D.
bool eval(const char* filter) {
  auto f = odata_filter::parse(filter);
  BOOST_REQUIRE_MESSAGE(f, f.error());
  return f->matches(samples()[3]->subject());
}

/// The error text of a filter that must not parse.
std::string error_of(std::string_view filter, odata_limits limits = {}) {
  auto f = odata_filter::parse(filter, limits);
  BOOST_REQUIRE_MESSAGE(!f, "parsed: " << filter.substr(0, 100));
  return f.error();
}

} // namespace

BOOST_AUTO_TEST_SUITE(odata_filter_test)

BOOST_DATA_TEST_CASE(documented_examples_select_the_expected_connections,
                     bdata::make(examples), row) {
  auto f = odata_filter::parse(row.filter);
  BOOST_REQUIRE_MESSAGE(f, f.error());
  BOOST_TEST(selected(*f) == row.selects);
  BOOST_TEST(f->text() == row.filter);
}

BOOST_AUTO_TEST_CASE(precedence_is_not_then_comparison_then_and_then_or) {
  BOOST_TEST(eval("true or false and false"));
  BOOST_TEST(!eval("(true or false) and false"));
  BOOST_TEST(!eval("not false and false"));
  BOOST_TEST(eval("not (false and false)"));
  BOOST_TEST(eval("false and false or true"));
  BOOST_TEST(eval("not false eq true"));
  BOOST_TEST(eval("1 lt 2 and 'a' lt 'b' or false"));
}

BOOST_AUTO_TEST_CASE(names_and_keywords_are_case_insensitive) {
  auto f = odata_filter::parse(
    "USERID Eq 'user1' AND 'group1' IN GROUPS Or Length(Groups) GE 2 and "
    "NOT (ConnectionId eq 'C')");
  BOOST_REQUIRE_MESSAGE(f, f.error());
  BOOST_TEST(selected(*f) == "A,E,H,I");
  // Literals stay case-sensitive.
  auto g = odata_filter::parse("userId eq 'USER1'");
  BOOST_REQUIRE(g);
  BOOST_TEST(selected(*g) == "");
}

BOOST_AUTO_TEST_CASE(escaped_quotes_and_literals_are_parsed) {
  auto f = odata_filter::parse("userId eq 'vic''s' or userId in ('''', 'x''')");
  BOOST_REQUIRE_MESSAGE(f, f.error());
  BOOST_TEST(selected(*f) == "G");
  BOOST_TEST(eval("'' eq ''"));
  BOOST_TEST(eval("'''' eq concat('''', '')"));
  BOOST_TEST(eval("length('''') eq 1"));
  BOOST_TEST(eval("-5 lt +3 and 0 eq -0"));
  BOOST_TEST(eval("-9223372036854775808 lt 9223372036854775807"));
  BOOST_TEST(eval("true eq true and false ne true"));
  BOOST_TEST(eval("((('a'))) eq 'a'"));
}

BOOST_AUTO_TEST_CASE(functions_follow_the_documented_semantics) {
  const char* truths[] = {
    "tolower('AbC') eq 'abc'",
    "toupper('AbC') eq 'ABC'",
    "trim('  x y \t') eq 'x y'",
    "substring('hello', 1) eq 'ello'",
    "substring('hello', 1, 2) eq 'el'",
    "substring('hello', 10) eq ''",
    "substring('hello', 3, 10) eq 'lo'",
    "substring('hello', -2, 1) eq 'h'",
    "concat('a', concat('b', 'c')) eq 'abc'",
    "indexof('hello', 'll') eq 2",
    "indexof('hello', 'z') eq -1",
    "length('hello') eq 5",
    "startswith('hello', 'he')",
    "endswith('hello', 'lo')",
    "contains('hello', 'ell')",
    "not contains('hello', 'xyz')",
    "not endswith('lo', 'hello')",
    "length(groups) eq 0",
  };
  for (auto t : truths)
    BOOST_TEST(eval(t), t);
  auto f = odata_filter::parse(
    "tolower(userId) eq 'user1' and length(groups) eq 3 and "
    "indexof(userId, 'er') eq 2 and startswith(connectionId, 'A')");
  BOOST_REQUIRE(f);
  BOOST_TEST(selected(*f) == "A");
  auto g = odata_filter::parse("length(groups) ge 2");
  BOOST_REQUIRE(g);
  BOOST_TEST(selected(*g) == "A,C,E,H,I");
  auto h = odata_filter::parse("userId in groups or connectionId in (groups)");
  BOOST_REQUIRE(h);
  BOOST_TEST(selected(*h) == "");
}

BOOST_AUTO_TEST_CASE(null_semantics_for_anonymous_connections) {
  // Subject D has userId null.
  BOOST_TEST(eval("userId eq null"));
  BOOST_TEST(!eval("userId ne null"));
  BOOST_TEST(eval("null eq null"));
  BOOST_TEST(eval("userId ne 'user1'"));
  BOOST_TEST(!eval("userId gt 'a'"));
  BOOST_TEST(!eval("userId lt 'a'"));
  BOOST_TEST(eval("not (userId gt 'a')"));
  BOOST_TEST(eval("length(userId) eq null"));
  BOOST_TEST(eval("tolower(userId) eq null"));
  BOOST_TEST(!eval("length(userId) gt 0"));
  BOOST_TEST(!eval("startswith(userId, 'u')"));
  // null is neither true nor false: not(null) does not match either.
  BOOST_TEST(!eval("not startswith(userId, 'u')"));
  BOOST_TEST(eval("startswith(userId, 'u') or true"));
  BOOST_TEST(!eval("startswith(userId, 'u') and true"));
  BOOST_TEST(eval("userId in ('a', null)"));
  BOOST_TEST(!eval("userId in groups"));
  BOOST_TEST(!eval("null in groups"));
}

BOOST_AUTO_TEST_CASE(errors_name_the_position_and_the_reason) {
  struct row {
    const char* filter;
    const char* error;
  };
  const row rows[] = {
    {"(userId eq 'a'",
     "Syntax error at position 0 in '(userId eq 'a'': unbalanced '('"},
    {"userId eq 'a')",
     "Syntax error at position 13 in 'userId eq 'a')': unbalanced ')'"},
    {"foo eq 'a'",
     "Syntax error at position 0 in 'foo eq 'a'': unknown identifier 'foo'"},
    {"userId eq 'a' garbage",
     "Syntax error at position 14 in 'userId eq 'a' garbage': unexpected "
     "'garbage'"},
    {"not length(userId) gt 5",
     "Syntax error at position 4 in 'not length(userId) gt 5': Type 'int', "
     "expect 'bool'"},
    {"not null",
     "Syntax error at position 4 in 'not null': Type 'null', expect 'bool'"},
    {"userId", "Syntax error at position 0 in 'userId': Type 'string', "
               "expect 'bool'"},
    {"userId eq", "Syntax error at position 9 in 'userId eq': unexpected end "
                  "of filter"},
    {"userId eq 1", "Syntax error at position 7 in 'userId eq 1': cannot "
                    "compare 'string' eq 'int'"},
    {"userId eq 'abc", "Syntax error at position 10 in 'userId eq 'abc': "
                       "unterminated string literal"},
    {"userId # 'a'", "Syntax error at position 7 in 'userId # 'a'': "
                     "unexpected character '#'"},
    {"groups eq 'a'", "Syntax error at position 0 in 'groups eq 'a'': "
                      "'groups' is only allowed after 'in' or in length()"},
    {"length(userId, 'a') gt 1",
     "Syntax error at position 0 in 'length(userId, 'a') gt 1': 'length' "
     "takes 1 argument(s), got 2"},
    {"'a' in ('a' 'b')", "Syntax error at position 12 in ''a' in ('a' 'b')': "
                         "expected ',' or ')' in 'in' list"},
    {"userId eq 'a' and", "Syntax error at position 17 in 'userId eq 'a' "
                          "and': unexpected end of filter"},
    {"99999999999999999999 eq 1",
     "Syntax error at position 0 in '99999999999999999999 eq 1': integer "
     "literal out of range"},
    {"'a' eq 'b' eq 'c'", "Syntax error at position 11 in ''a' eq 'b' eq "
                          "'c'': unexpected 'eq'"},
    {"true gt false", "Syntax error at position 5 in 'true gt false': cannot "
                      "compare 'bool' gt 'bool'"},
    {"1 in groups", "Syntax error at position 2 in '1 in groups': Type "
                    "'int', expect 'string'"},
    {"'a' in 'b'", "Syntax error at position 7 in ''a' in 'b'': expected '(' "
                   "or 'groups' after 'in'"},
    {"true and 'x'", "Syntax error at position 9 in 'true and 'x'': Type "
                     "'string', expect 'bool'"},
    {"substring('a', 'b') eq 'c'",
     "Syntax error at position 15 in 'substring('a', 'b') eq 'c'': Type "
     "'string', expect 'int'"},
    {"tolower eq 'a'", "Syntax error at position 0 in 'tolower eq 'a'': "
                       "expected '(' after 'tolower'"},
    {"and", "Syntax error at position 0 in 'and': unexpected 'and'"},
    // A multi-byte character is named whole; a stray byte alone.
    {"userId eq \xC3\xA9", "Syntax error at position 10 in 'userId eq "
                           "\xC3\xA9': unexpected character '\xC3\xA9'"},
    {"userId eq \xE6\x97\xA5x", "Syntax error at position 10 in 'userId eq "
                                "\xE6\x97\xA5x': unexpected character "
                                "'\xE6\x97\xA5'"},
    {"userId eq \xC3", "Syntax error at position 10 in 'userId eq \xC3': "
                       "unexpected character '\xC3'"},
    {"userId eq \xFF\x80", "Syntax error at position 10 in 'userId eq "
                           "\xFF\x80': unexpected character '\xFF'"},
    {"()", "Syntax error at position 1 in '()': unbalanced ')'"},
  };
  for (const auto& r : rows)
    BOOST_TEST(error_of(r.filter) == r.error);
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_rejected_by_the_depth_limit) {
  auto nested = [](size_t n, const char* open, const char* close) {
    std::string s;
    for (size_t i = 0; i < n; ++i)
      s += open;
    s += "true";
    for (size_t i = 0; i < n; ++i)
      s += close;
    return s;
  };
  odata_limits big{1 << 20, 64};
  // 63 parentheses + the innermost term = 64 levels: allowed.
  BOOST_TEST(static_cast<bool>(odata_filter::parse(nested(63, "(", ")"), big)));
  BOOST_TEST(error_of(nested(64, "(", ")"), big).find(
               "nesting deeper than 64 levels")
             != std::string::npos);
  // 10k levels: rejected early, without exhausting the stack.
  BOOST_TEST(error_of(nested(10000, "(", ")"), big).find(
               "Syntax error at position 64 in ")
             == 0u);
  BOOST_TEST(error_of(nested(10000, "not ", ""), big).find(
               "nesting deeper than 64 levels")
             != std::string::npos);
  BOOST_TEST(error_of(nested(10000, "tolower(", ")"), big).find(
               "nesting deeper than 64 levels")
             != std::string::npos);
  BOOST_TEST(error_of(nested(10000, "(", ""), big).find(
               "nesting deeper than 64 levels")
             != std::string::npos);
  odata_limits shallow{4096, 3};
  BOOST_TEST(static_cast<bool>(odata_filter::parse("((true))", shallow)));
  BOOST_TEST(!odata_filter::parse("(((true)))", shallow));
}

BOOST_AUTO_TEST_CASE(oversized_filters_are_rejected_by_the_length_limit) {
  std::string huge(1 << 20, ' ');
  huge.replace(0, 4, "true");
  auto err = error_of(huge);
  BOOST_TEST(err == "filter too long: 1048576 characters, limit 4096");
  BOOST_TEST(static_cast<bool>(odata_filter::parse(std::string(4096, ' '))));
  BOOST_TEST(!odata_filter::parse(std::string(4097, ' ')));
}

BOOST_AUTO_TEST_CASE(long_flat_chains_parse_and_evaluate_iteratively) {
  std::string filter;
  for (int i = 0; i < 50000; ++i)
    filter += "'g" + std::to_string(i) + "' in groups or ";
  filter += "'group2' in groups";
  auto f = odata_filter::parse(filter, {filter.size(), 64});
  BOOST_REQUIRE_MESSAGE(f, f.error().substr(0, 200));
  BOOST_TEST(selected(*f) == "123,C");
  std::vector<std::string> groups;
  BOOST_TEST(f->candidate_groups(groups));
  BOOST_TEST(groups.size() == 50001u);
}

BOOST_AUTO_TEST_CASE(candidate_groups_bound_the_connections_to_scan) {
  struct row {
    const char* filter;
    std::optional<std::vector<std::string>> groups;
  };
  using v = std::vector<std::string>;
  const row rows[] = {
    {"'0~L25z~cm0' in groups or '0~L25z~cm0y' in groups",
     v{"0~L25z~cm0", "0~L25z~cm0y"}},
    {"'0~L25z~cm0' in groups or '0~L25z~cm0y' in groups and not "
     "('0~L25z~ZXgx' in groups)",
     v{"0~L25z~cm0", "0~L25z~cm0y"}},
    {"'0~L25z~cm0' in groups and not ('0~L25z~c2lk' in groups)",
     v{"0~L25z~cm0"}},
    {"userId eq 'a' and ('g' in (groups) or 'g' in groups)", v{"g"}},
    {"'a' in groups or userId eq 'x'", std::nullopt},
    {"not ('a' in groups)", std::nullopt},
    {"userId in groups", std::nullopt},
    {"userId eq 'a'", std::nullopt},
    {"", std::nullopt},
  };
  for (const auto& r : rows) {
    auto f = odata_filter::parse(r.filter);
    BOOST_REQUIRE_MESSAGE(f, f.error());
    std::vector<std::string> out;
    bool bounded = f->candidate_groups(out);
    BOOST_TEST(bounded == r.groups.has_value(), r.filter);
    if (r.groups)
      BOOST_TEST(out == *r.groups, r.filter);
  }
}

BOOST_AUTO_TEST_CASE(a_default_constructed_filter_matches_everything) {
  odata_filter f;
  BOOST_TEST(selected(f) == "A,123,C,D,E,F,G,H,I,J");
  std::vector<std::string> out;
  BOOST_TEST(!f.candidate_groups(out));
}

BOOST_AUTO_TEST_CASE(a_subject_without_groups_is_in_no_group) {
  auto f = odata_filter::parse("'g' in groups or length(groups) gt 0");
  BOOST_REQUIRE(f);
  std::string user = "u";
  BOOST_TEST(!f->matches(filter_subject{"c", &user, nullptr}));
}

BOOST_AUTO_TEST_SUITE_END()
