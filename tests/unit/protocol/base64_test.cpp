// Tests for lib/protocol/base64.hpp: RFC 4648 vectors, the binary packet of
// protocol.md §1.4 and the group-name segments of §3.3 / §10.
#include "lib/protocol/base64.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

namespace data = boost::unit_test::data;
using namespace sio::protocol;

namespace {

// {plain, standard base64} from RFC 4648 §10.
const std::vector<std::string> rfc_plain{
  "", "f", "fo", "foo", "foob", "fooba", "foobar"};
const std::vector<std::string> rfc_encoded{
  "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

std::string all_bytes() {
  std::string out;
  for (int i = 0; i < 256; ++i)
    out.push_back(static_cast<char>(i));
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(base64_test)

BOOST_DATA_TEST_CASE(base64_matches_rfc4648_vectors,
  data::make(rfc_plain) ^ data::make(rfc_encoded), plain, encoded) {
  BOOST_TEST(base64_encode(plain) == encoded);
  auto decoded = base64_decode(encoded);
  BOOST_TEST_REQUIRE(decoded.has_value());
  BOOST_TEST(*decoded == plain);
}

BOOST_AUTO_TEST_CASE(base64_encodes_the_engine_io_binary_packet_of_the_spec) {
  BOOST_TEST(base64_encode(std::string{"\x01\x02\x03\x04"}) == "AQIDBA==");
  BOOST_TEST(*base64_decode("AQIDBA==") == std::string("\x01\x02\x03\x04"));
}

BOOST_AUTO_TEST_CASE(base64_round_trips_every_byte_value) {
  auto bytes = all_bytes();
  BOOST_TEST(*base64_decode(base64_encode(bytes)) == bytes);
  BOOST_TEST(*base64url_decode(base64url_encode(bytes)) == bytes);
}

BOOST_DATA_TEST_CASE(base64_decode_rejects_malformed_text,
  data::make(std::vector<std::string>{"Zg=", "Zg",
    "Z===", "Zh==", "Zm9v!A==", "=Zg=", "Zg=a", "Zm9 v", "Zm9v\n"}),
  text) {
  BOOST_TEST(!base64_decode(text).has_value());
}

BOOST_AUTO_TEST_CASE(base64url_uses_the_url_alphabet_without_padding) {
  std::string bytes{"\xfb\xff"};
  BOOST_TEST(base64_encode(bytes) == "+/8=");
  BOOST_TEST(base64url_encode(bytes) == "-_8");
  BOOST_TEST(*base64url_decode("-_8") == bytes);
  BOOST_TEST(*base64url_decode("-_8=") == bytes);
  BOOST_TEST(!base64url_decode("+/8").has_value());
}

BOOST_AUTO_TEST_CASE(base64url_encodes_group_name_segments_of_the_spec) {
  BOOST_TEST(base64url_encode("/") == "Lw");
  BOOST_TEST(base64url_encode("/ns") == "L25z");
  BOOST_TEST(base64url_encode("s1") == "czE");
  BOOST_TEST(base64url_encode("socketId") == "c29ja2V0SWQ");
  BOOST_TEST(*base64url_decode("c29ja2V0SWQ") == "socketId");
}

BOOST_AUTO_TEST_CASE(base64url_decode_rejects_bad_length_and_characters) {
  BOOST_TEST(!base64url_decode("A").has_value());
  BOOST_TEST(!base64url_decode("Zh").has_value()); // non-zero leftover bits
  BOOST_TEST(!base64url_decode("a.b").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
