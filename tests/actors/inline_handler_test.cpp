// The inline handler (<sio/inline_handler.hpp>) in a real service: the
// sessions call it directly, with the same outcomes an event_handler_actor
// gives (verdicts, acks, closes, failures), alone, behind a pipeline stage,
// and wrapped as an actor.
#include <boost/test/unit_test.hpp>

#include <sio/inline_handler.hpp>
#include "lib/metrics/metrics.hpp"
#include "actors/event_payloads.hpp"
#include "lib/routing/group_name.hpp"
#include "tests/actors/service_fixture.hpp"

#include <atomic>
#include <stdexcept>

using namespace std::chrono_literals;

namespace {

/// Reports every call to `observer` and answers: rejects /private, throws
/// on /throw, accepts /vip as user "vip" joined to room "lounge"; acks
/// `ping` with ["pong","inline"], throws on `explode`, closes on `bye`.
class recording_inline final : public sio::inline_handler {
public:
  explicit recording_inline(caf::actor observer) : observer_(std::move(observer)) {}

  sio::connect_verdict on_connect(const sio::connect_event& ev) override {
    ++calls;
    caf::anon_send(observer_, ev);
    if (ev.socket.nsp == "/private")
      return sio::connect_verdict::reject(sio::error_payload("nope"));
    if (ev.socket.nsp == "/throw")
      throw std::runtime_error("boom");
    if (ev.socket.nsp == "/vip")
      return sio::connect_verdict::accept_as(
        "vip", {sio::routing::room_group(ev.socket.nsp, "lounge")});
    return sio::connect_verdict::accept();
  }

  void on_connected(const sio::connected_event& ev) override {
    ++calls;
    caf::anon_send(observer_, ev);
  }

  void on_disconnected(const sio::disconnected_event& ev) override {
    ++calls;
    caf::anon_send(observer_, ev);
  }

  sio::message_reply on_message(const sio::message_event& ev) override {
    ++calls;
    caf::anon_send(observer_, ev);
    if (ev.event_name == "explode")
      throw std::logic_error("kaboom");
    if (ev.event_name == "bye")
      return sio::message_reply::close("handler says bye");
    if (ev.event_name == "ping" && ev.has_ack)
      return {"43" + (ev.socket.nsp == "/" ? "" : ev.socket.nsp + ",")
              + std::to_string(ev.ack_id) + R"(["pong","inline"])"};
    return {};
  }

  std::atomic<int> calls{0};

private:
  caf::actor observer_;
};

/// Where the factory leaves the handler it made; a base of inline_fixture
/// ahead of the service, so that it exists when the service starts.
struct made_holder {
  std::shared_ptr<std::shared_ptr<recording_inline>> made
    = std::make_shared<std::shared_ptr<recording_inline>>();
};

/// The hub's handler is a recording_inline (`made` points to it).
struct inline_fixture : made_holder, sio_test::service_fixture {
  inline_fixture()
    : service_fixture([this](sio::service& svc, caf::actor obs) {
        // An actor handler set first is replaced: the last call wins.
        svc.set_handler("test", [](caf::actor_system&, sio::hub_actor) {
          return sio::event_handler_actor{};
        });
        svc.set_inline_handler("test", [obs, m = made](caf::actor_system&,
                                                       sio::hub_actor) {
          *m = std::make_shared<recording_inline>(obs);
          return *m;
        });
      }) {}

  /// Polls until `what` shows up (the CONNECT answer and acks are queued
  /// right after the POST; a ping may come first).
  std::string rendered_metrics() { return svc->metrics().render(); }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(inline_handler, inline_fixture)

BOOST_AUTO_TEST_CASE(sessions_call_it_for_verdicts_events_and_acks) {
  auto sid = connected_session();
  BOOST_REQUIRE(*made);
  post(sid, R"(423["ping",1])");
  auto msg = expect<sio::message_event>();
  BOOST_CHECK_EQUAL(msg.event_name, "ping");
  BOOST_CHECK_EQUAL(msg.socket.connection_id, sid);
  BOOST_CHECK_EQUAL(msg.ack_id, 3u);
  BOOST_CHECK_EQUAL(msg.packet.substr(msg.args_offset), ",1]");
  BOOST_CHECK_EQUAL(poll(sid).body, R"(433["pong","inline"])");
  // Rejected: CONNECT_ERROR with the handler's payload; no connected event.
  post(sid, "40/private,");
  BOOST_CHECK_EQUAL(expect<sio::connect_event>().socket.nsp, "/private");
  BOOST_CHECK_EQUAL(poll(sid).body, R"(44/private,{"message":"nope"})");
  // connect + connected for "/", connect for /private, the message.
  BOOST_CHECK_EQUAL((*made)->calls.load(), 4);
  auto s = stats();
  BOOST_CHECK_EQUAL(s.connections, 1u);
  BOOST_CHECK_EQUAL(s.groups, 2u); // namespace group + socket room
}

BOOST_AUTO_TEST_CASE(an_accept_as_verdict_sets_the_user_and_joins_its_groups) {
  auto sid = handshake();
  post(sid, "40/vip,");
  expect<sio::connect_event>();
  BOOST_CHECK(contains(poll_for(sid, "40/vip,"), R"(40/vip,{"sid":")"));
  expect<sio::connected_event>();
  // Namespace group, socket room and the verdict's room.
  BOOST_CHECK_EQUAL(stats().groups, 3u);
  post(sid, R"(42/vip,["hello"])");
  BOOST_CHECK_EQUAL(expect<sio::message_event>().socket.user_id, "vip");
}

BOOST_AUTO_TEST_CASE(an_exception_rejects_the_connect_and_drops_the_event) {
  auto sid = connected_session();
  post(sid, "40/throw,");
  expect<sio::connect_event>();
  BOOST_CHECK_EQUAL(poll_for(sid, "44/throw,"),
                    R"(44/throw,{"message":"event handler failed: boom"})");
  post(sid, R"(421["explode"])");
  BOOST_CHECK_EQUAL(expect<sio::message_event>().event_name, "explode");
  // The session lives on: the next event is answered, and only it.
  post(sid, R"(422["ping"])");
  expect<sio::message_event>();
  BOOST_CHECK_EQUAL(poll(sid).body, R"(432["pong","inline"])");
  auto m = rendered_metrics();
  BOOST_CHECK_MESSAGE(
    contains(m, R"(sio_rejected_total{hub="test",reason="event_handler_failed"} 1)"), m);
  BOOST_CHECK_MESSAGE(
    contains(m, R"(sio_rejected_total{hub="test",reason="connect_handler_failed"} 1)"), m);
  BOOST_CHECK_EQUAL(stats().connections, 1u);
}

BOOST_AUTO_TEST_CASE(a_close_reply_closes_the_connection_with_its_reason) {
  auto sid = connected_session();
  post(sid, R"(42["bye"])");
  expect<sio::message_event>();
  auto gone = expect<sio::disconnected_event>();
  BOOST_CHECK_EQUAL(gone.reason, "handler says bye");
  BOOST_CHECK_EQUAL(gone.socket.connection_id, sid);
  expect_hub_empty();
}

BOOST_AUTO_TEST_CASE(each_accepted_socket_is_disconnected_once) {
  auto sid = two_namespace_session();
  post(sid, "41/b,");
  auto b = expect<sio::disconnected_event>();
  BOOST_CHECK_EQUAL(b.socket.nsp, "/b");
  BOOST_CHECK_EQUAL(b.reason, "client namespace disconnect");
  // Closing the connection ends "/" only: /b was told already.
  post(sid, "1");
  auto root = expect<sio::disconnected_event>();
  BOOST_CHECK_EQUAL(root.socket.nsp, "/");
  BOOST_CHECK_EQUAL(root.reason, "transport close");
  expect_hub_empty();
  (*observer)->receive(
    [](const sio::disconnected_event& ev) {
      BOOST_ERROR("a second disconnected event for " << ev.socket.nsp);
    },
    caf::after(300ms) >> [] {});
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// A pipeline stage that reports each event's name, then hands it on.
sio::event_handler_actor::behavior_type
naming_stage(sio::event_handler_actor::pointer self, caf::actor observer,
             sio::event_handler_actor next) {
  self->link_to(next);
  return {
    [self, next](const sio::connect_event& ev) {
      return self->delegate(next, ev);
    },
    [self, next](const sio::connected_event& ev) { self->send(next, ev); },
    [self, next](const sio::disconnected_event& ev) { self->send(next, ev); },
    [self, observer, next](const sio::message_event& ev) {
      caf::anon_send(observer, std::string{"stage saw " + ev.event_name});
      return self->delegate(next, ev);
    },
  };
}

/// recording_inline behind naming_stage: the pipeline's `next` is the
/// inline handler wrapped as an actor.
struct pipeline_fixture : sio_test::service_fixture {
  pipeline_fixture()
    : service_fixture([](sio::service& svc, caf::actor obs) {
        svc.set_inline_handler("test", [obs](caf::actor_system&, sio::hub_actor) {
          return std::make_shared<recording_inline>(obs);
        });
        svc.add_stage("test", [obs](caf::actor_system& sys, sio::hub_actor,
                                       sio::event_handler_actor next) {
          BOOST_CHECK(next); // the inline handler, as an actor
          return sys.spawn(naming_stage, obs, next);
        });
      }) {}
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(inline_handler_in_a_pipeline, pipeline_fixture)

BOOST_AUTO_TEST_CASE(stages_reach_it_through_its_actor) {
  auto sid = connected_session();
  post(sid, R"(428["ping"])");
  BOOST_CHECK_EQUAL(expect<std::string>(), "stage saw ping");
  expect<sio::message_event>();
  BOOST_CHECK_EQUAL(poll(sid).body, R"(438["pong","inline"])");
  // Its exceptions come back as errors: the connect is rejected, the
  // adapter (and with it the hub's handler) lives on.
  post(sid, "40/throw,");
  expect<sio::connect_event>();
  std::string got;
  for (int i = 0; i < 5 && !contains(got, "44/throw,"); ++i)
    got += poll(sid).body;
  BOOST_CHECK_MESSAGE(contains(got, "44/throw,") && contains(got, "boom"), got);
  post(sid, R"(429["ping"])");
  BOOST_CHECK_EQUAL(expect<std::string>(), "stage saw ping");
  expect<sio::message_event>();
  BOOST_CHECK_EQUAL(poll(sid).body, R"(439["pong","inline"])");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(inline_handler_actor)

BOOST_AUTO_TEST_CASE(answers_requests_and_turns_exceptions_into_errors) {
  caf::actor_system_config cfg;
  sio::register_message_types(cfg);
  cfg.set("scheduler.max-threads", 2);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto h = std::make_shared<recording_inline>(caf::actor_cast<caf::actor>(self));
  auto a = sio::spawn_inline_handler_actor(sys, h);
  sio::connect_event ev;
  ev.socket.nsp = "/private";
  self->request(a, 2s, ev).receive(
    [](sio::connect_verdict& v) {
      BOOST_CHECK(!v.accepted);
      BOOST_CHECK_EQUAL(v.error, R"({"message":"nope"})");
    },
    [](caf::error& e) { BOOST_ERROR("unexpected error " << caf::to_string(e)); });
  ev.socket.nsp = "/throw";
  self->request(a, 2s, ev).receive(
    [](sio::connect_verdict&) { BOOST_ERROR("a throwing handler answered"); },
    [&](caf::error& e) {
      BOOST_CHECK_MESSAGE(contains(sys.render(e), "boom"), sys.render(e));
    });
  sio::message_event msg;
  msg.socket.nsp = "/";
  msg.event_name = "ping";
  msg.has_ack = true;
  msg.ack_id = 4;
  self->request(a, 2s, msg).receive(
    [](sio::message_reply& r) { BOOST_CHECK_EQUAL(r.payload, R"(434["pong","inline"])"); },
    [](caf::error& e) { BOOST_ERROR("unexpected error " << caf::to_string(e)); });
  // The observer (this scoped actor) got the three events the handler saw.
  int seen = 0;
  self->receive_while([&] { return seen < 3; })(
    [&](const sio::connect_event&) { ++seen; },
    [&](const sio::message_event&) { ++seen; },
    caf::after(2s) >> [&] { seen = 99; });
  BOOST_CHECK_EQUAL(seen, 3);
  BOOST_CHECK_EQUAL(h->calls.load(), 3);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
