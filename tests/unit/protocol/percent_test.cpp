// Tests for lib/protocol/percent.hpp: %XX escapes in either case, '+' only
// in query mode, and every malformed escape rejected.
#include "lib/protocol/percent.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace sio::protocol;
using namespace std::string_literals;

BOOST_AUTO_TEST_SUITE(percent_test)

BOOST_AUTO_TEST_CASE(plain_text_is_unchanged) {
  BOOST_TEST(*percent_decode("") == "");
  BOOST_TEST(*percent_decode("/clients/socketio/hubs/chat") == "/clients/socketio/hubs/chat");
}

BOOST_AUTO_TEST_CASE(escapes_decode_in_either_case) {
  BOOST_TEST(*percent_decode("%2Fhubs%2fchat") == "/hubs/chat");
  BOOST_TEST(*percent_decode("caf%C3%A9") == "caf\xC3\xA9");
  BOOST_TEST(*percent_decode("%00x") == "\0x"s);
  BOOST_TEST(*percent_decode("100%25") == "100%");
}

BOOST_AUTO_TEST_CASE(plus_is_a_space_only_when_asked) {
  BOOST_TEST(*percent_decode("a+b%2Bc") == "a+b+c");
  BOOST_TEST(*percent_decode("a+b%2Bc", true) == "a b+c");
}

BOOST_AUTO_TEST_CASE(malformed_escapes_are_rejected) {
  for (const char* bad : {"%", "%4", "a%4", "%zz", "%4g", "%g4", "x%%41"})
    BOOST_TEST(!percent_decode(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(encoding_keeps_only_unreserved_characters_and_round_trips) {
  BOOST_TEST(percent_encode("") == "");
  BOOST_TEST(percent_encode("AZaz09-._~") == "AZaz09-._~");
  BOOST_TEST(percent_encode("0~Lw~ /&=+%?#") == "0~Lw~%20%2F%26%3D%2B%25%3F%23");
  BOOST_TEST(percent_encode(std::string{"\x00\xff", 2}) == "%00%FF");
  std::string all;
  for (int c = 0; c < 256; ++c)
    all.push_back(static_cast<char>(c));
  BOOST_TEST(*percent_decode(percent_encode(all)) == all);
}

BOOST_AUTO_TEST_SUITE_END()
