#include "lib/auth/hmac.hpp"

#include <boost/test/unit_test.hpp>

using namespace sio::auth;

BOOST_AUTO_TEST_SUITE(hmac_test)

BOOST_AUTO_TEST_CASE(hmac_sha256_matches_rfc4231_test_case_2) {
  auto mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  BOOST_TEST(mac.size() == 32u);
  BOOST_TEST(to_hex(mac)
             == "5bdcc146bf60754e6a042426089575c7"
                "5a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(hmac_sha256_accepts_empty_key_and_message) {
  // Known value: HMAC-SHA256("", "").
  BOOST_TEST(to_hex(hmac_sha256("", ""))
             == "b613679a0814d9ec772f95d778c35fc5"
                "ff1697c493715653c6c712144292c5ad");
}

BOOST_AUTO_TEST_CASE(to_hex_is_lower_case_and_keeps_zero_bytes) {
  BOOST_TEST(to_hex(std::string_view("\x00\x01\xab\xff", 4)) == "0001abff");
  BOOST_TEST(to_hex("") == "");
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares_content_and_length) {
  BOOST_TEST(constant_time_equal("abc", "abc"));
  BOOST_TEST(!constant_time_equal("abc", "abd"));
  BOOST_TEST(!constant_time_equal("abc", "ab"));
  BOOST_TEST(constant_time_equal("", ""));
  BOOST_TEST(!constant_time_equal(std::string_view("a\0b", 3),
                                  std::string_view("a\0c", 3)));
}

BOOST_AUTO_TEST_SUITE_END()
