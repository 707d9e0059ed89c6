// sio::args_of (<sio/event.hpp>) and args::from_json_array: a client's
// arguments passed on byte for byte (numbers and escapes as the client wrote
// them), binary attachments included, with and without the session's
// args_offset; what is not an event gives nothing.
#include <sio/event.hpp>

#include "tests/actors/session_event.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace {

using sio_test::as_session_would;
using sio_test::segment;

} // namespace

BOOST_AUTO_TEST_SUITE(args_of)

BOOST_AUTO_TEST_CASE(text_arguments_go_back_as_the_client_wrote_them) {
  auto ev = as_session_would(R"(2/chat,7["say",1.50,"\u00e9\/",{"a":[ ]},null])");
  for (bool offset : {true, false}) {
    auto e = ev;
    if (!offset)
      e.args_offset = 0;
    auto a = sio::args_of(e);
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->json() == R"([1.50,"\u00e9\/",{"a":[ ]},null])");
    BOOST_TEST(sio::ack(e, *a).payload == R"(43/chat,7[1.50,"\u00e9\/",{"a":[ ]},null])");
    BOOST_TEST(sio::emit_back(e, "echo", *a).payload
               == R"(42/chat,["echo",1.50,"\u00e9\/",{"a":[ ]},null])");
  }
}

BOOST_AUTO_TEST_CASE(an_event_without_arguments_has_none) {
  auto ev = as_session_would(R"(27["ping"])");
  auto a = sio::args_of(ev);
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->empty());
  BOOST_TEST(sio::ack(ev, *a).payload == "437[]");
}

BOOST_AUTO_TEST_CASE(nested_binary_arguments_keep_their_attachments) {
  std::string bytes{"\x00\xFF", 2};
  auto ev = as_session_would(
    R"(52-7["up",{"x":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}]])",
    {bytes, "two"});
  auto a = sio::args_of(ev);
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST((a->attachments() == std::vector<std::string>{bytes, "two"}));
  BOOST_TEST(sio::ack(ev, *a).payload
             == R"(462-7[{"x":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}]])"
                  + segment(bytes) + segment("two"));
}

BOOST_AUTO_TEST_CASE(what_is_not_an_event_gives_nothing) {
  sio::message_event ev;
  ev.packet = "4garbage";
  BOOST_TEST(!sio::args_of(ev).has_value());
  ev.packet = "42[";
  BOOST_TEST(!sio::args_of(ev).has_value());
}

BOOST_AUTO_TEST_CASE(from_json_array_numbers_later_binaries_after_its_own) {
  BOOST_TEST(sio::args::from_json_array("[]").json() == "[]");
  BOOST_TEST(sio::args::from_json_array(" [ ] ").empty());
  BOOST_TEST(sio::args::from_json_array("[]").push(2).json() == "[2]");
  auto a = sio::args::from_json_array(R"([{"_placeholder":true,"num":0}])", {"a"});
  a.push(sio::binary{"b"});
  BOOST_TEST(a.json()
             == R"([{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  BOOST_TEST((a.attachments() == std::vector<std::string>{"a", "b"}));
}

BOOST_AUTO_TEST_SUITE_END()
