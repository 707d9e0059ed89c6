// Tests for lib/protocol/event_offset: which packets get an offset (events
// without an ack id, binary ones too, in any namespace), where it goes, and
// that only plain decimal uint64 offsets are read back from a client.
#include "lib/protocol/event_offset.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace sio::protocol;

BOOST_AUTO_TEST_SUITE(event_offset)

BOOST_AUTO_TEST_CASE(events_without_ack_id_get_an_offset) {
  BOOST_TEST(offset_namespace(R"(42["chat","hi"])").value() == "/");
  BOOST_TEST(offset_namespace(R"(42/admin,["x"])").value() == "/admin");
  BOOST_TEST(offset_namespace(R"(451-["file",{"_placeholder":true,"num":0}])").value() == "/");
  BOOST_TEST(offset_namespace(R"(452-/a,["f",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])").value() == "/a");
}

BOOST_AUTO_TEST_CASE(other_packets_get_none) {
  BOOST_TEST(!offset_namespace(R"(4212["chat"])"));        // ack id
  BOOST_TEST(!offset_namespace(R"(42/a,7["chat"])"));      // ack id, namespace
  BOOST_TEST(!offset_namespace(R"(43["ok"])"));            // ACK
  BOOST_TEST(!offset_namespace(R"(40{"sid":"x"})"));       // CONNECT
  BOOST_TEST(!offset_namespace("41"));                     // DISCONNECT
  BOOST_TEST(!offset_namespace(R"(45-["f"])"));            // no attachment count
  BOOST_TEST(!offset_namespace(R"(42/a["x"])"));           // namespace without comma
  BOOST_TEST(!offset_namespace(R"(42["x"] )"));            // not ending the array
  BOOST_TEST(!offset_namespace(R"(2probe)"));              // Engine.IO ping
  BOOST_TEST(!offset_namespace(""));
}

BOOST_AUTO_TEST_CASE(the_offset_is_the_last_argument) {
  BOOST_TEST(with_offset(R"(42["chat","hi"])", 17) == R"(42["chat","hi","17"])");
  BOOST_TEST(with_offset(R"(42/a,["ping"])", 0) == R"(42/a,["ping","0"])");
  BOOST_TEST(with_offset(R"(451-["f",{"_placeholder":true,"num":0}])", 18446744073709551615ull)
             == R"(451-["f",{"_placeholder":true,"num":0},"18446744073709551615"])");
  BOOST_TEST(with_offset("42[]", 3) == R"(42["3"])");
}

BOOST_AUTO_TEST_CASE(an_offset_comes_off_again) {
  for (auto m : {R"(42["chat","hi"])", R"(42/a,["ping"])", "42[]",
                 R"(451-["f",{"_placeholder":true,"num":0}])"})
    BOOST_TEST(without_offset(with_offset(m, 17)).value() == m);
  BOOST_TEST(!without_offset(R"(42["chat","hi"])"));   // "hi" is no offset
  BOOST_TEST(!without_offset(R"(42["chat",17])"));     // a number is not one
  BOOST_TEST(!without_offset(R"(4212["chat","1"])"));  // an ack id: never stamped
  BOOST_TEST(!without_offset(R"(42["chat","1a"])"));
}

BOOST_AUTO_TEST_CASE(client_offsets_are_plain_decimal) {
  BOOST_TEST(parse_offset("0").value() == 0u);
  BOOST_TEST(parse_offset("17").value() == 17u);
  BOOST_TEST(parse_offset("18446744073709551615").value() == 18446744073709551615ull);
  BOOST_TEST(!parse_offset("18446744073709551616"));  // past uint64
  BOOST_TEST(!parse_offset("123456789012345678901"));  // 21 digits
  BOOST_TEST(!parse_offset(""));
  BOOST_TEST(!parse_offset("-1"));
  BOOST_TEST(!parse_offset("+1"));
  BOOST_TEST(!parse_offset(" 1"));
  BOOST_TEST(!parse_offset("1e3"));
  BOOST_TEST(!parse_offset("abc"));
}

BOOST_AUTO_TEST_SUITE_END()
