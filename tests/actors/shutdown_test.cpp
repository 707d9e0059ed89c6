// Tests for actors/shutdown.hpp with a real actor system: stop_and_await
// ends actors and waits for exactly the ones it was given.
#include "actors/shutdown.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <chrono>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// Actors get spawn arguments: CAF 0.17 trips UBSan when a function actor
// is spawned without any (see tick_wheel_test.cpp).

caf::behavior idle(caf::event_based_actor*, int) {
  return {[](int) {}};
}

/// Ignores exit messages: only a kill ends it.
caf::behavior stubborn(caf::event_based_actor* self, int) {
  self->set_exit_handler([self](caf::exit_msg& m) {
    if (m.reason == caf::exit_reason::kill)
      self->quit(m.reason);
  });
  return {[](int) {}};
}

struct shutdown_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
};

} // namespace

BOOST_AUTO_TEST_SUITE(shutdown_test)

BOOST_FIXTURE_TEST_CASE(ends_every_actor_and_skips_duplicates_and_the_dead,
                        shutdown_fixture) {
  std::vector<caf::actor> actors;
  for (int i = 0; i < 50; ++i)
    actors.push_back(sys.spawn(idle, i));
  actors.push_back(actors.front()); // a duplicate handle
  auto dead = sys.spawn(idle, 0);
  caf::anon_send_exit(dead, caf::exit_reason::user_shutdown);
  actors.push_back(dead);
  actors.push_back(caf::actor{}); // an invalid handle
  caf::scoped_actor waiter{sys};
  // An earlier monitor of the same actor must not end the wait early.
  waiter->monitor(actors[1]);
  BOOST_TEST(sio::stop_and_await(waiter, actors, clock_type::now() + 10s));
  for (auto& a : actors)
    if (a)
      BOOST_TEST(a->getf(caf::abstract_actor::is_terminated_flag));
}

BOOST_FIXTURE_TEST_CASE(gives_up_at_the_deadline_on_an_actor_that_stays,
                        shutdown_fixture) {
  auto staying = sys.spawn(stubborn, 0);
  auto going = sys.spawn(idle, 0);
  caf::scoped_actor waiter{sys};
  auto start = clock_type::now();
  BOOST_TEST(!sio::stop_and_await(waiter, {staying, going}, start + 300ms));
  BOOST_TEST((clock_type::now() - start >= 290ms)); // CAF timers: ms granularity
  BOOST_TEST(going->getf(caf::abstract_actor::is_terminated_flag));
  caf::anon_send_exit(staying, caf::exit_reason::kill);
}

BOOST_AUTO_TEST_SUITE_END()
