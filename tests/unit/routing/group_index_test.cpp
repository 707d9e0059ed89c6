#include "lib/routing/group_index.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

using namespace sio::routing;

namespace {

template <class Set>
std::set<std::string> sorted(const Set* s) {
  std::set<std::string> out;
  if (s)
    for (auto v : *s)
      out.emplace(v);
  return out;
}

std::set<std::string> sorted(std::vector<std::string> v) {
  return {v.begin(), v.end()};
}

using names = std::set<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(group_index_test)

BOOST_AUTO_TEST_CASE(join_indexes_both_directions) {
  group_index idx;
  BOOST_TEST(idx.join("c1", "0~Lw~"));
  BOOST_TEST(idx.join("c1", "0~Lw~czE"));
  BOOST_TEST(idx.join("c2", "0~Lw~"));
  BOOST_TEST(!idx.join("c1", "0~Lw~"));
  BOOST_TEST(idx.group_count() == 2u);
  BOOST_TEST(idx.connection_count() == 2u);
  BOOST_TEST(sorted(idx.members("0~Lw~")) == (names{"c1", "c2"}));
  BOOST_TEST(sorted(idx.members("0~Lw~czE")) == (names{"c1"}));
  BOOST_TEST(sorted(idx.groups_of("c1")) == (names{"0~Lw~", "0~Lw~czE"}));
  BOOST_TEST(idx.contains("0~Lw~", "c2"));
  BOOST_TEST(!idx.contains("0~Lw~czE", "c2"));
  BOOST_TEST(!idx.contains("nope", "c1"));
  BOOST_TEST(idx.members("nope") == nullptr);
  BOOST_TEST(idx.groups_of("c3") == nullptr);
}

BOOST_AUTO_TEST_CASE(leave_erases_empty_groups_and_connections) {
  group_index idx;
  idx.join("c1", "g");
  idx.join("c2", "g");
  BOOST_TEST(idx.leave("c1", "g"));
  BOOST_TEST(!idx.leave("c1", "g"));
  BOOST_TEST(!idx.leave("c9", "g"));
  BOOST_TEST(!idx.leave("c2", "other"));
  BOOST_TEST(idx.groups_of("c1") == nullptr);
  BOOST_TEST(idx.connection_count() == 1u);
  BOOST_TEST(idx.leave("c2", "g"));
  BOOST_TEST(idx.members("g") == nullptr);
  BOOST_TEST(idx.group_count() == 0u);
  BOOST_TEST(idx.connection_count() == 0u);
}

BOOST_AUTO_TEST_CASE(leave_all_returns_every_group_left) {
  group_index idx;
  idx.join("c1", "0~Lw~");
  idx.join("c1", "0~L25z~");
  idx.join("c1", "0~L25z~cm0");
  idx.join("c2", "0~L25z~cm0");
  BOOST_TEST(sorted(idx.leave_all("c1"))
             == (names{"0~Lw~", "0~L25z~", "0~L25z~cm0"}));
  BOOST_TEST(idx.groups_of("c1") == nullptr);
  BOOST_TEST(idx.group_count() == 1u);
  BOOST_TEST(sorted(idx.members("0~L25z~cm0")) == (names{"c2"}));
  BOOST_TEST(idx.leave_all("c1").empty());
}

BOOST_AUTO_TEST_CASE(leave_prefix_only_leaves_that_namespace) {
  group_index idx;
  idx.join("c1", "0~Lw~");
  idx.join("c1", "0~Lw~czE");
  idx.join("c1", "0~L25z~");
  idx.join("c1", "0~L25z~c29ja2V0MQ");
  idx.join("c1", "0~L25z~cm0");
  idx.join("c2", "0~L25z~cm0");
  auto left = idx.leave_prefix("c1", "0~L25z~");
  BOOST_TEST(sorted(left)
             == (names{"0~L25z~", "0~L25z~c29ja2V0MQ", "0~L25z~cm0"}));
  BOOST_TEST(sorted(idx.groups_of("c1")) == (names{"0~Lw~", "0~Lw~czE"}));
  BOOST_TEST(sorted(idx.members("0~L25z~cm0")) == (names{"c2"}));
  BOOST_TEST(idx.members("0~L25z~") == nullptr);
  BOOST_TEST(sorted(idx.leave_prefix("c1", "0~Lw~")) == (names{"0~Lw~", "0~Lw~czE"}));
  BOOST_TEST(idx.connection_count() == 1u);
}

BOOST_AUTO_TEST_CASE(views_stay_valid_when_the_index_grows) {
  group_index idx;
  idx.join("first", "g0");
  const members_set* m = idx.members("g0");
  for (int i = 0; i < 2000; ++i)
    idx.join("c" + std::to_string(i), "g" + std::to_string(i % 37));
  BOOST_TEST(idx.members("g0") == m);
  BOOST_TEST(m->count("first") == 1u);
  BOOST_TEST(idx.group_count() == 37u);
  BOOST_TEST(idx.connection_count() == 2001u);
  for (int i = 0; i < 2000; ++i)
    BOOST_TEST_REQUIRE(idx.contains("g" + std::to_string(i % 37),
                                    "c" + std::to_string(i)));
  for (int i = 0; i < 2000; ++i)
    idx.leave_all("c" + std::to_string(i));
  BOOST_TEST(idx.group_count() == 1u);
  BOOST_TEST(sorted(idx.members("g0")) == (names{"first"}));
}

BOOST_AUTO_TEST_CASE(ids_that_share_prefixes_are_not_confused) {
  group_index idx;
  idx.join("c", "g");
  idx.join("c1", "g1");
  idx.join("c1", "g");
  BOOST_TEST(sorted(idx.members("g")) == (names{"c", "c1"}));
  BOOST_TEST(sorted(idx.leave_prefix("c1", "g")) == (names{"g", "g1"}));
  BOOST_TEST(sorted(idx.members("g")) == (names{"c"}));
}

BOOST_AUTO_TEST_SUITE_END()
