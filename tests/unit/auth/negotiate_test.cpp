#include "lib/auth/negotiate.hpp"

#include "lib/auth/jwt.hpp"

#include <boost/test/unit_test.hpp>

using namespace sio::auth;

BOOST_AUTO_TEST_SUITE(negotiate_test)

BOOST_AUTO_TEST_CASE(negotiation_reproduces_the_protocol_md_client_token) {
  // protocol.md §10: the key, the time and the user of the worked trace.
  access_keys keys{"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH", ""};
  auto n = negotiate("http://localhost:8080/", "hub", keys,
                     std::string{"user1"}, 1726196900);
  BOOST_CHECK_EQUAL(n.endpoint, "http://localhost:8080");
  BOOST_CHECK_EQUAL(n.path, "/clients/socketio/hubs/hub");
  BOOST_CHECK_EQUAL(
    n.token,
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJuYmYiOjE3MjYxOTY5MDAsImV4cCI6MTcyNjIwMDUwMCwiaWF0IjoxNzI2MTk2OTAwLCJhdWQi"
    "OiJodHRwOi8vbG9jYWxob3N0OjgwODAvY2xpZW50cy9zb2NrZXRpby9odWJzL2h1YiIsInN1YiI6"
    "InVzZXIxIn0.U9XWzeKiu0SrwFfft-Ws96NZmAcsH_AjGUE3YtPWIeY");
  BOOST_CHECK_EQUAL(n.to_json(),
                    "{\"endpoint\":\"http://localhost:8080\",\"path\":\"/clients/"
                    "socketio/hubs/hub\",\"token\":\""
                      + n.token + "\"}");
}

BOOST_AUTO_TEST_CASE(negotiated_token_verifies_for_the_hub_and_carries_no_sub_when_anonymous) {
  access_keys keys{"k1", "k2"};
  auto n = negotiate("http://127.0.0.1:9000", "chat", keys, std::nullopt, 1000,
                     60);
  auto claims = verify_hs256(n.token, keys, 1010);
  BOOST_REQUIRE(claims);
  BOOST_CHECK(!claims->sub);
  BOOST_REQUIRE_EQUAL(claims->aud.size(), 1u);
  BOOST_CHECK(client_audience_matches(claims->aud[0], "http://127.0.0.1:9000",
                                      "chat"));
  BOOST_CHECK(!verify_hs256(n.token, keys, 1000 + 60 + 301)); // expired
}

BOOST_AUTO_TEST_SUITE_END()
