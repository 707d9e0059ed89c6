// Tests for actors/tick_wheel.hpp with a real actor system: wake-ups come
// never early, in due order, once each, and the shared message arrives
// intact at many actors; a cancelled actor's wake-ups and pointers go long
// before they are due.
#include "actors/tick_wheel.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// Actors get their state as spawn arguments, not captures: CAF 0.17 trips
// UBSan when a function actor is spawned without arguments.

caf::behavior counting(caf::event_based_actor* self, std::atomic<int>* got) {
  return {[self, got](const std::string& s, int n) {
    if (s == "tick" && n == 7)
      ++*got;
    self->quit();
  }};
}

caf::behavior quitting(caf::event_based_actor* self, int) {
  self->quit();
  return {[](int) {}};
}

caf::behavior idle(caf::event_based_actor*, int) {
  return {[](int) {}};
}

/// Polls `done` every 10 ms for up to `limit`; its last answer.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit) {
  auto until = clock_type::now() + limit;
  while (!done() && clock_type::now() < until)
    std::this_thread::sleep_for(10ms);
  return done();
}

struct wheel_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  sio::tick_wheel wheel{10ms, caf::make_message(std::string{"tick"}, 7)};

  /// The next tick to `self`, or nullopt after `limit`.
  std::optional<clock_type::time_point> next_tick(std::chrono::milliseconds limit) {
    std::optional<clock_type::time_point> at;
    self->receive([&](const std::string& s, int n) {
                    BOOST_CHECK_EQUAL(s, "tick");
                    BOOST_CHECK_EQUAL(n, 7);
                    at = clock_type::now();
                  },
                  caf::after(limit) >> [] {});
    return at;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(tick_wheel, wheel_fixture)

BOOST_AUTO_TEST_CASE(a_wake_up_comes_at_its_time_never_early) {
  auto due = clock_type::now() + 80ms;
  wheel.wake_at(due, caf::actor_cast<caf::strong_actor_ptr>(self));
  BOOST_CHECK_EQUAL(wheel.pending(), 1u);
  auto at = next_tick(3s);
  BOOST_REQUIRE(at);
  BOOST_CHECK(*at >= due);
  BOOST_CHECK(*at < due + 1s); // generous: a loaded sanitizer run
  BOOST_CHECK_EQUAL(wheel.pending(), 0u);
  BOOST_CHECK(!next_tick(100ms)); // once
}

BOOST_AUTO_TEST_CASE(wake_ups_come_in_due_order_whatever_the_order_asked) {
  auto now = clock_type::now();
  auto me = caf::actor_cast<caf::strong_actor_ptr>(self);
  wheel.wake_at(now + 150ms, me);
  wheel.wake_at(now + 50ms, me); // earlier than everything pending
  wheel.wake_at(now - 1s, me);   // already due: at once
  auto first = next_tick(3s);
  auto second = next_tick(3s);
  auto third = next_tick(3s);
  BOOST_REQUIRE(first && second && third);
  BOOST_CHECK(*second >= now + 50ms);
  BOOST_CHECK(*third >= now + 150ms);
  BOOST_CHECK(*first <= *second && *second <= *third);
}

BOOST_AUTO_TEST_CASE(one_message_reaches_many_actors) {
  std::atomic<int> got{0};
  std::vector<caf::actor> actors;
  for (int i = 0; i < 200; ++i)
    actors.push_back(sys.spawn(counting, &got));
  auto due = clock_type::now() + 30ms;
  for (auto& a : actors)
    wheel.wake_at(due, caf::actor_cast<caf::strong_actor_ptr>(a));
  for (int i = 0; i < 300 && got < 200; ++i)
    std::this_thread::sleep_for(10ms);
  BOOST_CHECK_EQUAL(got.load(), 200);
  BOOST_CHECK_EQUAL(wheel.pending(), 0u);
  for (auto& a : actors) // any that missed its tick must not outlive `got`
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(a_wake_up_for_an_ended_actor_is_dropped_quietly) {
  auto gone = sys.spawn(quitting, 0);
  wheel.wake_at(clock_type::now(), caf::actor_cast<caf::strong_actor_ptr>(gone));
  wheel.wake_at(clock_type::now() + 20ms, caf::actor_cast<caf::strong_actor_ptr>(self));
  BOOST_CHECK(next_tick(3s)); // the wheel went on past the ended actor
}

BOOST_AUTO_TEST_CASE(stop_drops_what_is_pending_and_ignores_later_requests) {
  auto me = caf::actor_cast<caf::strong_actor_ptr>(self);
  wheel.wake_at(clock_type::now() + 50ms, me);
  wheel.stop();
  BOOST_CHECK_EQUAL(wheel.pending(), 0u);
  wheel.wake_at(clock_type::now(), me);
  BOOST_CHECK_EQUAL(wheel.pending(), 0u);
  BOOST_CHECK(!next_tick(200ms));
  wheel.stop(); // again: nothing happens
}

BOOST_AUTO_TEST_CASE(cancel_drops_an_ended_actors_wake_ups_and_its_memory) {
  auto me = caf::actor_cast<caf::strong_actor_ptr>(self);
  wheel.wake_at(clock_type::now() + 60s, me);
  caf::weak_actor_ptr watched;
  {
    auto a = sys.spawn(idle, 0);
    auto ptr = caf::actor_cast<caf::strong_actor_ptr>(a);
    watched = caf::actor_cast<caf::weak_actor_ptr>(a);
    wheel.wake_at(clock_type::now() + 60s, ptr);
    wheel.wake_at(clock_type::now() + 30s, ptr);
    BOOST_CHECK_EQUAL(wheel.pending(), 3u);
    wheel.cancel(ptr);
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  // Gone in a pass well before the minute: the wheel held the last pointers.
  BOOST_CHECK(eventually([&] { return wheel.pending() == 1u; }, 3s));
  BOOST_CHECK(eventually([&] { return watched.lock() == nullptr; }, 3s));
  // Another actor's wake-up stays.
  BOOST_CHECK(!next_tick(50ms));
  BOOST_CHECK_EQUAL(wheel.pending(), 1u);
}

BOOST_AUTO_TEST_CASE(a_few_cancellations_among_many_go_within_a_second) {
  std::vector<caf::actor> actors;
  for (int i = 0; i < 100; ++i)
    actors.push_back(sys.spawn(idle, 0));
  for (auto& a : actors)
    wheel.wake_at(clock_type::now() + 60s, caf::actor_cast<caf::strong_actor_ptr>(a));
  // 2 of 100: below the share that starts a pass at once.
  auto start = clock_type::now();
  wheel.cancel(caf::actor_cast<caf::strong_actor_ptr>(actors[3]));
  wheel.cancel(caf::actor_cast<caf::strong_actor_ptr>(actors[70]));
  BOOST_CHECK(eventually([&] { return wheel.pending() == 98u; }, 5s));
  BOOST_CHECK(clock_type::now() - start < 3s); // 1 s, plus a loaded machine
  // Cancelling most of them goes at once.
  for (int i = 0; i < 60; ++i)
    wheel.cancel(caf::actor_cast<caf::strong_actor_ptr>(actors[10 + i]));
  BOOST_CHECK(eventually([&] { return wheel.pending() == 38u; }, 5s));
  for (auto& a : actors)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(cancel_after_stop_is_ignored) {
  auto a = sys.spawn(idle, 0);
  wheel.stop();
  wheel.cancel(caf::actor_cast<caf::strong_actor_ptr>(a));
  BOOST_CHECK_EQUAL(wheel.pending(), 0u);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
