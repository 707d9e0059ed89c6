#include "lib/auth/access_keys.hpp"

#include "lib/protocol/base64.hpp"

#include <boost/test/unit_test.hpp>

using namespace sio::auth;

BOOST_AUTO_TEST_SUITE(access_keys_test)

BOOST_AUTO_TEST_CASE(ce_signature_matches_the_functions_extension_vector) {
  // protocol.md §4.3 [S18].
  access_keys keys{"7aab239577fd4f24bc919802fb629f5f", ""};
  BOOST_TEST(ce_signature(keys, "0f9c97a2f0bf4706afe87a14e0797b11")
             == "sha256=7767effcb3946f3e1de039df4b986ef0"
                "2c110b1469d02c0a06f41b3b727ab561");
}

BOOST_AUTO_TEST_CASE(ce_signature_matches_the_worked_trace_vector) {
  // protocol.md §10.
  access_keys keys{"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH", ""};
  BOOST_TEST(ce_signature(keys, "conn1")
             == "sha256=8de7281e588e23b0a30a7180ffa24025"
                "7b8176e983004c240c9f3f7a7233c993");
}

BOOST_AUTO_TEST_CASE(ce_signature_lists_primary_then_secondary) {
  access_keys both{"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH",
                   "7aab239577fd4f24bc919802fb629f5f"};
  BOOST_TEST(ce_signature(both, "conn1")
             == "sha256=8de7281e588e23b0a30a7180ffa24025"
                "7b8176e983004c240c9f3f7a7233c993,"
                "sha256="
                + ce_signature({"7aab239577fd4f24bc919802fb629f5f", ""},
                               "conn1")
                    .substr(7));
  access_keys only_secondary{"", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"};
  BOOST_TEST(ce_signature(only_secondary, "conn1")
             == "sha256=8de7281e588e23b0a30a7180ffa24025"
                "7b8176e983004c240c9f3f7a7233c993");
  BOOST_TEST(ce_signature(access_keys{}, "conn1") == "");
}

BOOST_AUTO_TEST_CASE(generated_access_keys_look_like_azure_keys) {
  auto a = generate_access_key();
  auto b = generate_access_key();
  BOOST_TEST(a.size() == 44u);
  BOOST_TEST(a.back() == '=');
  auto raw = sio::protocol::base64_decode(a);
  BOOST_REQUIRE(raw.has_value());
  BOOST_TEST(raw->size() == 32u);
  BOOST_TEST(a != b);
}

BOOST_AUTO_TEST_SUITE_END()
