// Drives a real service (actor system, hub, sessions, gateway on 127.0.0.1)
// with raw Engine.IO long-polling requests and a custom event_handler actor
// that records what it is told: the public extension point, end to end.
#define BOOST_TEST_MODULE actors
#include <boost/test/unit_test.hpp>

#include "actors/client_session.hpp"
#include "actors/event_payloads.hpp"
#include "tests/actors/service_fixture.hpp"

using namespace std::chrono_literals;
using sio_test::http_reply;

namespace {

/// An event handler that reports every event to `observer` and answers:
/// rejects namespace /private, never answers for /silent (the promise is
/// kept, unanswered), acks `ping` with "pong".
sio::event_handler_actor::behavior_type
recording_handler(sio::event_handler_actor::pointer self, caf::actor observer) {
  using promise = caf::typed_response_promise<sio::connect_verdict>;
  auto unanswered = std::make_shared<std::vector<promise>>();
  return {
    [self, observer,
     unanswered](const sio::connect_event& ev) -> caf::result<sio::connect_verdict> {
      caf::anon_send(observer, ev);
      if (ev.socket.nsp == "/private")
        return sio::connect_verdict::reject(R"({"message":"nope"})");
      if (ev.socket.nsp == "/silent") {
        unanswered->push_back(self->make_response_promise<sio::connect_verdict>());
        return unanswered->back();
      }
      return sio::connect_verdict::accept();
    },
    [observer](const sio::connected_event& ev) { caf::anon_send(observer, ev); },
    [observer](const sio::disconnected_event& ev) {
      caf::anon_send(observer, ev);
    },
    [observer](const sio::message_event& ev) -> sio::message_reply {
      caf::anon_send(observer, ev);
      if (ev.event_name == "ping" && ev.has_ack)
        return {"43" + std::to_string(ev.ack_id) + R"(["pong"])"};
      return {};
    },
  };
}

/// The service with recording_handler as the hub's handler.
struct fixture : sio_test::service_fixture {
  explicit fixture(uint32_t ping_ms = 5000)
    : service_fixture(
        [](sio::service& svc, caf::actor obs) {
          svc.set_handler("test", [obs](caf::actor_system& s, sio::hub_actor) {
            return s.spawn(recording_handler, obs);
          });
        },
        ping_ms) {}
};

struct short_ping_fixture : fixture {
  short_ping_fixture() : fixture(200) {}
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(service_pipeline, fixture)

BOOST_AUTO_TEST_CASE(custom_handler_accepts_and_is_told_the_handshake) {
  auto sid = handshake();
  BOOST_CHECK_EQUAL(post(sid, "40").body, "ok");
  auto ev = expect<sio::connect_event>();
  BOOST_CHECK_EQUAL(ev.socket.hub, "test");
  BOOST_CHECK_EQUAL(ev.socket.nsp, "/");
  BOOST_CHECK_EQUAL(ev.socket.connection_id, sid);
  bool has_eio = false;
  for (auto& [k, v] : ev.query)
    if (k == "EIO" && v == std::vector<std::string>{"4"})
      has_eio = true;
  BOOST_CHECK(has_eio);
  auto r = poll(sid);
  BOOST_CHECK_EQUAL(r.body, R"(40{"sid":")" + ev.socket.socket_id + R"("})");
  auto connected = expect<sio::connected_event>();
  BOOST_CHECK_EQUAL(connected.socket.socket_id, ev.socket.socket_id);
  auto s = stats();
  BOOST_CHECK_EQUAL(s.connections, 1u);
  BOOST_CHECK_EQUAL(s.groups, 2u); // namespace group + socket room
}

BOOST_AUTO_TEST_CASE(rejected_namespace_gets_connect_error_with_message) {
  auto sid = handshake();
  post(sid, "40/private,");
  auto ev = expect<sio::connect_event>();
  BOOST_CHECK_EQUAL(ev.socket.nsp, "/private");
  BOOST_CHECK_EQUAL(poll(sid).body, R"(44/private,{"message":"nope"})");
}

BOOST_AUTO_TEST_CASE(a_connect_the_handler_never_answers_is_rejected_in_time) {
  auto sid = handshake();
  auto start = std::chrono::steady_clock::now();
  post(sid, "40/silent,");
  BOOST_CHECK_EQUAL(expect<sio::connect_event>().socket.nsp, "/silent");
  // Polls come back with pings (every 5 s) until the CONNECT_ERROR is queued.
  std::string got;
  while (got.find("44/silent,") == std::string::npos
         && std::chrono::steady_clock::now() - start < 15s)
    got += poll(sid).body;
  auto waited = std::chrono::steady_clock::now() - start;
  BOOST_CHECK_MESSAGE(
    got.find(R"(44/silent,{"message":"event handler failed: no answer within 5200 ms"})")
      != std::string::npos,
    got);
  BOOST_CHECK(waited >= 5200ms);
  // The connection lives on: another namespace still joins.
  post(sid, "3\x1e" "40");
  expect<sio::connect_event>();
  auto joined = poll(sid).body;
  BOOST_CHECK_MESSAGE(joined.find(R"(40{"sid":")") != std::string::npos, joined);
}

BOOST_AUTO_TEST_CASE(message_reply_is_relayed_as_the_ack) {
  auto sid = connected_session();
  post(sid, R"(427["ping",1])");
  auto msg = expect<sio::message_event>();
  BOOST_CHECK_EQUAL(msg.event_name, "ping");
  BOOST_CHECK_EQUAL(msg.packet, R"(427["ping",1])");
  BOOST_CHECK(msg.has_ack);
  BOOST_CHECK_EQUAL(msg.ack_id, 7u);
  // Where the arguments begin, for parse_event (just past "ping").
  BOOST_CHECK_EQUAL(msg.args_offset, std::string{R"(427["ping")"}.size());
  BOOST_CHECK_EQUAL(poll(sid).body, R"(437["pong"])");
}

BOOST_FIXTURE_TEST_CASE(ping_timeout_disconnects_and_frees_the_session,
                        short_ping_fixture) {
  auto sid = connected_session();
  BOOST_CHECK_EQUAL(stats().connections, 1u);
  // Never poll again: the ping is not answered within 200 + 200 ms.
  auto gone = expect<sio::disconnected_event>(3s);
  BOOST_CHECK_EQUAL(gone.reason, "ping timeout");
  BOOST_CHECK_EQUAL(gone.socket.connection_id, sid);
  expect_hub_empty();
  // A last GET collects what was queued, ending with the close packet;
  // after that the sid is unknown.
  auto r = poll(sid);
  BOOST_CHECK(r.status == 400 || (!r.body.empty() && r.body.back() == '1'));
  BOOST_CHECK_EQUAL(poll(sid).status, 400);
}

BOOST_AUTO_TEST_CASE(an_exit_message_ends_the_session_like_a_server_close) {
  auto sid = connected_session();
  auto entry = svc->sessions().find(sid);
  BOOST_REQUIRE(entry);
  caf::anon_send_exit(entry->session, caf::exit_reason::user_shutdown);
  auto gone = expect<sio::disconnected_event>();
  BOOST_CHECK_EQUAL(gone.reason, "forced server close");
  BOOST_CHECK_EQUAL(gone.socket.connection_id, sid);
  // The sid is unknown at once, not after a wait for a last GET.
  for (int i = 0; i < 100 && svc->sessions().find(sid); ++i)
    std::this_thread::sleep_for(10ms);
  BOOST_CHECK(!svc->sessions().find(sid));
  BOOST_CHECK_EQUAL(poll(sid).status, 400);
  expect_hub_empty();
}

BOOST_AUTO_TEST_CASE(a_stray_timer_tick_leaves_the_session_working) {
  auto sid = connected_session();
  auto entry = svc->sessions().find(sid);
  BOOST_REQUIRE(entry);
  // Every timer kind but the heartbeat with a stale generation (on an open
  // session, which is neither upgrading nor closed), and values that name
  // no timer: all ignored.
  for (uint8_t which : {uint8_t{1}, uint8_t{2}, uint8_t{3}, uint8_t{4}, uint8_t{200}})
    caf::anon_send(entry->session, sio::tick_atom::value, which, uint64_t{12345});
  post(sid, R"(421["ping",1])");
  expect<sio::message_event>();
  BOOST_CHECK_EQUAL(poll(sid).body, R"(431["pong"])");
  BOOST_CHECK_EQUAL(stats().connections, 1u);
}

BOOST_AUTO_TEST_CASE(events_carry_where_their_arguments_begin_for_parse_event) {
  auto sid = handshake();
  post(sid, "40/b,");
  expect<sio::connect_event>();
  poll(sid);
  expect<sio::connected_event>();
  // Namespace, ack id, spaces around the name; then a binary event whose
  // attachment arrives as a second message.
  post(sid, R"(42/b,5[ "spaced" , {"k":[1]} ])");
  auto text = expect<sio::message_event>();
  BOOST_CHECK_EQUAL(text.packet.substr(text.args_offset), R"( , {"k":[1]} ])");
  auto parsed = sio::parse_event(text);
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_CHECK_EQUAL(parsed->nsp, "/b");
  BOOST_CHECK_EQUAL(parsed->name, "spaced");
  BOOST_CHECK_EQUAL(parsed->args, R"([{"k":[1]} ])"); // verbatim, as a full decode gives
  BOOST_CHECK_EQUAL(parsed->ack_id.value_or(0), 5u);
  post(sid, std::string{R"(451-/b,["up",{"_placeholder":true,"num":0}])"} + "\x1e" + "bAQID");
  auto bin = expect<sio::message_event>();
  BOOST_CHECK_EQUAL(bin.packet.substr(bin.args_offset), R"(,{"_placeholder":true,"num":0}])");
  BOOST_TEST_REQUIRE(bin.attachments.size() == 1u);
  parsed = sio::parse_event(bin);
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_CHECK_EQUAL(parsed->args, R"([{"_placeholder":true,"num":0}])");
  BOOST_CHECK(parsed->attachments == bin.attachments);
  BOOST_CHECK(!parsed->ack_id.has_value());
}

BOOST_AUTO_TEST_CASE(a_numeric_event_name_is_its_number_without_blanks) {
  auto sid = connected_session();
  post(sid, "42[ 12 ,\"x\"]");
  auto spaced = expect<sio::message_event>();
  BOOST_CHECK_EQUAL(spaced.event_name, "12");
  BOOST_CHECK_EQUAL(spaced.packet.substr(spaced.args_offset), R"( ,"x"])");
  post(sid, "42[\n-1.5e3]");
  BOOST_CHECK_EQUAL(expect<sio::message_event>().event_name, "-1.5e3");
}

BOOST_AUTO_TEST_CASE(client_namespace_disconnect_keeps_the_other_namespace) {
  auto sid = handshake();
  post(sid, "40\x1e" "40/b,");
  auto a = expect<sio::connect_event>();
  auto b = expect<sio::connect_event>();
  poll(sid);
  expect<sio::connected_event>();
  expect<sio::connected_event>();
  BOOST_CHECK_EQUAL(stats().groups, 4u);
  post(sid, "41/b,");
  auto gone = expect<sio::disconnected_event>();
  BOOST_CHECK_EQUAL(gone.socket.nsp, "/b");
  BOOST_CHECK_EQUAL(gone.reason, "client namespace disconnect");
  BOOST_CHECK_EQUAL(stats().groups, 2u);
  BOOST_CHECK_EQUAL(stats().connections, 1u);
  (void) a;
  (void) b;
}

BOOST_AUTO_TEST_CASE(stop_does_not_wait_for_a_polling_client_between_polls) {
  // A polling client that will never poll again (gone, or between polls):
  // stop() ends its session at once, with its disconnected event, instead
  // of waiting the 2 s a REST close gives the next GET.
  auto sid = connected_session();
  auto started = std::chrono::steady_clock::now();
  svc->stop("server shutting down");
  auto took = std::chrono::steady_clock::now() - started;
  auto gone = expect<sio::disconnected_event>();
  BOOST_CHECK_EQUAL(gone.reason, "server shutting down");
  BOOST_CHECK_EQUAL(gone.socket.connection_id, sid);
  BOOST_CHECK_MESSAGE(took < 1500ms, "stop() took "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
