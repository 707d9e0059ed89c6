// sio::handler, sio::socket_handler<Data> and sio::stage (<sio/handler.hpp>)
// on their actors: in a real service driven by Engine.IO polling clients
// over 127.0.0.1 (lifecycles, state, verdicts, acks, pipelines), and alone
// (timers, failures, links).
#include <boost/test/unit_test.hpp>

#include <sio/handler.hpp>
#include "actors/event_payloads.hpp"
#include "tests/actors/service_fixture.hpp"

#include <atomic>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The ack of `ev` with `args_json`, as a polling client reads it.
std::string ack_text(const sio::message_event& ev, const std::string& args_json) {
  return "43" + (ev.socket.nsp == "/" ? "" : ev.socket.nsp + ",")
         + std::to_string(ev.ack_id) + args_json;
}

/// Reports every call to `observer` (the events themselves) and answers:
/// rejects /private, throws on /throw; acks `count` with how many it
/// counted so far (state of its own), throws on `explode`. Reports a
/// disconnected event for a socket it never saw connected, or twice.
class recording_handler final : public sio::handler {
public:
  explicit recording_handler(caf::actor observer) : observer_(std::move(observer)) {}

  sio::connect_verdict on_connect(const sio::connect_event& ev) override {
    caf::anon_send(observer_, ev);
    if (ev.socket.nsp == "/private")
      return sio::connect_verdict::reject(sio::error_payload("nope"));
    if (ev.socket.nsp == "/throw")
      throw std::runtime_error("boom");
    return sio::connect_verdict::accept();
  }

  void on_connected(const sio::connected_event& ev) override {
    if (!open_.insert(ev.socket.socket_id).second)
      caf::anon_send(observer_, "connected twice: " + ev.socket.socket_id);
    caf::anon_send(observer_, ev);
  }

  void on_disconnected(const sio::disconnected_event& ev) override {
    if (open_.erase(ev.socket.socket_id) == 0)
      caf::anon_send(observer_, "disconnected but not connected: " + ev.socket.socket_id);
    caf::anon_send(observer_, ev);
  }

  sio::message_reply on_message(const sio::message_event& ev) override {
    caf::anon_send(observer_, ev);
    if (ev.event_name == "explode")
      throw std::logic_error("kaboom");
    if (ev.event_name == "count")
      return ack_text(ev, "[" + std::to_string(++counted_) + "]");
    if (ev.event_name == "ping")
      return ack_text(ev, R"(["pong"])");
    if (ev.event_name == "shout")
      io().emit("shouted", ev.socket.nsp); // to every socket of "/"
    return {};
  }

private:
  caf::actor observer_;
  int counted_ = 0;
  std::set<std::string> open_;
};

/// A service whose hub runs a recording_handler.
struct handler_fixture : sio_test::service_fixture {
  explicit handler_fixture(uint32_t ping_ms = 5000)
    : service_fixture(
        [](sio::service& svc, caf::actor obs) {
          svc.set_handler("test", [obs](caf::actor_system& sys, sio::hub_actor hub) {
            return sio::spawn_handler(sys, std::move(hub),
                                      std::make_unique<recording_handler>(obs));
          });
        },
        ping_ms) {}

  /// Polls until `what` shows up (a ping may come first).
  /// `n` disconnected events, then none more for a while; checks that none
  /// of them came twice and that the handler saw no lifecycle out of order.
  std::vector<sio::disconnected_event> expect_disconnects(size_t n) {
    std::vector<sio::disconnected_event> got;
    bool late = false;
    while (got.size() < n && !late)
      (*observer)->receive(
        [&](sio::disconnected_event& ev) { got.push_back(std::move(ev)); },
        [&](std::string& problem) { BOOST_ERROR(problem); },
        caf::after(10s) >> [&] { late = true; });
    BOOST_CHECK_EQUAL(got.size(), n);
    (*observer)->receive(
      [](const sio::disconnected_event& ev) {
        BOOST_ERROR("one disconnected event too many, for " << ev.socket.socket_id);
      },
      [&](std::string& problem) { BOOST_ERROR(problem); },
      caf::after(300ms) >> [] {});
    std::set<std::string> ids;
    for (auto& ev : got)
      BOOST_CHECK_MESSAGE(ids.insert(ev.socket.socket_id).second,
                          "twice: " << ev.socket.socket_id);
    return got;
  }
};

struct short_ping_handler_fixture : handler_fixture {
  short_ping_handler_fixture() : handler_fixture(200) {}
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(handler_in_a_service, handler_fixture)

BOOST_AUTO_TEST_CASE(keeps_its_state_across_events) {
  auto a = connected_session();
  auto b = connected_session();
  post(a, R"(421["count"])");
  BOOST_CHECK_EQUAL(poll(a).body, "431[1]");
  post(b, R"(422["count"])");
  BOOST_CHECK_EQUAL(poll(b).body, "432[2]");
  post(a, R"(423["count"])");
  BOOST_CHECK_EQUAL(poll(a).body, "433[3]");
  // io() is the hub's emitter.
  post(b, R"(42["shout"])");
  BOOST_CHECK_EQUAL(poll(a).body, R"(42["shouted","/"])");
  BOOST_CHECK_EQUAL(poll(b).body, R"(42["shouted","/"])");
}

BOOST_AUTO_TEST_CASE(an_exception_in_on_connect_rejects_as_a_failed_handler) {
  auto sid = connected_session();
  post(sid, "40/throw,");
  BOOST_CHECK_EQUAL(expect<sio::connect_event>().socket.nsp, "/throw");
  BOOST_CHECK_EQUAL(poll_for(sid, "44/throw,"),
                    R"(44/throw,{"message":"event handler failed: boom"})");
  // An exception in on_message: no reply; the handler and session live on.
  post(sid, R"(421["explode"])");
  BOOST_CHECK_EQUAL(expect<sio::message_event>().event_name, "explode");
  post(sid, R"(422["ping"])");
  expect<sio::message_event>();
  BOOST_CHECK_EQUAL(poll(sid).body, R"(432["pong"])");
  BOOST_CHECK_EQUAL(stats().connections, 1u);
}

BOOST_AUTO_TEST_CASE(a_client_disconnect_ends_each_accepted_socket_once) {
  auto sid = handshake();
  post(sid, "40\x1e" "40/b,\x1e" "40/private,");
  expect<sio::connect_event>();
  expect<sio::connect_event>();
  expect<sio::connect_event>();
  poll_for(sid, "44/private,");
  expect<sio::connected_event>();
  expect<sio::connected_event>();
  post(sid, "41/b,");
  auto b = expect_disconnects(1);
  BOOST_CHECK_EQUAL(b.at(0).socket.nsp, "/b");
  BOOST_CHECK_EQUAL(b.at(0).reason, "client namespace disconnect");
  post(sid, "1"); // the client closes the connection: "/" goes, /b was told
  auto root = expect_disconnects(1);
  BOOST_CHECK_EQUAL(root.at(0).socket.nsp, "/");
  BOOST_CHECK_EQUAL(root.at(0).reason, "transport close");
  expect_hub_empty();
}

BOOST_AUTO_TEST_CASE(a_server_close_command_ends_each_accepted_socket_once) {
  auto sid = two_namespace_session();
  caf::anon_send(svc->hub("test"),
                 sio::close_command{sio::target::connection(sid), "kicked"});
  auto gone = expect_disconnects(2);
  std::set<std::string> nsps;
  for (auto& ev : gone) {
    nsps.insert(ev.socket.nsp);
    BOOST_CHECK_EQUAL(ev.socket.connection_id, sid);
  }
  BOOST_CHECK((nsps == std::set<std::string>{"/", "/b"}));
  expect_hub_empty();
}

BOOST_AUTO_TEST_CASE(sockets_open_when_the_service_stops_end_once) {
  auto a = connected_session();
  auto b = handshake();
  post(b, "40\x1e" "40/b,\x1e" "40/private,");
  expect<sio::connect_event>();
  expect<sio::connect_event>();
  expect<sio::connect_event>();
  poll_for(b, "44/private,");
  expect<sio::connected_event>();
  expect<sio::connected_event>();
  svc->stop();
  auto gone = expect_disconnects(3);
  std::multiset<std::string> conns;
  for (auto& ev : gone) {
    conns.insert(ev.socket.connection_id);
    BOOST_CHECK(ev.socket.nsp != "/private");
  }
  BOOST_CHECK_EQUAL(conns.count(a), 1u);
  BOOST_CHECK_EQUAL(conns.count(b), 2u);
}

BOOST_FIXTURE_TEST_CASE(a_ping_timeout_ends_each_accepted_socket_once,
                        short_ping_handler_fixture) {
  auto sid = connected_session();
  // Never polled again: the ping goes unanswered.
  auto gone = expect_disconnects(1);
  BOOST_CHECK_EQUAL(gone.at(0).reason, "ping timeout");
  BOOST_CHECK_EQUAL(gone.at(0).socket.connection_id, sid);
  expect_hub_empty();
}

BOOST_AUTO_TEST_SUITE_END()

// -- socket_handler<Data> ------------------------------------------------------

namespace {

/// Per-socket data that counts its live instances.
struct counted_data {
  static std::atomic<int> live;
  std::string name;
  int events = 0;

  counted_data() { ++live; }
  counted_data(const counted_data& o) : name(o.name), events(o.events) { ++live; }
  counted_data(counted_data&& o) noexcept
    : name(std::move(o.name)), events(o.events) {
    ++live;
  }
  counted_data& operator=(const counted_data&) = default;
  counted_data& operator=(counted_data&&) = default;
  ~counted_data() { --live; }
};
std::atomic<int> counted_data::live{0};

/// Waits (bounded) until `n` counted_data instances are alive.
int await_live(int n) {
  for (int i = 0; i < 200 && counted_data::live.load() != n; ++i)
    std::this_thread::sleep_for(10ms);
  return counted_data::live.load();
}

/// Names each socket after its CONNECT payload, counts its events, and
/// reports what the data held at each step; rejects /private.
class named_sockets final : public sio::socket_handler<counted_data> {
public:
  explicit named_sockets(caf::actor observer, std::chrono::milliseconds expiry = 60s)
    : observer_(std::move(observer)) {
    unconnected_expiry = expiry;
  }

  sio::connect_verdict on_connect(const sio::connect_event& ev,
                                 counted_data& d) override {
    if (ev.socket.nsp == "/private")
      return sio::connect_verdict::reject(sio::error_payload("nope"));
    d.name = ev.auth;
    return sio::connect_verdict::accept();
  }

  void on_connect_done(const sio::connected_event&, counted_data& d) override {
    caf::anon_send(observer_, "connected " + d.name);
  }

  sio::message_reply on_event(const sio::message_event& ev, counted_data& d) override {
    ++d.events;
    return ack_text(ev, "[" + std::to_string(d.events) + ","
                          + std::to_string(sockets().size()) + "]");
  }

  void on_disconnect(const sio::disconnected_event&, counted_data& d) override {
    caf::anon_send(observer_, "gone " + d.name + " after " + std::to_string(d.events));
  }

private:
  caf::actor observer_;
};

struct socket_handler_fixture : sio_test::service_fixture {
  socket_handler_fixture()
    : service_fixture([](sio::service& svc, caf::actor obs) {
        svc.set_handler("test", [obs](caf::actor_system& sys, sio::hub_actor hub) {
          return sio::spawn_handler(sys, std::move(hub),
                                    std::make_unique<named_sockets>(obs));
        });
      }) {}

};

} // namespace

BOOST_FIXTURE_TEST_SUITE(socket_handler_in_a_service, socket_handler_fixture)

BOOST_AUTO_TEST_CASE(data_is_made_kept_and_destroyed_with_its_socket) {
  BOOST_REQUIRE_EQUAL(counted_data::live.load(), 0);
  auto sid = handshake();
  post(sid, R"(40{"n":"alice"})");
  BOOST_CHECK_EQUAL(expect<std::string>(), R"(connected {"n":"alice"})");
  BOOST_CHECK_EQUAL(await_live(1), 1);
  // A rejected socket's data is gone with its verdict.
  post(sid, "40/private,");
  std::string got;
  for (int i = 0; i < 5 && !contains(got, "44/private,"); ++i)
    got += poll(sid).body;
  BOOST_CHECK_MESSAGE(contains(got, R"(44/private,{"message":"nope"})"), got);
  BOOST_CHECK_EQUAL(counted_data::live.load(), 1);
  // Kept across events: [events so far, sockets].
  post(sid, R"(421["x"])");
  BOOST_CHECK_EQUAL(poll(sid).body, "431[1,1]");
  post(sid, R"(422["x"])");
  BOOST_CHECK_EQUAL(poll(sid).body, "432[2,1]");
  auto other = handshake();
  post(other, R"(40{"n":"bob"})");
  BOOST_CHECK_EQUAL(expect<std::string>(), R"(connected {"n":"bob"})");
  poll(other); // its CONNECT answer
  post(other, R"(423["x"])");
  BOOST_CHECK_EQUAL(poll(other).body, "433[1,2]");
  BOOST_CHECK_EQUAL(await_live(2), 2);
  // Destroyed right after on_disconnect, with what it held.
  post(sid, "41");
  BOOST_CHECK_EQUAL(expect<std::string>(), R"(gone {"n":"alice"} after 2)");
  BOOST_CHECK_EQUAL(await_live(1), 1);
  svc->stop();
  BOOST_CHECK_EQUAL(expect<std::string>(5s), R"(gone {"n":"bob"} after 1)");
  BOOST_CHECK_EQUAL(await_live(0), 0);
}

BOOST_AUTO_TEST_SUITE_END()

// -- stage ---------------------------------------------------------------------

namespace {

/// Reports what it sees as text, then: turns /blocked away itself, adds a
/// claim to every connect it passes on; answers `secret` itself, renames
/// `rename` to `renamed` (a rewritten packet) before passing it on.
class test_stage final : public sio::stage {
public:
  explicit test_stage(caf::actor observer) : observer_(std::move(observer)) {}

  std::optional<sio::connect_verdict> on_connect(sio::connect_event& ev) override {
    caf::anon_send(observer_, "stage connect " + ev.socket.nsp);
    if (ev.socket.nsp == "/blocked")
      return sio::connect_verdict::reject(sio::error_payload("stage says no"));
    if (ev.socket.nsp == "/throw")
      throw std::runtime_error("stage boom");
    ev.claims.push_back({"stage", {"seen"}});
    return std::nullopt;
  }

  void on_connected(const sio::connected_event& ev) override {
    caf::anon_send(observer_, "stage connected " + ev.socket.nsp);
  }

  void on_disconnected(const sio::disconnected_event& ev) override {
    caf::anon_send(observer_, "stage disconnected " + ev.socket.nsp);
  }

  std::optional<sio::message_reply> on_message(sio::message_event& ev) override {
    caf::anon_send(observer_, "stage message " + ev.event_name);
    if (ev.event_name == "secret")
      return sio::message_reply{ack_text(ev, R"(["from stage"])")};
    if (ev.event_name == "rename") {
      ev.event_name = "renamed";
      ev.packet = "42" + std::to_string(ev.ack_id) + R"(["renamed",1])";
      ev.args_offset = 0;
    }
    return std::nullopt;
  }

private:
  caf::actor observer_;
};

/// A test_stage in front of a recording_handler.
struct stage_fixture : sio_test::service_fixture {
  stage_fixture()
    : service_fixture([](sio::service& svc, caf::actor obs) {
        svc.set_handler("test", [obs](caf::actor_system& sys, sio::hub_actor hub) {
          return sio::spawn_handler(sys, std::move(hub),
                                    std::make_unique<recording_handler>(obs));
        });
        svc.add_stage("test", [obs](caf::actor_system& sys, sio::hub_actor hub,
                                sio::event_handler_actor next) {
          BOOST_CHECK(next);
          return sio::spawn_stage(sys, std::move(hub), std::move(next),
                                  std::make_unique<test_stage>(obs));
        });
      }) {}

  /// What the observer gets next, as text: a stage's report, or "handler
  /// <event> <namespace>" for what the handler saw.
  std::string next_report(std::chrono::milliseconds timeout = 5s) {
    std::string out = "nothing";
    (*observer)->receive(
      [&](std::string& s) { out = std::move(s); },
      [&](sio::connect_event& ev) { out = "handler connect " + ev.socket.nsp; },
      [&](sio::connected_event& ev) { out = "handler connected " + ev.socket.nsp; },
      [&](sio::disconnected_event& ev) { out = "handler disconnected " + ev.socket.nsp; },
      [&](sio::message_event& ev) { out = "handler message " + ev.event_name; },
      caf::after(timeout) >> [] {});
    return out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(stage_in_a_service, stage_fixture)

BOOST_AUTO_TEST_CASE(passes_on_what_it_does_not_answer) {
  auto sid = handshake();
  post(sid, "40");
  BOOST_CHECK_EQUAL(next_report(), "stage connect /");
  // The connect reaches the handler with the stage's claim added.
  auto ev = expect<sio::connect_event>();
  bool claimed = false;
  for (auto& [k, v] : ev.claims)
    claimed = claimed || (k == "stage" && v == std::vector<std::string>{"seen"});
  BOOST_CHECK(claimed);
  BOOST_CHECK(contains(poll(sid).body, R"(40{"sid":")"));
  // Connected: the stage sees it before the handler does.
  BOOST_CHECK_EQUAL(next_report(), "stage connected /");
  BOOST_CHECK_EQUAL(next_report(), "handler connected /");
  // An event passed on unchanged (the packet as sent, its argument offset).
  post(sid, R"(425["ping",1])");
  BOOST_CHECK_EQUAL(next_report(), "stage message ping");
  auto msg = expect<sio::message_event>();
  BOOST_CHECK_EQUAL(msg.packet, R"(425["ping",1])");
  BOOST_CHECK_EQUAL(msg.args_offset, std::string{R"(425["ping")"}.size());
  BOOST_CHECK_EQUAL(poll(sid).body, R"(435["pong"])");
  // Disconnected: the stage first, then the handler, once each.
  post(sid, "41");
  BOOST_CHECK_EQUAL(next_report(), "stage disconnected /");
  BOOST_CHECK_EQUAL(next_report(), "handler disconnected /");
  BOOST_CHECK_EQUAL(next_report(500ms), "nothing");
}

BOOST_AUTO_TEST_CASE(answers_a_connect_or_an_event_itself) {
  auto sid = handshake();
  post(sid, "40/blocked,");
  BOOST_CHECK_EQUAL(next_report(), "stage connect /blocked");
  BOOST_CHECK_EQUAL(poll(sid).body, R"(44/blocked,{"message":"stage says no"})");
  // Neither the handler nor anyone else hears of the rejected socket.
  post(sid, "40");
  BOOST_CHECK_EQUAL(next_report(), "stage connect /");
  BOOST_CHECK_EQUAL(next_report(), "handler connect /");
  poll(sid);
  BOOST_CHECK_EQUAL(next_report(), "stage connected /");
  BOOST_CHECK_EQUAL(next_report(), "handler connected /");
  post(sid, R"(426["secret"])");
  BOOST_CHECK_EQUAL(next_report(), "stage message secret");
  BOOST_CHECK_EQUAL(poll(sid).body, R"(436["from stage"])");
  // An exception in the stage's on_connect rejects as a failed handler.
  post(sid, "40/throw,");
  BOOST_CHECK_EQUAL(next_report(), "stage connect /throw");
  BOOST_CHECK_EQUAL(poll(sid).body,
                    R"(44/throw,{"message":"event handler failed: stage boom"})");
  BOOST_CHECK_EQUAL(next_report(500ms), "nothing");
}

BOOST_AUTO_TEST_CASE(sockets_open_when_the_service_stops_reach_the_end_of_the_pipeline) {
  connected_session();
  BOOST_CHECK_EQUAL(next_report(), "stage connect /");
  BOOST_CHECK_EQUAL(next_report(), "stage connected /");
  // Ending the head ends the handler behind it, after what it passed on.
  svc->stop();
  BOOST_CHECK_EQUAL(next_report(), "stage disconnected /");
  BOOST_CHECK_EQUAL(next_report(), "handler disconnected /");
  BOOST_CHECK_EQUAL(next_report(500ms), "nothing");
}

BOOST_AUTO_TEST_CASE(changes_an_event_before_passing_it_on) {
  auto sid = connected_session();
  BOOST_CHECK_EQUAL(next_report(), "stage connect /");
  BOOST_CHECK_EQUAL(next_report(), "stage connected /");
  post(sid, R"(427["rename"])");
  BOOST_CHECK_EQUAL(next_report(), "stage message rename");
  auto msg = expect<sio::message_event>();
  BOOST_CHECK_EQUAL(msg.event_name, "renamed");
  BOOST_CHECK_EQUAL(msg.packet, R"(427["renamed",1])");
  BOOST_CHECK_EQUAL(msg.args_offset, 0u);
  auto parsed = sio::parse_event(msg);
  BOOST_REQUIRE(parsed);
  BOOST_CHECK_EQUAL(parsed->args, "[1]");
}

BOOST_AUTO_TEST_SUITE_END()

// -- alone: timers, failures, links ----------------------------------------------

namespace {

/// What a ticking handler's calls leave behind, outliving the handler.
struct tick_record {
  std::atomic<int> ticks{0};
  std::atomic<int> afters{0};
  std::atomic<int> overlaps{0};
  std::atomic<bool> busy{false};
  std::atomic<bool> destroyed{false};
  std::atomic<bool> timer_off_actor{false};
};

/// Ticks every 20 ms with a 30 ms callback, once after 50 ms; each event
/// takes 30 ms. Records calls that overlap.
class ticking final : public sio::handler {
public:
  explicit ticking(std::shared_ptr<tick_record> r) : r_(std::move(r)) {}
  ~ticking() override { r_->destroyed = true; }

  void on_start() override {
    every(20ms, [this] {
      busy_for(30ms);
      ++r_->ticks;
    });
    after(50ms, [this] { ++r_->afters; });
  }

  sio::message_reply on_message(const sio::message_event&) override {
    busy_for(30ms);
    return {"ok"};
  }

private:
  void busy_for(std::chrono::milliseconds d) {
    if (r_->busy.exchange(true))
      ++r_->overlaps;
    // A timer runs as a message of this actor.
    if (!self() || !self()->current_mailbox_element())
      r_->timer_off_actor = true;
    std::this_thread::sleep_for(d);
    r_->busy = false;
  }

  std::shared_ptr<tick_record> r_;
};

/// A bare actor system for handlers spawned without a service.
struct system_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;

  system_fixture() {
    sio::register_message_types(cfg);
    cfg.set("scheduler.max-threads", 2);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
  }

  ~system_fixture() { self.reset(); }

  /// Ends `a` and waits (bounded) for it to be gone.
  void stop(const caf::actor& a) {
    (*self)->monitor(a);
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    bool down = false;
    (*self)->receive([&](caf::down_msg&) { down = true; },
                     caf::after(5s) >> [] {});
    BOOST_CHECK(down);
  }
};

sio::connect_event connect_to(std::string nsp) {
  sio::connect_event ev;
  ev.socket.hub = "test";
  ev.socket.nsp = std::move(nsp);
  ev.socket.socket_id = "s1";
  return ev;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(handler_alone, system_fixture)

BOOST_AUTO_TEST_CASE(timers_run_on_the_actor_between_events_and_stop_with_it) {
  auto rec = std::make_shared<tick_record>();
  auto start = std::chrono::steady_clock::now();
  auto h = sio::spawn_handler(*sys, sio::hub_actor{}, std::make_unique<ticking>(rec));
  // Events keep the actor busy while its timers are due.
  for (int i = 0; i < 10; ++i)
    (*self)->request(h, 10s, sio::message_event{}).receive(
      [](sio::message_reply& r) { BOOST_CHECK_EQUAL(r.payload, "ok"); },
      [](caf::error& e) { BOOST_ERROR(caf::to_string(e)); });
  // Long enough for runs armed too early to outnumber the bound below.
  std::this_thread::sleep_until(start + 1200ms);
  for (int i = 0; i < 200 && rec->ticks.load() < 5; ++i)
    std::this_thread::sleep_for(10ms);
  auto ticks = rec->ticks.load();
  auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_CHECK_GE(ticks, 5);
  // Each run is armed after the one before it returned: a 30 ms callback
  // every 20 ms runs at most once per 50 ms, however late the actor is.
  BOOST_CHECK_LE(ticks, elapsed / 50ms + 2);
  BOOST_CHECK_EQUAL(rec->afters.load(), 1);
  BOOST_CHECK_EQUAL(rec->overlaps.load(), 0);
  BOOST_CHECK(!rec->timer_off_actor.load());
  stop(caf::actor_cast<caf::actor>(h));
  BOOST_CHECK(rec->destroyed.load());
  auto at_stop = rec->ticks.load();
  std::this_thread::sleep_for(200ms);
  BOOST_CHECK_EQUAL(rec->ticks.load(), at_stop);
  BOOST_CHECK_EQUAL(rec->afters.load(), 1);
}

BOOST_AUTO_TEST_CASE(an_exception_rejects_a_connect_and_fails_an_event) {
  auto h = sio::spawn_handler(*sys, sio::hub_actor{},
                              std::make_unique<recording_handler>(
                                caf::actor_cast<caf::actor>(*self)));
  (*self)->request(h, 5s, connect_to("/throw")).receive(
    [](sio::connect_verdict&) { BOOST_ERROR("a throwing handler answered"); },
    [&](caf::error& e) {
      BOOST_CHECK_MESSAGE(contains(sys->render(e), "boom"), sys->render(e));
    });
  sio::message_event boom;
  boom.event_name = "explode";
  (*self)->request(h, 5s, boom).receive(
    [](sio::message_reply&) { BOOST_ERROR("a throwing handler answered"); },
    [&](caf::error& e) {
      BOOST_CHECK_MESSAGE(contains(sys->render(e), "kaboom"), sys->render(e));
    });
  // It lives on, its state too.
  sio::message_event count;
  count.event_name = "count";
  count.has_ack = true;
  count.ack_id = 1;
  count.socket.nsp = "/";
  (*self)->request(h, 5s, count).receive(
    [](sio::message_reply& r) { BOOST_CHECK_EQUAL(r.payload, "431[1]"); },
    [](caf::error& e) { BOOST_ERROR(caf::to_string(e)); });
  stop(caf::actor_cast<caf::actor>(h));
}

BOOST_AUTO_TEST_CASE(a_stage_without_next_accepts_and_leaves_events_unanswered) {
  auto s = sio::spawn_stage(
    *sys, sio::hub_actor{}, sio::event_handler_actor{},
    std::make_unique<test_stage>(caf::actor_cast<caf::actor>(*self)));
  (*self)->request(s, 5s, connect_to("/")).receive(
    [](sio::connect_verdict& v) { BOOST_CHECK(v.accepted); },
    [](caf::error& e) { BOOST_ERROR(caf::to_string(e)); });
  (*self)->request(s, 5s, connect_to("/blocked")).receive(
    [](sio::connect_verdict& v) { BOOST_CHECK(!v.accepted); },
    [](caf::error& e) { BOOST_ERROR(caf::to_string(e)); });
  sio::message_event ev;
  ev.event_name = "hello";
  (*self)->request(s, 5s, ev).receive(
    [](sio::message_reply& r) {
      BOOST_CHECK(r.payload.empty());
      BOOST_CHECK(r.close_reason.empty());
    },
    [](caf::error& e) { BOOST_ERROR(caf::to_string(e)); });
  stop(caf::actor_cast<caf::actor>(s));
}

BOOST_AUTO_TEST_CASE(ending_the_head_of_a_pipeline_ends_its_next) {
  auto h = sio::spawn_handler(*sys, sio::hub_actor{},
                              std::make_unique<recording_handler>(
                                caf::actor_cast<caf::actor>(*self)));
  auto s = sio::spawn_stage(
    *sys, sio::hub_actor{}, h,
    std::make_unique<test_stage>(caf::actor_cast<caf::actor>(*self)));
  // A connect answered through the stage: the link is in place.
  (*self)->request(s, 5s, connect_to("/private")).receive(
    [](sio::connect_verdict& v) { BOOST_CHECK_EQUAL(v.error, R"({"message":"nope"})"); },
    [](caf::error& e) { BOOST_ERROR(caf::to_string(e)); });
  (*self)->monitor(h);
  stop(caf::actor_cast<caf::actor>(s));
  bool next_down = false;
  (*self)->receive([&](caf::down_msg& m) { next_down = m.source == h.address(); },
                   caf::after(5s) >> [] {});
  BOOST_CHECK(next_down);
}

BOOST_AUTO_TEST_CASE(socket_data_never_connected_goes_after_its_expiry) {
  BOOST_REQUIRE_EQUAL(counted_data::live.load(), 0);
  auto h = sio::spawn_handler(*sys, sio::hub_actor{},
                              std::make_unique<named_sockets>(
                                caf::actor_cast<caf::actor>(*self), 300ms));
  // Both accepted; only s2's session takes the verdict and says connected.
  auto ev = connect_to("/");
  for (auto id : {"s1", "s2"}) {
    ev.socket.socket_id = id;
    (*self)->request(h, 5s, ev).receive(
      [](sio::connect_verdict& v) { BOOST_CHECK(v.accepted); },
      [](caf::error& e) { BOOST_ERROR(caf::to_string(e)); });
  }
  BOOST_CHECK_EQUAL(counted_data::live.load(), 2);
  ev.socket.socket_id = "s2";
  (*self)->send(h, sio::connected_event{ev.socket});
  (*self)->receive([](std::string& s) { BOOST_CHECK_EQUAL(s, "connected "); },
                   caf::after(5s) >> [] { BOOST_ERROR("no connected report"); });
  BOOST_CHECK_EQUAL(await_live(1), 1);
  std::this_thread::sleep_for(600ms); // twice the expiry: s2 is connected
  BOOST_CHECK_EQUAL(counted_data::live.load(), 1);
  (*self)->send(h, sio::disconnected_event{ev.socket, ""});
  (*self)->receive([](std::string& s) { BOOST_CHECK_EQUAL(s, "gone  after 0"); },
                   caf::after(5s) >> [] { BOOST_ERROR("no disconnect report"); });
  BOOST_CHECK_EQUAL(await_live(0), 0);
  stop(caf::actor_cast<caf::actor>(h));
}

BOOST_AUTO_TEST_SUITE_END()
