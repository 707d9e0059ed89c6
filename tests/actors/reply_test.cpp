// parse_event: the session's shortcut (message_event::args_offset, set
// where the validated packet's arguments begin) must give exactly what a
// full decode of the packet gives, and a bad or missing offset must fall
// back to the decode.
#include <boost/test/unit_test.hpp>

#include "actors/event_payloads.hpp"
#include "tests/actors/session_event.hpp"

#include <string>
#include <vector>

namespace {

using sio_test::as_session_would;
using sio_test::segment;

void check_same(const sio::parsed_event& a, const sio::parsed_event& b, const std::string& what) {
  BOOST_TEST(a.nsp == b.nsp, what);
  BOOST_TEST(a.name == b.name, what);
  BOOST_TEST(a.args == b.args, what);
  BOOST_TEST((a.attachments == b.attachments), what);
  BOOST_TEST((a.ack_id == b.ack_id), what);
}

} // namespace

BOOST_AUTO_TEST_SUITE(reply)

BOOST_AUTO_TEST_CASE(the_sessions_offset_gives_what_a_full_decode_gives) {
  const std::vector<std::string> texts = {
    R"(2["e"])",
    R"(2["e",1,"two",{"three":[3]}])",
    R"(27["e","hello"])",
    R"(2/chat,["e",true])",
    R"(2/chat,42[ "spaced" , 1 , [ 2 ] ])",
    R"(2[12,"numeric name"])",
    R"(2["é\u00e9",null])",
    R"(2[ "only" ])",
  };
  for (auto& text : texts) {
    auto ev = as_session_would(text);
    auto fast = sio::parse_event(ev);
    ev.args_offset = 0;
    auto full = sio::parse_event(ev);
    BOOST_TEST_REQUIRE(fast.has_value(), text);
    BOOST_TEST_REQUIRE(full.has_value(), text);
    check_same(*fast, *full, text);
  }
  // A binary event: placeholders stay in the arguments, attachments follow.
  std::string bin = R"(51-/up,9["file",{"_placeholder":true,"num":0},"x"])";
  auto ev = as_session_would(bin, {std::string("\x00\x01\x02", 3)});
  auto fast = sio::parse_event(ev);
  ev.args_offset = 0;
  auto full = sio::parse_event(ev);
  BOOST_TEST_REQUIRE(fast.has_value());
  BOOST_TEST_REQUIRE(full.has_value());
  check_same(*fast, *full, bin);
  BOOST_TEST(fast->args == R"([{"_placeholder":true,"num":0},"x"])");
  BOOST_TEST(*fast->ack_id == 9u);
}

BOOST_AUTO_TEST_CASE(without_a_usable_offset_the_packet_is_decoded_and_checked) {
  auto ev = as_session_would(R"(23["e","a"])");
  ev.args_offset = ev.packet.size() + 1; // past the end: ignored
  auto p = sio::parse_event(ev);
  BOOST_TEST_REQUIRE(p.has_value());
  BOOST_TEST(p->args == R"(["a"])");
  // A stage rewrote the packet and kept the old offset: it no longer points
  // past element [0] (no ',' or ']' there), so the packet is decoded.
  auto stale = as_session_would(R"(2["e","a"])");
  stale.packet = R"(42["longer-name","b"])";
  p = sio::parse_event(stale);
  BOOST_TEST_REQUIRE(p.has_value());
  BOOST_TEST(p->args == R"(["b"])");
  BOOST_TEST(p->name == "longer-name");
  // Not an event: the offset does not make it one.
  sio::message_event connect;
  connect.packet = R"(40{"token":1})";
  connect.args_offset = 3;
  BOOST_TEST(!sio::parse_event(connect).has_value());
  // Built by hand without an offset: invalid JSON is refused by the decode.
  sio::message_event bad;
  bad.packet = R"(42["e",)";
  BOOST_TEST(!sio::parse_event(bad).has_value());
}

// The ack helpers that skip parsed_event answer exactly as the ones that
// take it, for text and binary events, in "/" and in other namespaces.
BOOST_AUTO_TEST_CASE(event_args_and_ack_from_the_event_match_parse_event) {
  struct sample {
    std::string text;
    std::vector<std::string> attachments;
  };
  const std::vector<sample> samples = {
    {R"(27["e","hello"])", {}},
    {R"(2/chat,42[ "spaced" , 1 , [ 2 ] ])", {}},
    {R"(25["only"])", {}},
    {R"(28[12,"numeric name"])", {}},
    {R"(51-/up,9["file",{"_placeholder":true,"num":0},"x"])",
     {std::string("\x00\x01\x02", 3)}},
  };
  for (auto& [text, attachments] : samples) {
    auto ev = as_session_would(text, attachments);
    for (size_t offset : {ev.args_offset, size_t{0}}) { // fast path, then decode
      ev.args_offset = offset;
      auto parsed = sio::parse_event(ev);
      auto args = sio::event_args(ev);
      BOOST_TEST_REQUIRE(parsed.has_value(), text);
      BOOST_TEST_REQUIRE(args.has_value(), text);
      BOOST_TEST(*args == parsed->args, text);
      BOOST_TEST(sio::ack_payload(ev, *args) == sio::ack_payload(*parsed, *args), text);
    }
  }
  auto ev = as_session_would(R"(2/chat,7["e",1,"two"])");
  BOOST_TEST(*sio::event_args(ev) == R"([1,"two"])");
  BOOST_TEST(sio::ack_payload(ev, *sio::event_args(ev)) == R"(43/chat,7[1,"two"])");
  auto bin = as_session_would(R"(51-3["f",{"_placeholder":true,"num":0}])", {"ab"});
  BOOST_TEST(sio::ack_payload(bin, "[1]") == "461-3[1]\x1e" "bYWI=");
  // Not an event, or not valid: no arguments.
  sio::message_event bad;
  bad.packet = R"(42["e",)";
  BOOST_TEST(!sio::event_args(bad).has_value());
  bad.packet = R"(40{"token":1})";
  bad.args_offset = 3;
  BOOST_TEST(!sio::event_args(bad).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
