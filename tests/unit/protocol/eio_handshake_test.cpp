// Tests for lib/protocol/eio_handshake.hpp: the open packet JSON of
// protocol.md §1.3, §2.5 and §10, escaping, and parsing it back.
#include "lib/protocol/eio_handshake.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace data = boost::unit_test::data;
using namespace sio::protocol;

namespace {

handshake polling_handshake(std::string sid) {
  handshake h;
  h.sid = std::move(sid);
  h.upgrades = {"websocket"};
  return h;
}

} // namespace

BOOST_AUTO_TEST_SUITE(eio_handshake_test)

BOOST_AUTO_TEST_CASE(encode_handshake_writes_the_sample_session_open_packet) {
  BOOST_TEST(
    encode_handshake(polling_handshake("lv_VI97HAXpY6yYWAAAC"))
    == R"({"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],)"
       R"("pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})");
}

BOOST_AUTO_TEST_CASE(encode_handshake_writes_the_trace_open_packet) {
  BOOST_TEST(encode_handshake(polling_handshake("c1"))
             == R"({"sid":"c1","upgrades":["websocket"],"pingInterval":25000,)"
                R"("pingTimeout":20000,"maxPayload":1000000})");
}

BOOST_AUTO_TEST_CASE(
  encode_handshake_writes_an_empty_upgrade_list_for_websocket) {
  handshake h;
  h.sid = "abc";
  h.ping_interval = 300;
  h.ping_timeout = 200;
  h.max_payload = 4096;
  BOOST_TEST(encode_handshake(h)
             == R"({"sid":"abc","upgrades":[],"pingInterval":300,)"
                R"("pingTimeout":200,"maxPayload":4096})");
}

BOOST_AUTO_TEST_CASE(encode_handshake_escapes_the_sid) {
  auto h = polling_handshake("a\"b\\c\n");
  auto json = encode_handshake(h);
  BOOST_TEST(json.find(R"("sid":"a\"b\\c\n")") != std::string::npos, json);
  auto back = decode_handshake(json);
  BOOST_TEST_REQUIRE(static_cast<bool>(back), back.error());
  BOOST_TEST(back->sid == h.sid);
}

BOOST_AUTO_TEST_CASE(decode_handshake_reverses_encode_handshake) {
  handshake h;
  h.sid = "lv_VI97HAXpY6yYWAAAC";
  h.upgrades = {"websocket", "webtransport"};
  h.ping_interval = 1;
  h.ping_timeout = 4294967295u;
  h.max_payload = 0;
  auto back = decode_handshake(encode_handshake(h));
  BOOST_TEST_REQUIRE(static_cast<bool>(back), back.error());
  BOOST_TEST((*back == h));
}

BOOST_DATA_TEST_CASE(decode_handshake_rejects_malformed_json,
  data::make(std::vector<std::string>{"", "[]", "{", R"({"sid":1})",
    R"({"sid":"a","upgrades":"websocket","pingInterval":1,"pingTimeout":1,"maxPayload":1})",
    R"({"sid":"a","upgrades":[1],"pingInterval":1,"pingTimeout":1,"maxPayload":1})",
    R"({"sid":"a","upgrades":[],"pingInterval":-1,"pingTimeout":1,"maxPayload":1})",
    R"({"sid":"a","upgrades":[],"pingInterval":1,"maxPayload":1})",
    R"({"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1.5,"maxPayload":1})",
    R"({"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1})",
    "{\"sid\":\"\xff\"}"}),
  json) {
  auto r = decode_handshake(json);
  BOOST_TEST(!r);
  BOOST_TEST(!r.error().empty());
}

BOOST_AUTO_TEST_SUITE_END()
