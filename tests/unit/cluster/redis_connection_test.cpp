// Against a real redis-server (redis_server.hpp), on one io_context run by
// the test's thread; every wait is bounded (run_until).
#include "lib/cluster/redis_connection.hpp"

#include "redis_server.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/ip/tcp.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace sio::cluster;
using namespace std::chrono_literals;
using sio::cluster::testing::redis_server;
using reply_result = sio::protocol::result<redis_reply>;

namespace {

/// Runs `io` until `done()` or `limit`; false on timeout.
template <class Pred>
bool run_until(asio::io_context& io, Pred done,
               std::chrono::milliseconds limit = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    io.restart();
    if (io.run_for(5ms) == 0)
      std::this_thread::sleep_for(1ms);
  }
  return true;
}

/// Runs `io` for `d` (to see that nothing happens).
void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  auto deadline = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < deadline) {
    io.restart();
    if (io.run_for(5ms) == 0)
      std::this_thread::sleep_for(1ms);
  }
}

redis_endpoint endpoint(const redis_server& srv, int db = 0,
                        std::string password = {}) {
  redis_endpoint ep;
  ep.host = "127.0.0.1";
  ep.port = srv.port();
  ep.db = db;
  ep.password = std::move(password);
  return ep;
}

redis_options fast_options() {
  redis_options o;
  o.backoff_initial = 20ms;
  o.backoff_max = 200ms;
  o.connect_timeout = 2000ms;
  o.command_timeout = 3000ms;
  return o;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

struct state_log {
  std::vector<std::pair<bool, std::string>> events;
  void attach(redis_connection& c) {
    c.on_state([this](bool up, const std::string& why) {
      events.emplace_back(up, why);
    });
  }
  size_t downs() const {
    size_t n = 0;
    for (auto& e : events)
      n += e.first ? 0 : 1;
    return n;
  }
  size_t ups() const {
    return events.size() - downs();
  }
};

struct message {
  std::string channel;
  std::string pattern;
  std::string payload;
};

// Everything a handler touches lives here, not in the test body: the
// destructor stops the connections (failing what is in flight) after the
// body's locals are gone, also when a REQUIRE ended the body early.
struct fixture {
  asio::io_context io;
  std::vector<std::shared_ptr<redis_connection>> conns;
  std::deque<state_log> logs;
  std::vector<message> got;
  std::vector<std::pair<std::string, bool>> confirmed;
  std::vector<reply_result> results;
  std::vector<long long> ints;
  std::atomic<int> ok{0};
  std::atomic<int> messages{0};

  ~fixture() {
    for (auto& c : conns)
      c->stop();
    run_for(io, 50ms);
  }

  state_log& log_of(redis_connection& c) {
    auto& log = logs.emplace_back();
    log.attach(c);
    return log;
  }

  void collect_messages(redis_connection& c) {
    c.on_message([this](std::string_view ch, std::string_view pat,
                        std::string_view payload) {
      got.push_back({std::string{ch}, std::string{pat}, std::string{payload}});
    });
  }

  redis_connection::reply_handler collect() {
    return [this](reply_result r) { results.push_back(std::move(r)); };
  }

  std::shared_ptr<redis_connection> make(redis_endpoint ep, std::string name,
                                         redis_options o = fast_options()) {
    auto c = redis_connection::create(io, std::move(ep), std::move(name), o);
    conns.push_back(c);
    return c;
  }

  bool wait_up(const std::shared_ptr<redis_connection>& c,
               std::chrono::milliseconds limit = 5000ms) {
    return run_until(io, [&] { return c->up(); }, limit);
  }

  /// Sends one command and waits for its outcome.
  reply_result cmd(const std::shared_ptr<redis_connection>& c,
                   std::vector<std::string> argv) {
    auto out = std::make_shared<std::optional<reply_result>>();
    c->command(std::move(argv), [out](reply_result r) { out->emplace(std::move(r)); });
    if (!run_until(io, [&] { return out->has_value(); }))
      return reply_result::fail("test: no outcome within 5 s");
    return std::move(**out);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(redis_connection_suite, fixture)

BOOST_AUTO_TEST_CASE(set_get_and_reply_kinds) {
  redis_server srv;
  auto c = make(endpoint(srv), "test-basic");
  auto& log = log_of(*c);
  c->start();
  BOOST_REQUIRE(wait_up(c));
  BOOST_TEST(log.ups() == 1u);

  auto r = cmd(c, {"SET", "k", "v"});
  BOOST_REQUIRE_MESSAGE(r, r.error());
  BOOST_TEST((r->type == redis_reply::kind::status));
  BOOST_TEST(r->str == "OK");

  r = cmd(c, {"GET", "k"});
  BOOST_REQUIRE(r);
  BOOST_TEST((r->type == redis_reply::kind::string));
  BOOST_TEST(r->str == "v");

  r = cmd(c, {"GET", "missing"});
  BOOST_REQUIRE(r);
  BOOST_TEST((r->type == redis_reply::kind::nil));

  r = cmd(c, {"INCRBY", "n", "41"});
  BOOST_REQUIRE(r);
  BOOST_TEST((r->type == redis_reply::kind::integer));
  BOOST_TEST(r->integer == 41);

  // A Redis error is a reply, not a failure.
  r = cmd(c, {"INCR", "k"});
  BOOST_REQUIRE(r);
  BOOST_TEST((r->type == redis_reply::kind::error));
  BOOST_TEST(contains(r->str, "not an integer"));

  BOOST_REQUIRE(cmd(c, {"RPUSH", "l", "a", "b", "c"}));
  r = cmd(c, {"LRANGE", "l", "0", "-1"});
  BOOST_REQUIRE(r);
  BOOST_TEST((r->type == redis_reply::kind::array));
  BOOST_REQUIRE(r->elements.size() == 3u);
  BOOST_TEST(r->elements[2].str == "c");

  // The connection named itself.
  r = cmd(c, {"CLIENT", "GETNAME"});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->str == "test-basic");

  auto st = c->stats();
  BOOST_TEST(st.connects == 1u);
  BOOST_TEST(st.reconnects == 0u);
  BOOST_TEST(st.errors == 0u);
  BOOST_TEST(st.commands_failed == 0u);
  BOOST_TEST(st.commands_sent >= 8u);
}

BOOST_AUTO_TEST_CASE(values_are_binary_safe) {
  redis_server srv;
  auto c = make(endpoint(srv), "test binary"); // the space becomes '-'
  c->start();
  BOOST_REQUIRE(wait_up(c));

  std::string key{"k\0ey\r\n", 6};
  std::string value;
  for (int i = 0; i < 256; ++i)
    value.push_back(static_cast<char>(i));
  BOOST_REQUIRE(cmd(c, {"SET", key, value}));
  auto r = cmd(c, {"GET", key});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->str.size() == 256u);
  BOOST_TEST((r->str == value));

  std::string big(1024 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>((i * 131) % 251);
  BOOST_REQUIRE(cmd(c, {"SET", "big", big}));
  r = cmd(c, {"GET", "big"});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->str.size() == big.size());
  BOOST_TEST((r->str == big));

  r = cmd(c, {"CLIENT", "GETNAME"});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->str == "test-binary");
}

BOOST_AUTO_TEST_CASE(replies_arrive_in_order) {
  redis_server srv;
  auto c = make(endpoint(srv), "test-order");
  c->start();
  BOOST_REQUIRE(wait_up(c));
  constexpr int n = 2000;
  for (int i = 0; i < n; ++i)
    c->command({"INCR", "counter"}, [this](reply_result r) {
      ints.push_back(r ? r->integer : -1);
    });
  BOOST_REQUIRE(run_until(io, [&] { return ints.size() == size_t{n}; }));
  for (int i = 0; i < n; ++i)
    BOOST_REQUIRE_EQUAL(ints[i], i + 1);
}

BOOST_AUTO_TEST_CASE(commands_from_other_threads) {
  redis_server srv;
  auto c = make(endpoint(srv), "test-threads");
  c->start();
  BOOST_REQUIRE(wait_up(c));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i)
        c->command({"RPUSH", "list" + std::to_string(t), std::to_string(i)},
                   [this](reply_result r) {
                     if (r && r->type == redis_reply::kind::integer)
                       ++ok;
                   });
    });
  for (auto& t : threads)
    t.join();
  BOOST_REQUIRE(run_until(io, [&] { return ok.load() == 1000; }));
  // Each thread's commands kept their order.
  auto r = cmd(c, {"LRANGE", "list2", "0", "-1"});
  BOOST_REQUIRE(r);
  BOOST_REQUIRE(r->elements.size() == 250u);
  for (int i = 0; i < 250; ++i)
    BOOST_REQUIRE_EQUAL(r->elements[i].str, std::to_string(i));
}

BOOST_AUTO_TEST_CASE(publish_reaches_subscribe_and_psubscribe) {
  redis_server srv;
  auto pub = make(endpoint(srv), "test-pub");
  auto sub = make(endpoint(srv), "test-sub");
  collect_messages(*sub);
  std::string binary_channel{"bin\0ch", 6};
  sub->subscribe("chat");
  sub->subscribe(binary_channel);
  sub->psubscribe("news.*");
  pub->start();
  sub->start();
  BOOST_REQUIRE(wait_up(pub));
  BOOST_REQUIRE(wait_up(sub)); // up = subscriptions confirmed

  std::string payload{"\x00\x01\xff msgpack \r\n", 14};
  auto r = cmd(pub, {"PUBLISH", "chat", payload});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->integer == 1);
  BOOST_REQUIRE(cmd(pub, {"PUBLISH", "news.sport", "goal"}));
  BOOST_REQUIRE(cmd(pub, {"PUBLISH", binary_channel, "x"}));
  BOOST_REQUIRE(cmd(pub, {"PUBLISH", "other", "not for us"}));
  BOOST_REQUIRE(run_until(io, [&] { return got.size() >= 3; }));
  run_for(io, 50ms);
  BOOST_REQUIRE_EQUAL(got.size(), 3u);
  BOOST_TEST(got[0].channel == "chat");
  BOOST_TEST(got[0].pattern.empty());
  BOOST_TEST((got[0].payload == payload));
  BOOST_TEST(got[1].channel == "news.sport");
  BOOST_TEST(got[1].pattern == "news.*");
  BOOST_TEST(got[1].payload == "goal");
  BOOST_TEST((got[2].channel == binary_channel));
  BOOST_TEST(sub->stats().messages == 3u);

  // A subscriber takes no commands.
  r = cmd(sub, {"PING"});
  BOOST_REQUIRE(!r);
  BOOST_TEST(contains(r.error(), "subscriber"));
}

BOOST_AUTO_TEST_CASE(subscribe_and_unsubscribe_while_up) {
  redis_server srv;
  auto pub = make(endpoint(srv), "test-pub");
  auto sub = make(endpoint(srv), "test-sub");
  collect_messages(*sub);
  sub->on_subscribed([this](std::string_view name, bool pattern) {
    confirmed.emplace_back(std::string{name}, pattern);
  });
  pub->start();
  sub->start();
  BOOST_REQUIRE(wait_up(pub));
  BOOST_REQUIRE(wait_up(sub)); // nothing to subscribe: up at once

  sub->subscribe("late");
  sub->psubscribe("p.*");
  BOOST_REQUIRE(run_until(io, [&] { return confirmed.size() == 2; }));
  BOOST_TEST(confirmed[0].first == "late");
  BOOST_TEST(!confirmed[0].second);
  BOOST_TEST(confirmed[1].first == "p.*");
  BOOST_TEST(confirmed[1].second);
  BOOST_REQUIRE(cmd(pub, {"PUBLISH", "late", "1"}));
  BOOST_REQUIRE(cmd(pub, {"PUBLISH", "p.x", "2"}));
  BOOST_REQUIRE(run_until(io, [&] { return got.size() == 2; }));

  sub->unsubscribe("late");
  sub->punsubscribe("p.*");
  // Redis drops the subscriptions: nobody receives.
  BOOST_REQUIRE(run_until(io, [&] {
    auto r = cmd(pub, {"PUBLISH", "late", "3"});
    return r && r->integer == 0;
  }));
  BOOST_REQUIRE(run_until(io, [&] {
    auto r = cmd(pub, {"PUBLISH", "p.x", "4"});
    return r && r->integer == 0;
  }));
  run_for(io, 50ms);
  BOOST_TEST(got.size() == 2u);

  // Subscribing again works (hiredis's tables were cleaned up).
  confirmed.clear();
  sub->subscribe("late");
  BOOST_REQUIRE(run_until(io, [&] { return confirmed.size() == 1; }));
  BOOST_REQUIRE(cmd(pub, {"PUBLISH", "late", "5"}));
  BOOST_REQUIRE(run_until(io, [&] { return got.size() == 3; }));
  BOOST_TEST(got[2].payload == "5");
}

BOOST_AUTO_TEST_CASE(auth_with_a_password) {
  redis_server srv{"pa:ss@word"};
  auto ep = parse_redis_url("redis://:pa%3Ass%40word@127.0.0.1:"
                            + std::to_string(srv.port()));
  BOOST_REQUIRE(ep);
  auto c = make(*ep, "test-auth");
  c->start();
  BOOST_REQUIRE(wait_up(c));
  auto r = cmd(c, {"SET", "a", "b"});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->str == "OK");

  // ACL form: user "default".
  auto ep2 = endpoint(srv, 0, "pa:ss@word");
  ep2.username = "default";
  auto c2 = make(ep2, "test-auth-user");
  c2->start();
  BOOST_REQUIRE(wait_up(c2));
  r = cmd(c2, {"GET", "a"});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->str == "b");
}

BOOST_AUTO_TEST_CASE(wrong_or_missing_password_stays_down_with_the_reason) {
  redis_server srv{"right"};
  auto c = make(endpoint(srv, 0, "Xyzzy-42"), "test-wrong");
  auto& log = log_of(*c);
  c->start();
  BOOST_REQUIRE(run_until(io, [&] { return !log.events.empty(); }));
  BOOST_TEST(!log.events[0].first);
  BOOST_TEST(contains(log.events[0].second, "AUTH failed"),
             log.events[0].second);
  BOOST_TEST(contains(log.events[0].second, "WRONGPASS"),
             log.events[0].second);
  BOOST_TEST(!contains(log.events[0].second, "Xyzzy")); // not the password
  run_for(io, 300ms); // it retries, and stays down
  BOOST_TEST(!c->up());
  BOOST_TEST(log.ups() == 0u);
  BOOST_TEST(log.events.size() == 1u); // the same reason is reported once
  BOOST_TEST(contains(c->last_error(), "WRONGPASS"));
  BOOST_TEST(c->stats().reconnects >= 1u);
  auto r = cmd(c, {"GET", "x"});
  BOOST_REQUIRE(!r);
  BOOST_TEST(contains(r.error(), "not connected"));
  BOOST_TEST(contains(r.error(), "WRONGPASS"));

  auto none = make(endpoint(srv), "test-nopass");
  none->start();
  BOOST_REQUIRE(run_until(io, [&] { return !none->last_error().empty(); }));
  BOOST_TEST(contains(none->last_error(), "NOAUTH"), none->last_error());
  BOOST_TEST(!none->up());
}

BOOST_AUTO_TEST_CASE(select_db) {
  redis_server srv;
  auto c3 = make(endpoint(srv, 3), "test-db3");
  auto c0 = make(endpoint(srv, 0), "test-db0");
  c3->start();
  c0->start();
  BOOST_REQUIRE(wait_up(c3));
  BOOST_REQUIRE(wait_up(c0));
  BOOST_REQUIRE(cmd(c3, {"SET", "where", "three"}));
  auto r = cmd(c0, {"GET", "where"});
  BOOST_REQUIRE(r);
  BOOST_TEST((r->type == redis_reply::kind::nil));
  r = cmd(c0, {"SELECT", "3"});
  BOOST_REQUIRE(r);
  r = cmd(c0, {"GET", "where"});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->str == "three");

  // A database Redis does not have: down, with SELECT's answer.
  auto bad = make(endpoint(srv, 99), "test-db99");
  auto& log = log_of(*bad);
  bad->start();
  BOOST_REQUIRE(run_until(io, [&] { return !bad->last_error().empty(); }));
  BOOST_TEST(contains(bad->last_error(), "SELECT 99 failed"), bad->last_error());
  run_for(io, 200ms); // retries, never up
  BOOST_TEST(!bad->up());
  BOOST_TEST(log.ups() == 0u);
  BOOST_TEST(bad->stats().connects == 0u);
}

BOOST_AUTO_TEST_CASE(redis_restart_reconnects_and_resubscribes) {
  redis_server srv;
  auto pub = make(endpoint(srv), "test-pub");
  auto sub = make(endpoint(srv), "test-sub");
  auto& pub_log = log_of(*pub);
  auto& sub_log = log_of(*sub);
  collect_messages(*sub);
  sub->subscribe("events");
  sub->psubscribe("room.*");
  pub->start();
  sub->start();
  BOOST_REQUIRE(wait_up(pub));
  BOOST_REQUIRE(wait_up(sub));
  BOOST_REQUIRE(cmd(pub, {"PUBLISH", "events", "before"}));
  BOOST_REQUIRE(run_until(io, [&] { return got.size() == 1; }));

  srv.stop();
  BOOST_REQUIRE(run_until(io, [&] { return !pub->up() && !sub->up(); }));
  BOOST_TEST(pub_log.downs() == 1u);
  BOOST_TEST(sub_log.downs() == 1u);
  BOOST_TEST(!pub_log.events.back().second.empty());

  // Down: a command fails at once with the reason.
  auto t0 = std::chrono::steady_clock::now();
  auto r = cmd(pub, {"GET", "x"});
  BOOST_REQUIRE(!r);
  BOOST_TEST(contains(r.error(), "not connected"), r.error());
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 500ms));

  run_for(io, 300ms); // a few failed attempts
  srv.start();
  BOOST_REQUIRE(wait_up(pub, 5000ms));
  BOOST_REQUIRE(wait_up(sub, 5000ms));
  BOOST_TEST(pub_log.ups() == 2u);
  BOOST_TEST(sub_log.ups() == 2u);

  // No subscribe() call since: the set was sent again.
  r = cmd(pub, {"PUBLISH", "events", "after"});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->integer == 1);
  BOOST_REQUIRE(cmd(pub, {"PUBLISH", "room.7", "after-p"}));
  BOOST_REQUIRE(run_until(io, [&] { return got.size() == 3; }));
  BOOST_TEST(got[1].payload == "after");
  BOOST_TEST(got[2].pattern == "room.*");
  BOOST_TEST(got[2].payload == "after-p");

  auto st = pub->stats();
  BOOST_TEST(st.connects == 2u);
  BOOST_TEST(st.reconnects >= 1u);
  BOOST_TEST(st.errors >= 1u);
  BOOST_TEST(st.commands_failed >= 1u);
}

BOOST_AUTO_TEST_CASE(connection_lost_fails_commands_in_flight) {
  redis_server srv;
  auto c = make(endpoint(srv), "test-lost");
  c->start();
  BOOST_REQUIRE(wait_up(c));
  c->command({"BLPOP", "nothing", "0"}, collect());
  run_for(io, 50ms);
  srv.stop();
  BOOST_REQUIRE(run_until(io, [&] { return results.size() == 1; }));
  BOOST_REQUIRE(!results[0]);
  BOOST_TEST(contains(results[0].error(), "lost"), results[0].error());
}

BOOST_AUTO_TEST_CASE(stop_fails_commands_in_flight) {
  redis_server srv;
  auto c = make(endpoint(srv), "test-stop");
  auto& log = log_of(*c);
  c->start();
  BOOST_REQUIRE(wait_up(c));
  // BLPOP holds every later reply back: all are in flight at stop().
  c->command({"BLPOP", "nothing", "0"}, collect());
  for (int i = 0; i < 100; ++i)
    c->command({"GET", "x"}, collect());
  run_for(io, 50ms);
  BOOST_TEST(results.empty());
  c->stop();
  BOOST_REQUIRE(run_until(io, [&] { return results.size() == 101; }));
  for (auto& r : results) {
    BOOST_REQUIRE(!r);
    BOOST_REQUIRE_EQUAL(r.error(), "stopped");
  }
  BOOST_TEST(!c->up());
  BOOST_REQUIRE(!log.events.empty());
  BOOST_TEST(!log.events.back().first);
  BOOST_TEST(log.events.back().second == "stopped");
  // After stop: fails at once, never reconnects.
  auto r = cmd(c, {"PING"});
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error() == "stopped");
  run_for(io, 200ms);
  BOOST_TEST(!c->up());
  BOOST_TEST(c->stats().connects == 1u);
  BOOST_TEST(c->stats().errors == 0u);
}

BOOST_AUTO_TEST_CASE(command_timeout_recycles_the_connection) {
  redis_server srv;
  auto o = fast_options();
  o.command_timeout = 300ms;
  auto c = make(endpoint(srv), "test-timeout", o);
  auto& log = log_of(*c);
  c->start();
  BOOST_REQUIRE(wait_up(c));
  auto t0 = std::chrono::steady_clock::now();
  c->command({"BLPOP", "nothing", "0"}, collect());
  BOOST_REQUIRE(run_until(io, [&] { return results.size() == 1; }, 3000ms));
  auto took = std::chrono::steady_clock::now() - t0;
  BOOST_REQUIRE(!results[0]);
  BOOST_TEST(contains(results[0].error(), "did not answer within 300 ms"),
             results[0].error());
  BOOST_TEST((took >= 290ms));
  BOOST_TEST((took < 2000ms));
  // Down, then up again by itself; commands work.
  BOOST_REQUIRE(run_until(io, [&] { return log.ups() == 2; }));
  BOOST_TEST(log.downs() == 1u);
  auto r = cmd(c, {"PING"});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->str == "PONG");
  BOOST_TEST(c->stats().errors == 1u);
}

BOOST_AUTO_TEST_CASE(pending_commands_are_bounded) {
  redis_server srv;
  auto o = fast_options();
  o.max_pending = 5;
  auto c = make(endpoint(srv), "test-bounded", o);
  c->start();
  BOOST_REQUIRE(wait_up(c));
  c->command({"BLPOP", "nothing", "0"}, collect());
  for (int i = 0; i < 10; ++i)
    c->command({"GET", "x"}, collect());
  BOOST_REQUIRE(run_until(io, [&] { return results.size() == 6; }));
  for (auto& r : results) {
    BOOST_REQUIRE(!r);
    BOOST_TEST(contains(r.error(), "too many pending commands"));
  }
  BOOST_TEST(c->stats().commands_failed == 6u);
}

BOOST_AUTO_TEST_CASE(mode_changing_commands_are_refused) {
  redis_server srv;
  auto c = make(endpoint(srv), "test-refused");
  c->start();
  BOOST_REQUIRE(wait_up(c));
  for (auto argv : std::vector<std::vector<std::string>>{
         {"subscribe", "x"}, {"PSUBSCRIBE", "x*"}, {"MONITOR"}, {"HELLO", "3"},
         {"client", "reply", "off"}, {"SSUBSCRIBE", "x"}}) {
    auto r = cmd(c, argv);
    BOOST_REQUIRE(!r);
    BOOST_TEST(contains(r.error(), "mode"));
  }
  auto r = cmd(c, {});
  BOOST_REQUIRE(!r);
  BOOST_TEST(contains(r.error(), "empty"));
  // Still usable.
  r = cmd(c, {"PING"});
  BOOST_REQUIRE(r);
}

BOOST_AUTO_TEST_CASE(nobody_listening) {
  // A port nobody listens on: down with the reason, retrying with backoff.
  uint16_t port = 0;
  {
    redis_server srv;
    port = srv.port();
  }
  redis_endpoint ep;
  ep.host = "127.0.0.1";
  ep.port = port;
  auto c = make(ep, "test-refused-port");
  auto& log = log_of(*c);
  c->start();
  BOOST_REQUIRE(run_until(io, [&] { return !log.events.empty(); }));
  BOOST_TEST(!log.events[0].first);
  BOOST_TEST(contains(log.events[0].second, "cannot connect"), log.events[0].second);
  BOOST_REQUIRE(run_until(io, [&] { return c->stats().reconnects >= 3; }));
  BOOST_TEST(c->stats().errors >= 3u);
  auto r = cmd(c, {"PING"});
  BOOST_REQUIRE(!r);
  BOOST_TEST(contains(r.error(), "not connected"));
}

BOOST_AUTO_TEST_CASE(connect_timeout_when_nothing_answers) {
  // Accepts TCP (the kernel's backlog) and never answers the handshake.
  asio::io_context other;
  asio::ip::tcp::acceptor silent{other, {asio::ip::make_address("127.0.0.1"), 0}};
  redis_endpoint ep;
  ep.host = "127.0.0.1";
  ep.port = silent.local_endpoint().port();
  auto o = fast_options();
  o.connect_timeout = 200ms;
  auto c = make(ep, "test-silent", o);
  c->start();
  BOOST_REQUIRE(run_until(io, [&] { return !c->last_error().empty(); }, 3000ms));
  BOOST_TEST(contains(c->last_error(), "within 200 ms"), c->last_error());
  BOOST_TEST(!c->up());
}

BOOST_AUTO_TEST_CASE(dropped_without_stop_frees_its_connection) {
  // Not the documented way (stop() first), but nothing leaks or crashes: an
  // idle connection that is up holds no reference to itself.
  redis_server srv;
  auto c = redis_connection::create(io, endpoint(srv), "test-dropped",
                                    fast_options());
  std::weak_ptr<redis_connection> weak = c;
  c->start();
  BOOST_REQUIRE(run_until(io, [&] { return c->up(); }));
  run_for(io, 20ms);
  c.reset();
  BOOST_TEST(weak.expired());
  run_for(io, 50ms); // the aborted waits find the context gone
  // The server saw the client go.
  auto probe = make(endpoint(srv), "test-probe");
  probe->start();
  BOOST_REQUIRE(wait_up(probe));
  BOOST_REQUIRE(run_until(io, [&] {
    auto r = cmd(probe, {"CLIENT", "LIST"});
    return r && r->str.find("name=test-dropped") == std::string::npos;
  }));
}

BOOST_AUTO_TEST_CASE(io_context_run_by_two_threads) {
  // The strand keeps hiredis and the handlers on one thread at a time.
  redis_server srv;
  auto pub = make(endpoint(srv), "test-mt-pub");
  auto sub = make(endpoint(srv), "test-mt-sub");
  sub->on_message([this](std::string_view, std::string_view, std::string_view) {
    ++messages;
  });
  sub->subscribe("mt");
  auto guard = asio::make_work_guard(io);
  std::vector<std::thread> runners;
  for (int i = 0; i < 2; ++i)
    runners.emplace_back([this] { io.run(); });
  pub->start();
  sub->start();
  auto wait = [](auto done) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(2ms);
    return done();
  };
  bool both_up = wait([&] { return pub->up() && sub->up(); });
  if (both_up)
    for (int i = 0; i < 1000; ++i)
      pub->command({"PUBLISH", "mt", std::to_string(i)}, [this](reply_result r) {
        if (r && r->integer == 1)
          ++ok;
      });
  bool all = both_up
             && wait([&] { return ok.load() == 1000 && messages.load() == 1000; });
  pub->stop();
  sub->stop();
  wait([&] { return !pub->up() && !sub->up(); });
  guard.reset();
  io.stop();
  for (auto& t : runners)
    t.join();
  BOOST_TEST(both_up);
  BOOST_TEST(all);
  BOOST_TEST(ok.load() == 1000);
  BOOST_TEST(messages.load() == 1000);
}

BOOST_AUTO_TEST_SUITE_END()
