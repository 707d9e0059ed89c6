// Tests for actors/asio_scheduler.hpp: actors run on the io_context's
// threads, next to its I/O handlers; requests, delayed messages, detached
// and blocking actors work as on CAF's own schedulers; a system with work
// still queued shuts down without leaking it (LeakSanitizer in scripts/test).
#include "actors/asio_scheduler.hpp"

#include <boost/test/unit_test.hpp>

#include <asio/post.hpp>
#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// Actors get spawn arguments: CAF 0.17 trips UBSan when a function actor
// is spawned without any (see tick_wheel_test.cpp).

/// Answers every int with the id of the thread it runs on.
caf::behavior where_am_i(caf::event_based_actor*, int) {
  return {[](int) { return std::hash<std::thread::id>{}(std::this_thread::get_id()); }};
}

/// Tells `to` the id of the thread it runs on, for every int.
caf::behavior reporter(caf::event_based_actor* self, caf::actor to) {
  return {[self, to](int) {
    self->send(to, std::hash<std::thread::id>{}(std::this_thread::get_id()));
  }};
}

/// Forwards n to `next` as a request and answers with the reply + 1; the
/// last one in the chain answers 0.
caf::behavior relay(caf::event_based_actor* self, caf::actor next) {
  return {[self, next](int n) -> caf::result<int> {
    if (!next)
      return 0;
    auto rp = self->make_response_promise<int>();
    self->request(next, caf::infinite, n).then([rp](int r) mutable { rp.deliver(r + 1); });
    return rp;
  }};
}

/// Sends itself `n` delayed ticks of 1 ms, then tells `done`.
caf::behavior ticker(caf::event_based_actor* self, int n, caf::actor done) {
  self->delayed_send(self, 1ms, n);
  return {[self, done](int left) {
    if (left == 0) {
      self->send(done, true);
      self->quit();
      return;
    }
    self->delayed_send(self, 1ms, left - 1);
  }};
}

/// Adds up what it gets; answers the sum to a `bool` ask.
caf::behavior counter(caf::event_based_actor*, long start) {
  auto sum = std::make_shared<long>(start);
  return {
    [sum](long x) { *sum += x; },
    [sum](bool) { return *sum; },
  };
}

struct asio_fixture {
  explicit asio_fixture(size_t threads = 2) {
    sio::use_asio_scheduler(cfg, threads);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  sio::asio_scheduler& sched() {
    auto* s = sio::asio_scheduler::of(*sys);
    BOOST_REQUIRE(s != nullptr);
    return *s;
  }

  /// Returns once every loop has finished what it was running: an actor
  /// that answered is idle again, not still in the resume that sent the
  /// answer (which would take a message sent now on the same thread).
  void settle() {
    std::vector<std::future<void>> done;
    for (auto* loop : sched().loops()) {
      auto p = std::make_shared<std::promise<void>>();
      done.push_back(p->get_future());
      asio::post(*loop, [p] { p->set_value(); });
    }
    for (auto& f : done)
      f.wait();
  }

  /// The ids of the threads that run the loops' handlers.
  std::set<size_t> loop_threads() {
    std::set<size_t> ids;
    std::mutex m;
    // A handler on each loop, each waiting for the others: all run at once.
    std::atomic<size_t> arrived{0};
    size_t n = sched().threads();
    std::vector<std::future<void>> done;
    for (auto* loop : sched().loops()) {
      auto p = std::make_shared<std::promise<void>>();
      done.push_back(p->get_future());
      asio::post(*loop, [&, p, n] {
        {
          std::lock_guard<std::mutex> g{m};
          ids.insert(std::hash<std::thread::id>{}(std::this_thread::get_id()));
        }
        ++arrived;
        auto until = std::chrono::steady_clock::now() + 5s;
        while (arrived.load() < n && std::chrono::steady_clock::now() < until)
          std::this_thread::yield();
        p->set_value();
      });
    }
    for (auto& f : done)
      f.wait();
    return ids;
  }

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
};

struct one_thread_fixture : asio_fixture {
  one_thread_fixture() : asio_fixture(1) {}
};

} // namespace

BOOST_AUTO_TEST_SUITE(asio_scheduler_test)

BOOST_AUTO_TEST_CASE(default_system_has_no_asio_scheduler) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  BOOST_TEST(sio::asio_scheduler::of(sys) == nullptr);
}

BOOST_FIXTURE_TEST_CASE(actors_run_on_the_threads_of_the_io_context, asio_fixture) {
  BOOST_TEST(sched().threads() == 2u);
  auto loop = loop_threads();
  BOOST_TEST(loop.size() == 2u);
  BOOST_TEST(!loop.count(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  caf::scoped_actor self{*sys};
  for (int i = 0; i < 20; ++i) {
    auto a = sys->spawn(where_am_i, i);
    self->request(a, 5s, i).receive(
      [&](size_t id) { BOOST_TEST(loop.count(id) == 1u); },
      [](caf::error& e) { BOOST_FAIL("no answer: " << caf::to_string(e)); });
    self->send_exit(a, caf::exit_reason::user_shutdown);
  }
}

BOOST_FIXTURE_TEST_CASE(each_loop_has_a_thread_and_runs_the_actors_its_handlers_wake,
                        asio_fixture) {
  // Two loops, two threads; an actor woken by a handler of either loop
  // runs right after it on the same thread (no hand-off to the other).
  auto loops = sched().loops();
  BOOST_TEST(loops.size() == 2u);
  BOOST_TEST(&sched().io() == loops.front());
  BOOST_TEST(loop_threads().size() == 2u);
  caf::scoped_actor self{*sys};
  auto a = sys->spawn(reporter, caf::actor_cast<caf::actor>(self));
  settle(); // its start, on whichever loop, is over
  std::set<size_t> handler_ids;
  for (int round = 0; round < 10; ++round)
    for (auto* loop : loops) {
      auto handler_thread = std::make_shared<std::promise<size_t>>();
      auto handler_id = handler_thread->get_future();
      asio::post(*loop, [a, handler_thread] {
        handler_thread->set_value(std::hash<std::thread::id>{}(std::this_thread::get_id()));
        caf::anon_send(a, 1);
      });
      size_t id = handler_id.get();
      handler_ids.insert(id);
      self->receive([&](size_t actor_id) { BOOST_TEST(actor_id == id); },
                    caf::after(5s) >> [] { BOOST_FAIL("the actor did not answer"); });
      settle();
    }
  BOOST_TEST(handler_ids.size() == 2u);
  self->send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(a_send_from_an_io_handler_runs_the_actor_on_that_thread,
                        one_thread_fixture) {
  // With one loop thread everything is on it: the I/O handler that sends
  // and the actor that answers, without a thread hand-off in between.
  caf::scoped_actor self{*sys};
  auto a = sys->spawn(reporter, caf::actor_cast<caf::actor>(self));
  auto handler_thread = std::make_shared<std::promise<size_t>>();
  auto handler_id = handler_thread->get_future();
  asio::post(sched().io(), [a, handler_thread] {
    handler_thread->set_value(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    caf::anon_send(a, 1);
  });
  size_t id = handler_id.get();
  self->receive([&](size_t actor_id) { BOOST_TEST(actor_id == id); },
                caf::after(5s) >> [] { BOOST_FAIL("the actor did not answer"); });
  self->send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(request_chains_and_many_senders_complete, asio_fixture) {
  // A chain of 50 actors, each asking the next: 50 nested requests.
  caf::actor next;
  std::vector<caf::actor> chain;
  for (int i = 0; i < 50; ++i) {
    next = sys->spawn(relay, next);
    chain.push_back(next);
  }
  caf::scoped_actor self{*sys};
  for (int round = 0; round < 20; ++round)
    self->request(next, 5s, round).receive(
      [](int hops) { BOOST_TEST(hops == 49); },
      [](caf::error& e) { BOOST_FAIL("chain broke: " << caf::to_string(e)); });
  // 8 actors send 10,000 messages each to one counter, all at once.
  auto sum = sys->spawn(counter, 0L);
  std::vector<caf::actor> senders;
  for (int s = 0; s < 8; ++s)
    senders.push_back(sys->spawn([sum](caf::event_based_actor* me, int) -> caf::behavior {
      return {[me, sum](int n) {
        for (int i = 1; i <= n; ++i)
          me->send(sum, long{i});
        me->quit();
      }};
    }, s));
  for (auto& s : senders)
    caf::anon_send(s, 10000);
  long expected = 8L * 10000 * 10001 / 2;
  long got = 0;
  auto until = std::chrono::steady_clock::now() + 10s;
  while (got != expected && std::chrono::steady_clock::now() < until) {
    self->request(sum, 5s, true).receive([&](long x) { got = x; },
                                         [](caf::error&) {});
    if (got != expected)
      std::this_thread::sleep_for(5ms);
  }
  BOOST_TEST(got == expected);
  for (auto& a : chain)
    self->send_exit(a, caf::exit_reason::user_shutdown);
  self->send_exit(sum, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(delayed_messages_and_timeouts_use_the_clock, asio_fixture) {
  caf::scoped_actor self{*sys};
  caf::actor me = caf::actor_cast<caf::actor>(self);
  auto t0 = std::chrono::steady_clock::now();
  sys->spawn(ticker, 20, me);
  self->receive([](bool) {}, caf::after(10s) >> [] { BOOST_FAIL("ticks lost"); });
  BOOST_TEST((std::chrono::steady_clock::now() - t0 >= 20ms));
  // A request that is never answered times out.
  auto silent = sys->spawn([](caf::event_based_actor*, int) -> caf::behavior {
    return {[](int) -> caf::result<int> { return caf::delegated<int>{}; }};
  }, 0);
  bool timed_out = false;
  self->request(silent, 50ms, 1).receive(
    [](int) { BOOST_FAIL("answered"); },
    [&](caf::error& e) { timed_out = e == caf::sec::request_timeout; });
  BOOST_TEST(timed_out);
  self->send_exit(silent, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(detached_and_blocking_actors_keep_their_own_threads,
                        asio_fixture) {
  auto loop = loop_threads();
  auto detached = sys->spawn<caf::detached>(where_am_i, 0);
  caf::scoped_actor self{*sys};
  self->request(detached, 5s, 1).receive(
    [&](size_t id) { BOOST_TEST(loop.count(id) == 0u); },
    [](caf::error& e) { BOOST_FAIL("no answer: " << caf::to_string(e)); });
  self->send_exit(detached, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(shutdown_with_work_queued_releases_it) {
  // Actors still busy with mailboxes when the system goes: CAF awaits them,
  // and the scheduler frees what its queue holds (no leak, no crash).
  auto f = std::make_unique<asio_fixture>(2);
  std::vector<caf::actor> counters;
  for (int i = 0; i < 100; ++i)
    counters.push_back(f->sys->spawn(counter, long{i}));
  for (int r = 0; r < 200; ++r)
    for (auto& c : counters)
      caf::anon_send(c, long{r});
  for (auto& c : counters)
    caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  counters.clear();
  f.reset();
  BOOST_TEST(true);
}

BOOST_AUTO_TEST_SUITE_END()
