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

BOOST_AUTO_TEST_CASE(benchmark_shape_namespace_plus_own_room) {
  // Every connection in the namespace group and its own one-member room:
  // the small sides stay inline, the namespace becomes a table.
  group_index idx;
  const size_t n = 3000;
  auto conn = [](size_t i) { return "conn-" + std::to_string(i); };
  auto room = [](size_t i) { return "0~Lw~" + std::to_string(i); };
  for (size_t i = 0; i < n; ++i) {
    BOOST_TEST_REQUIRE(idx.join(conn(i), "0~Lw~"));
    BOOST_TEST_REQUIRE(idx.join(conn(i), room(i)));
  }
  BOOST_TEST(idx.group_count() == n + 1);
  BOOST_TEST(idx.connection_count() == n);
  const members_set* all = idx.members("0~Lw~");
  BOOST_TEST_REQUIRE(all != nullptr);
  BOOST_TEST(all->size() == n);
  BOOST_TEST(!all->is_inline());
  size_t seen = 0;
  for (auto id : *all) {
    BOOST_TEST_REQUIRE(id.substr(0, 5) == "conn-");
    ++seen;
  }
  BOOST_TEST(seen == n);
  for (size_t i = 0; i < n; i += 97) {
    auto* own = idx.members(room(i));
    BOOST_TEST_REQUIRE(own != nullptr);
    BOOST_TEST(own->is_inline());
    BOOST_TEST(sorted(own) == (names{conn(i)}));
    // Interned once: the room and the namespace view the same bytes.
    std::string_view in_room = *own->begin();
    bool same_bytes = false;
    for (auto id : *all)
      if (id == in_room)
        same_bytes = id.data() == in_room.data();
    BOOST_TEST(same_bytes);
    auto* gs = idx.groups_of(conn(i));
    BOOST_TEST_REQUIRE(gs != nullptr);
    BOOST_TEST(gs->is_inline());
    BOOST_TEST(sorted(gs) == (names{"0~Lw~", room(i)}));
  }
  // Leaving the namespace one by one keeps the group consistent down to a
  // single member, inline again, and finally gone.
  for (size_t i = 0; i + 1 < n; ++i)
    BOOST_TEST_REQUIRE(idx.leave(conn(i), "0~Lw~"));
  BOOST_TEST(idx.members("0~Lw~") == all);
  BOOST_TEST(all->is_inline());
  BOOST_TEST(sorted(all) == (names{conn(n - 1)}));
  BOOST_TEST(sorted(idx.groups_of(conn(0))) == (names{room(0)}));
  for (size_t i = 0; i < n; ++i)
    BOOST_TEST_REQUIRE(idx.leave_all(conn(i)).size() == (i + 1 < n ? 1u : 2u));
  BOOST_TEST(idx.group_count() == 0u);
  BOOST_TEST(idx.connection_count() == 0u);
}

BOOST_AUTO_TEST_CASE(member_views_survive_growth_of_both_maps) {
  group_index idx;
  idx.join("keep", "room");
  std::string_view id = *idx.members("room")->begin();
  std::string_view group = *idx.groups_of("keep")->begin();
  for (int i = 0; i < 5000; ++i) {
    idx.join("c" + std::to_string(i), "g" + std::to_string(i));
    idx.join("c" + std::to_string(i), "room");
  }
  // Same bytes, still readable (ASan would flag freed memory).
  BOOST_TEST((idx.groups_of("keep")->begin()->data() == group.data()));
  BOOST_TEST(id == "keep");
  BOOST_TEST(group == "room");
  BOOST_TEST(idx.members("room")->count(id) == 1u);
  for (int i = 0; i < 5000; ++i)
    idx.leave_all("c" + std::to_string(i));
  BOOST_TEST(sorted(idx.members("room")) == (names{"keep"}));
  BOOST_TEST((idx.members("room")->begin()->data() == id.data()));
}

BOOST_AUTO_TEST_CASE(a_connection_in_many_groups) {
  group_index idx;
  names all;
  for (int i = 0; i < 50; ++i) {
    auto g = (i % 2 ? "0~L25z~" : "0~Lw~") + std::to_string(i);
    BOOST_TEST_REQUIRE(idx.join("c", g));
    BOOST_TEST_REQUIRE(!idx.join("c", g));
    all.insert(g);
  }
  BOOST_TEST(!idx.groups_of("c")->is_inline());
  BOOST_TEST(sorted(idx.groups_of("c")) == all);
  BOOST_TEST(idx.leave_prefix("c", "0~L25z~").size() == 25u);
  BOOST_TEST(idx.groups_of("c")->size() == 25u);
  for (auto& g : all)
    BOOST_TEST_REQUIRE(idx.contains(g, "c") == (g.rfind("0~Lw~", 0) == 0));
  BOOST_TEST(idx.leave_all("c").size() == 25u);
  BOOST_TEST(idx.group_count() == 0u);
}

BOOST_AUTO_TEST_CASE(empty_ids_and_names_are_indexed_like_others) {
  group_index idx;
  BOOST_TEST(idx.join("", ""));
  BOOST_TEST(idx.join("", "g"));
  BOOST_TEST(idx.join("c", ""));
  BOOST_TEST(!idx.join("", ""));
  BOOST_TEST(sorted(idx.members("")) == (names{"", "c"}));
  BOOST_TEST(sorted(idx.groups_of("")) == (names{"", "g"}));
  BOOST_TEST(idx.contains("", ""));
  BOOST_TEST(idx.leave("", ""));
  BOOST_TEST(!idx.contains("", ""));
  BOOST_TEST(sorted(idx.leave_all("")) == (names{"g"}));
  BOOST_TEST(sorted(idx.leave_all("c")) == (names{""}));
  BOOST_TEST(idx.group_count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
