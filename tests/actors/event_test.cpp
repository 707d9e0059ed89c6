// sio::event (<sio/event.hpp>): reading text and binary events as the
// session hands them over (with its args_offset) and as built by hand
// (decoded from the packet), and the replies ack / emit_back / reject
// build: the exact Engine.IO payloads Socket.IO sends.
#include <sio/event.hpp>

#include "tests/actors/session_event.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace {

using sio_test::as_session_would;
using sio_test::segment;

/// The same event as a stage that built it by hand: no offset.
sio::message_event by_hand(sio::message_event ev) {
  ev.args_offset = 0;
  return ev;
}

} // namespace

BOOST_AUTO_TEST_SUITE(event)

BOOST_AUTO_TEST_CASE(a_text_event_reads_the_same_with_and_without_the_offset) {
  auto session = as_session_would(R"(2/chat,7["say","hi",{"n":[1,2]},null])");
  for (const auto& ev : {session, by_hand(session)}) {
    auto e = sio::event::read(ev);
    BOOST_TEST_REQUIRE(e.has_value());
    BOOST_TEST(e->name() == "say");
    BOOST_TEST(e->nsp() == "/chat");
    BOOST_TEST(e->size() == 3u);
    BOOST_TEST(e->arg(0)->GetString() == std::string{"hi"});
    BOOST_TEST((*e->arg(1))["n"][1].GetInt() == 2);
    BOOST_TEST(e->arg(2)->IsNull());
    BOOST_TEST(e->arg(3) == nullptr);
    BOOST_TEST(e->args().IsArray());
    BOOST_TEST(e->wants_ack());
    BOOST_TEST(e->attachments().empty());
    BOOST_TEST(e->binary_at(*e->arg(1)) == nullptr);
  }
}

BOOST_AUTO_TEST_CASE(an_event_without_arguments_or_ack) {
  auto e = sio::event::read(as_session_would(R"(2["ping"])"));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->name() == "ping");
  BOOST_TEST(e->nsp() == "/");
  BOOST_TEST(e->size() == 0u);
  BOOST_TEST(e->arg(0) == nullptr);
  BOOST_TEST(!e->wants_ack());
}

BOOST_AUTO_TEST_CASE(a_binary_event_resolves_its_placeholders) {
  std::string one{"\x00\x01\x02", 3}, two{"\xFF"};
  auto session = as_session_would(
    R"(52-/up,9["file",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}],"x"])",
    {one, two});
  for (const auto& ev : {session, by_hand(session)}) {
    auto e = sio::event::read(ev);
    BOOST_TEST_REQUIRE(e.has_value());
    BOOST_TEST(e->name() == "file");
    BOOST_TEST(e->nsp() == "/up");
    BOOST_TEST(e->size() == 3u);
    BOOST_TEST_REQUIRE(e->attachments().size() == 2u);
    auto* first = e->binary_at(*e->arg(0));
    BOOST_TEST_REQUIRE(first != nullptr);
    BOOST_TEST(*first == two);
    auto* nested = e->binary_at((*e->arg(1))[0]);
    BOOST_TEST_REQUIRE(nested != nullptr);
    BOOST_TEST(*nested == one);
    BOOST_TEST(e->binary_at(*e->arg(2)) == nullptr);
    BOOST_TEST(e->wants_ack());
  }
}

BOOST_AUTO_TEST_CASE(a_placeholder_out_of_range_is_no_binary) {
  // Only the session's decoder checks placeholders; a text event that
  // carries one (or a stage's hand-made event) must not index past the
  // attachments.
  sio::message_event ev;
  ev.socket.nsp = "/";
  ev.event_name = "e";
  ev.packet = R"(42["e",{"_placeholder":true,"num":0},{"_placeholder":false,"num":0}])";
  auto e = sio::event::read(ev);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->binary_at(*e->arg(0)) == nullptr);
  ev.attachments = {"bytes"};
  e = sio::event::read(ev);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->binary_at(*e->arg(1)) == nullptr);
}

BOOST_AUTO_TEST_CASE(what_is_not_an_event_reads_as_nothing) {
  for (std::string packet : {"", "4", "40", R"(43["e"])", R"(42{"e":1})", R"(42["e",)",
                             R"(42[])", "2probe"}) {
    sio::message_event ev;
    ev.socket.nsp = "/";
    ev.packet = packet;
    BOOST_TEST(!sio::event::read(ev).has_value(), packet);
  }
}

BOOST_AUTO_TEST_CASE(ack_answers_with_an_ack_packet) {
  auto ev = as_session_would(R"(2/chat,7["say","hi"])");
  BOOST_TEST(sio::ack(ev).payload == R"(43/chat,7[])");
  BOOST_TEST(sio::ack(ev, 42, "ok").payload == R"(43/chat,7[42,"ok"])");
  sio::args a{"n", std::vector<int>{1}};
  BOOST_TEST(sio::ack(ev, a).payload == R"(43/chat,7["n",[1]])");
}

BOOST_AUTO_TEST_CASE(ack_with_binary_is_a_binary_ack_with_its_attachments) {
  // The event's own attachments do not go back: only the ack's.
  auto ev = as_session_would(R"(51-7["up",{"_placeholder":true,"num":0}])", {"in"});
  std::string bytes{"\x00\xFE", 2};
  auto reply = sio::ack(ev, "stored", sio::binary{bytes}, sio::binary{"zz"});
  BOOST_TEST(reply.payload
             == R"(462-7["stored",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"
                  + segment(bytes) + segment("zz"));
}

BOOST_AUTO_TEST_CASE(no_ack_for_an_event_that_wants_none) {
  auto ev = as_session_would(R"(2["fire"])");
  auto reply = sio::ack(ev, 1);
  BOOST_TEST(reply.payload.empty());
  BOOST_TEST(reply.close_reason.empty());
}

BOOST_AUTO_TEST_CASE(emit_back_sends_an_event_to_the_sender) {
  auto ev = as_session_would(R"(2/chat,7["say","hi"])");
  BOOST_TEST(sio::emit_back(ev, "said").payload == R"(42/chat,["said"])");
  BOOST_TEST(sio::emit_back(ev, "said \"x\"", sio::args{1, "two"}).payload
             == R"(42/chat,["said \"x\"",1,"two"])");
  auto root = as_session_would(R"(2["e"])");
  BOOST_TEST(sio::emit_back(root, "bin", sio::args{sio::binary{"b"}}).payload
             == R"(451-["bin",{"_placeholder":true,"num":0}])" + segment("b"));
}

BOOST_AUTO_TEST_CASE(reject_builds_the_connect_error_payload) {
  auto plain = sio::reject("Not \"authorized\"");
  BOOST_TEST(!plain.accepted);
  BOOST_TEST(plain.error == R"({"message":"Not \"authorized\""})");

  sio::args one{sio::raw_json{R"({"code":4})"}};
  BOOST_TEST(sio::reject("no", &one).error == R"({"message":"no","data":{"code":4}})");
  sio::args several{1, "two"};
  BOOST_TEST(sio::reject("no", &several).error == R"({"message":"no","data":[1,"two"]})");
  sio::args none;
  BOOST_TEST(sio::reject("no", &none).error == R"({"message":"no"})");
  // A CONNECT_ERROR has no attachments: binary data is left out.
  sio::args binary{sio::binary{"b"}};
  BOOST_TEST(sio::reject("no", &binary).error == R"({"message":"no"})");
}

BOOST_AUTO_TEST_SUITE_END()
