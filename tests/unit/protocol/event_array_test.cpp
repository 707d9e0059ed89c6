// Tests for lib/protocol/event_array.hpp: an EVENT's data from a name and
// sio::args.
#include "lib/protocol/event_array.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(event_array)

BOOST_AUTO_TEST_CASE(name_alone) {
  BOOST_TEST(sio::protocol::event_array("tick", sio::args{}) == R"(["tick"])");
}

BOOST_AUTO_TEST_CASE(name_then_arguments_with_placeholders_kept) {
  sio::args a{1, sio::binary{"b"}, "x"};
  BOOST_TEST(sio::protocol::event_array("ev", a)
             == R"(["ev",1,{"_placeholder":true,"num":0},"x"])");
}

BOOST_AUTO_TEST_CASE(name_is_escaped_and_made_valid_utf8) {
  BOOST_TEST(sio::protocol::event_array("a\"b\n\xFF", sio::args{})
             == "[\"a\\\"b\\n\xEF\xBF\xBD\"]");
}

BOOST_AUTO_TEST_SUITE_END()
