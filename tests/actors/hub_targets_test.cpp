// The hub's targets with extra_groups (a union, each connection once) and
// excluded_groups (members of any are skipped), for the commands that
// answer (list, exists, membership) and for close, on a real service with
// polling sessions.
#include "tests/actors/service_fixture.hpp"

#include "actors/interfaces.hpp"
#include "lib/routing/group_name.hpp"

#include <sio/emitter.hpp>

#include <algorithm>
#include <future>
#include <map>
#include <regex>
#include <set>

using namespace std::chrono_literals;

namespace {

/// Accepts every socket and tells `observer` of connects (the fixture
/// waits for them).
sio::event_handler_actor::behavior_type accepting_handler(sio::event_handler_actor::pointer,
                                                          caf::actor observer) {
  return {
    [observer](const sio::connect_event& ev) {
      caf::anon_send(observer, ev);
      return sio::connect_verdict::accept();
    },
    [observer](const sio::connected_event& ev) { caf::anon_send(observer, ev); },
    [](const sio::disconnected_event&) {},
    [](const sio::message_event&) { return sio::message_reply{}; },
  };
}

struct fixture : sio_test::service_fixture {
  fixture()
    : service_fixture([](sio::service& svc, caf::actor obs) {
        svc.set_handler("test", [obs](caf::actor_system& s, sio::hub_actor) {
          return s.spawn(accepting_handler, obs);
        });
      }) {}

  sio::hub_actor hub() { return svc->hub("test"); }

  template <class Reply, class Query>
  Reply ask(Query q) {
    Reply out{};
    (*observer)->request(hub(), 5s, std::move(q))
      .receive([&](Reply& r) { out = std::move(r); },
               [](caf::error&) { BOOST_FAIL("hub did not answer"); });
    return out;
  }

  std::set<std::string> list(sio::target to) {
    std::set<std::string> out;
    for (auto& c : ask<std::vector<sio::connection_info>>(sio::list_query{std::move(to), 100}))
      out.insert(c.connection_id);
    return out;
  }

  void join(const std::string& sid, std::vector<std::string> groups) {
    BOOST_TEST(ask<uint64_t>(sio::membership_command{sio::target::connection(sid),
                                                      std::move(groups), true})
               == 1u);
  }
};

sio::target groups(std::string first, std::vector<std::string> extra,
                   std::vector<std::string> excluded = {}) {
  auto t = sio::target::group(std::move(first));
  t.extra_groups = std::move(extra);
  t.excluded_groups = std::move(excluded);
  return t;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(hub_targets, fixture)

BOOST_AUTO_TEST_CASE(unions_and_exclusions_of_groups) {
  auto s1 = connected_session(), s2 = connected_session(), s3 = connected_session(),
       s4 = connected_session();
  join(s1, {"g1"});
  join(s2, {"g1", "g2"});
  join(s3, {"g2", "g3"});
  join(s4, {"g3"});
  using set = std::set<std::string>;

  // A union lists each connection once.
  auto both = ask<std::vector<sio::connection_info>>(
    sio::list_query{groups("g1", {"g2"}), 100});
  BOOST_TEST(both.size() == 3u);
  BOOST_TEST((list(groups("g1", {"g2"})) == set{s1, s2, s3}));
  BOOST_TEST((list(groups("g1", {"g2", "g3", "g1"})) == set{s1, s2, s3, s4}));
  BOOST_TEST((list(groups("g1", {"g2"}, {"g3"})) == set{s1, s2}));
  BOOST_TEST((list(groups("g1", {"nobody"})) == set{s1, s2}));
  // Exclusions apply to the plain routes too.
  auto all_but = sio::target::all();
  all_but.excluded_groups = {"g1"};
  BOOST_TEST((list(all_but) == set{s3, s4}));
  all_but.excluded_groups = {"g1", "g3"};
  BOOST_TEST(list(all_but).empty());
  BOOST_TEST((list(groups("g2", {}, {"g1"})) == set{s3}));
  auto one = sio::target::connection(s2);
  one.excluded_groups = {"g2"};
  BOOST_TEST(list(one).empty());
  // Ids and groups excluded together.
  auto mixed = groups("g1", {"g3"}, {"g2"});
  mixed.excluded = {s4};
  BOOST_TEST((list(mixed) == set{s1}));

  BOOST_TEST(!ask<bool>(sio::exists_query{groups("g1", {"g2"}, {"g1", "g2"})}));
  BOOST_TEST(ask<bool>(sio::exists_query{groups("g1", {"g2"}, {"g1"})}));

  // Membership: each connection of the union once, exclusions skipped.
  BOOST_TEST(ask<uint64_t>(sio::membership_command{groups("g1", {"g2"}, {"g3"}), {"g4"}, true})
             == 2u);
  BOOST_TEST((list(sio::target::group("g4")) == set{s1, s2}));

  // Close: the union of g3 and g1 but not g2's members.
  caf::anon_send(hub(), sio::close_command{groups("g3", {"g1"}, {"g2"}), "test close"});
  auto left = list(sio::target::all());
  for (int i = 0; i < 100 && left.size() != 2; ++i) {
    std::this_thread::sleep_for(20ms);
    left = list(sio::target::all());
  }
  BOOST_TEST((left == set{s2, s3}));
}

// sockets_query (a Node.js adapter peer's fetchSockets): the sockets of a
// namespace, their decoded rooms (own id first, plain groups left out),
// filtered by rooms and except.
BOOST_AUTO_TEST_CASE(sockets_query_lists_sockets_with_rooms) {
  auto s1 = connected_session(), s2 = connected_session();
  auto full = caf::actor_cast<sio::hub_full_actor>(hub());
  auto query = [&](std::string nsp, std::vector<std::string> rooms,
                   std::vector<std::string> except) {
    std::map<std::string, sio::socket_facts> by_connection;
    (*observer)->request(full, 5s, sio::sockets_query{nsp, rooms, except})
      .receive(
        [&](sio::sockets_answer& a) {
          for (auto& s : a.sockets)
            by_connection[s.connection_id] = std::move(s);
        },
        [](caf::error&) { BOOST_FAIL("hub did not answer"); });
    return by_connection;
  };
  auto all = query("/", {}, {});
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  auto id1 = all[s1].socket_id, id2 = all[s2].socket_id;
  BOOST_TEST(!id1.empty());
  BOOST_TEST(id1 != id2);
  BOOST_TEST((all[s1].rooms == std::vector<std::string>{id1}));
  BOOST_TEST(!all[s1].handshake); // kept in a cluster only

  join(s1, {sio::routing::room_group("/", "red"), "plain",
            sio::routing::room_group("/admin", "red")});
  auto red = query("/", {"red"}, {});
  BOOST_REQUIRE_EQUAL(red.size(), 1u);
  BOOST_TEST((red[s1].rooms == std::vector<std::string>{id1, "red"}));
  BOOST_TEST((query("/", {}, {"red"}).count(s2) == 1u));
  BOOST_TEST((query("/", {}, {"red"}).size() == 1u));
  BOOST_TEST((query("/", {id2, "red"}, {}).size() == 2u));
  BOOST_TEST((query("/", {id2, "red"}, {id1}).size() == 1u));
  // A room group of a namespace the connection has no socket in: no socket.
  BOOST_TEST(query("/admin", {}, {}).empty());
  BOOST_TEST(query("/admin", {"red"}, {}).empty());
}

BOOST_AUTO_TEST_CASE(an_acked_send_collects_each_sockets_answer_in_process) {
  auto s1 = connected_session(), s2 = connected_session();
  auto cmd = sio::emitter{hub()}.with_acks(1500ms, "q", sio::args{1});
  // s1 answers its own ack id; s2 stays silent; s1 also forges s2's id.
  auto client = std::async(std::launch::async, [&] {
    std::smatch m, m2;
    auto got1 = poll_for(s1, "[\"q\",1]");
    auto got2 = poll_for(s2, "[\"q\",1]");
    std::regex ack_id{"42(\\d+)\\[\"q\",1\\]"};
    if (!std::regex_search(got1, m, ack_id) || !std::regex_search(got2, m2, ack_id))
      return got1 + " | " + got2;
    post(s1, "43" + m2[1].str() + "[\"forged\"]");
    post(s1, "43" + m[1].str() + "[\"yes\",{\"n\":2}]");
    return std::string{};
  });
  sio::ack_result r;
  (*observer)->request(hub(), 5s, std::move(cmd))
    .receive([&](sio::ack_result& x) { r = std::move(x); },
             [](caf::error&) { BOOST_FAIL("hub did not answer"); });
  BOOST_TEST(client.get() == "");
  BOOST_TEST(r.refused.empty());
  BOOST_REQUIRE_EQUAL(r.acks.size(), 1u);
  BOOST_TEST(r.acks[0].connection_id == s1);
  BOOST_TEST(r.acks[0].args == "[\"yes\",{\"n\":2}]");
  BOOST_TEST(!r.acks[0].socket_id.empty());
  BOOST_REQUIRE_EQUAL(r.timed_out.size(), 1u);
  BOOST_TEST(r.timed_out[0].connection_id == s2);
  BOOST_TEST(r.timed_out[0].reason == "");
}

BOOST_AUTO_TEST_SUITE_END()
