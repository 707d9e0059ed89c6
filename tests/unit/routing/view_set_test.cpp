#include "lib/routing/view_set.hpp"

#include <boost/test/unit_test.hpp>

#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

using namespace sio::routing;

namespace {

std::set<std::string> sorted(const view_set& s) {
  std::set<std::string> out;
  for (auto v : s)
    out.emplace(v);
  return out;
}

/// Number of views iteration visits (duplicates would count twice).
size_t visited(const view_set& s) {
  size_t n = 0;
  for (auto it = s.begin(); it != s.end(); ++it)
    ++n;
  return n;
}

/// "k0", "k1", ...: backing storage that outlives the sets under test.
std::vector<std::string> make_keys(size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i)
    keys.push_back("k" + std::to_string(i));
  return keys;
}

using names = std::set<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(view_set_test)

BOOST_AUTO_TEST_CASE(a_default_set_is_empty_and_inline) {
  view_set s;
  BOOST_TEST(s.empty());
  BOOST_TEST(s.size() == 0u);
  BOOST_TEST(s.is_inline());
  BOOST_TEST((s.begin() == s.end()));
  BOOST_TEST(s.count("a") == 0u);
  BOOST_TEST(s.erase("a") == 0u);
  // The size the group index's per-entry cost is built on (64-bit).
  if (sizeof(void*) == 8)
    BOOST_TEST(sizeof(view_set) == 40u);
}

BOOST_AUTO_TEST_CASE(two_views_stay_inline_and_duplicates_are_rejected) {
  view_set s;
  BOOST_TEST(s.insert("a"));
  BOOST_TEST(s.insert("b"));
  BOOST_TEST(!s.insert("a"));
  BOOST_TEST(!s.insert(std::string("b")));
  BOOST_TEST(s.size() == 2u);
  BOOST_TEST(s.is_inline());
  BOOST_TEST(s.capacity() == view_set::inline_capacity);
  BOOST_TEST(s.contains("a"));
  BOOST_TEST(s.count("b") == 1u);
  BOOST_TEST(s.count("c") == 0u);
  BOOST_TEST(sorted(s) == (names{"a", "b"}));
  BOOST_TEST(s.erase("a") == 1u);
  BOOST_TEST(s.erase("a") == 0u);
  BOOST_TEST(sorted(s) == (names{"b"}));
}

BOOST_AUTO_TEST_CASE(a_third_view_switches_to_a_table_and_erasing_goes_back) {
  view_set s{"a", "b"};
  BOOST_TEST(s.insert("c"));
  BOOST_TEST(!s.is_inline());
  BOOST_TEST(s.capacity() == view_set::min_table_capacity);
  BOOST_TEST(sorted(s) == (names{"a", "b", "c"}));
  BOOST_TEST(visited(s) == 3u);
  BOOST_TEST(!s.insert("c"));
  BOOST_TEST(s.erase("b") == 1u);
  BOOST_TEST(s.is_inline());
  BOOST_TEST(sorted(s) == (names{"a", "c"}));
  BOOST_TEST(s.insert("d"));
  BOOST_TEST(!s.is_inline());
  BOOST_TEST(sorted(s) == (names{"a", "c", "d"}));
}

BOOST_AUTO_TEST_CASE(the_initializer_list_collapses_duplicates) {
  std::string a = "a";
  std::string other_a = "a";
  view_set s{a, "b", other_a, "c", "b"};
  BOOST_TEST(s.size() == 3u);
  BOOST_TEST(sorted(s) == (names{"a", "b", "c"}));
  view_set none{};
  BOOST_TEST(none.empty());
}

BOOST_AUTO_TEST_CASE(the_set_stores_the_views_not_copies) {
  std::string a = "same";
  std::string b = "same";
  view_set s;
  s.insert(a);
  BOOST_TEST(!s.insert(b)); // equal by content
  BOOST_TEST(s.count(b) == 1u);
  BOOST_TEST((s.begin()->data() == a.data()));
  for (int i = 0; i < 10; ++i)
    s.insert(std::string_view{"xxxxxxxxxx"}.substr(0, i)); // forces a table
  bool found = false;
  for (auto v : s)
    if (v == "same")
      found = v.data() == a.data();
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(empty_views_are_ordinary_members) {
  for (size_t extra : {0u, 5u}) {
    auto keys = make_keys(extra);
    view_set s;
    for (auto& k : keys)
      s.insert(k);
    BOOST_TEST(s.insert(std::string_view{})); // null data, size 0
    BOOST_TEST(!s.insert(""));                // equal content: duplicate
    BOOST_TEST(s.count("") == 1u);
    BOOST_TEST(s.size() == extra + 1);
    BOOST_TEST(visited(s) == extra + 1);
    BOOST_TEST(s.erase("") == 1u);
    BOOST_TEST(s.count(std::string_view{}) == 0u);
    BOOST_TEST(s.size() == extra);
  }
}

BOOST_AUTO_TEST_CASE(a_large_set_grows_finds_everything_and_shrinks) {
  auto keys = make_keys(10000);
  view_set s;
  for (auto& k : keys)
    BOOST_TEST_REQUIRE(s.insert(k));
  BOOST_TEST(s.size() == keys.size());
  BOOST_TEST(visited(s) == keys.size());
  // Load stays at most 3/4: 10000 views fit 16384 slots.
  BOOST_TEST(s.capacity() == 16384u);
  for (auto& k : keys)
    BOOST_TEST_REQUIRE(s.count(k) == 1u);
  BOOST_TEST(s.count("k10000") == 0u);
  BOOST_TEST(s.count("k") == 0u);
  for (size_t i = 0; i < keys.size(); i += 2)
    BOOST_TEST_REQUIRE(s.erase(keys[i]) == 1u);
  BOOST_TEST(s.size() == 5000u);
  for (size_t i = 0; i < keys.size(); ++i)
    BOOST_TEST_REQUIRE(s.count(keys[i]) == i % 2);
  // Down to a few hundred: the table shrinks instead of staying at 16384.
  for (size_t i = 1; i < 9000; i += 2)
    s.erase(keys[i]);
  BOOST_TEST(s.size() == 500u);
  BOOST_TEST(s.capacity() < 16384u);
  BOOST_TEST(s.capacity() >= 2 * s.size());
  std::set<std::string> expected;
  for (size_t i = 9001; i < keys.size(); i += 2)
    expected.insert(keys[i]);
  BOOST_TEST((sorted(s) == expected));
  for (size_t i = 9001; i < keys.size() - 4; i += 2)
    s.erase(keys[i]);
  BOOST_TEST(s.is_inline());
  BOOST_TEST(sorted(s) == (names{keys[9997], keys[9999]}));
}

BOOST_AUTO_TEST_CASE(copies_and_moves_are_independent) {
  auto keys = make_keys(20);
  for (size_t n : {1u, 2u, 20u}) {
    view_set s;
    for (size_t i = 0; i < n; ++i)
      s.insert(keys[i]);
    view_set copy{s};
    BOOST_TEST(sorted(copy) == sorted(s));
    copy.erase(keys[0]);
    BOOST_TEST(s.count(keys[0]) == 1u);
    BOOST_TEST(copy.size() == n - 1);
    view_set assigned;
    assigned.insert("z");
    assigned = s;
    BOOST_TEST(sorted(assigned) == sorted(s));
    auto& self = assigned;
    assigned = self;
    BOOST_TEST(assigned.size() == n);
    view_set moved{std::move(s)};
    BOOST_TEST(moved.size() == n);
    BOOST_TEST(s.empty()); // NOLINT(bugprone-use-after-move): documented
    s.insert("again");
    BOOST_TEST(sorted(s) == (names{"again"}));
    assigned = std::move(moved);
    BOOST_TEST(assigned.size() == n);
    BOOST_TEST(assigned.count(keys[n - 1]) == 1u);
    assigned.clear();
    BOOST_TEST(assigned.empty());
    BOOST_TEST(assigned.is_inline());
  }
}

BOOST_AUTO_TEST_CASE(random_operations_match_std_unordered_set) {
  // Few distinct keys so that sets cross the inline/table boundary and the
  // table grows and shrinks many times; backward-shift deletion runs on
  // wrapped probe runs in the small tables.
  auto keys = make_keys(300);
  std::mt19937 rng{12345};
  view_set s;
  std::unordered_set<std::string_view> ref;
  for (int round = 0; round < 40; ++round) {
    // Alternate phases that favour growth and shrinkage.
    int insert_percent = round % 2 == 0 ? 70 : 30;
    size_t span = round % 4 < 2 ? 6 : keys.size();
    for (int op = 0; op < 1000; ++op) {
      auto k = std::string_view{keys[rng() % span]};
      auto dice = static_cast<int>(rng() % 100);
      if (dice < insert_percent)
        BOOST_TEST_REQUIRE(s.insert(k) == ref.insert(k).second);
      else
        BOOST_TEST_REQUIRE(s.erase(k) == ref.erase(k));
      BOOST_TEST_REQUIRE(s.size() == ref.size());
      BOOST_TEST_REQUIRE(s.contains(k) == (ref.count(k) == 1));
    }
    BOOST_TEST_REQUIRE(visited(s) == ref.size());
    for (auto v : s)
      BOOST_TEST_REQUIRE(ref.count(v) == 1u);
    for (auto& k : keys)
      BOOST_TEST_REQUIRE(s.count(k) == ref.count(k));
    BOOST_TEST_REQUIRE(s.is_inline() == (s.size() <= view_set::inline_capacity));
  }
}

BOOST_AUTO_TEST_SUITE_END()
