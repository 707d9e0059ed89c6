#include "lib/auth/connection_string.hpp"

#include <boost/test/unit_test.hpp>

using namespace sio::auth;

BOOST_AUTO_TEST_SUITE(connection_string_test)

BOOST_AUTO_TEST_CASE(parses_the_documented_form) {
  auto cs = parse_connection_string(
    "Endpoint=http://127.0.0.1:8080;AccessKey=ABC/+def==;Version=1.0;");
  BOOST_REQUIRE_MESSAGE(cs, cs.error());
  BOOST_TEST(cs->endpoint == "http://127.0.0.1:8080");
  BOOST_TEST(cs->access_key == "ABC/+def==");
  BOOST_TEST(cs->version == "1.0");
  BOOST_TEST(!cs->port.has_value());
  BOOST_TEST(cs->effective_endpoint() == "http://127.0.0.1:8080");
}

BOOST_AUTO_TEST_CASE(keys_are_case_insensitive_and_port_overrides) {
  auto cs = parse_connection_string(
    " endpoint = https://x.webpubsub.azure.com/ ; ACCESSKEY=k ;port=8443");
  BOOST_REQUIRE_MESSAGE(cs, cs.error());
  BOOST_TEST(cs->endpoint == "https://x.webpubsub.azure.com");
  BOOST_TEST(cs->access_key == "k");
  BOOST_TEST(cs->port.value() == 8443);
  BOOST_TEST(cs->effective_endpoint() == "https://x.webpubsub.azure.com:8443");
}

BOOST_AUTO_TEST_CASE(port_replaces_an_existing_endpoint_port) {
  auto cs = parse_connection_string("Endpoint=http://h:1;Port=2");
  BOOST_REQUIRE(cs);
  BOOST_TEST(cs->effective_endpoint() == "http://h:2");
  auto v6 = parse_connection_string("Endpoint=http://[::1]:1;Port=2");
  BOOST_REQUIRE(v6);
  BOOST_TEST(v6->effective_endpoint() == "http://[::1]:2");
  auto v6_no_port = parse_connection_string("Endpoint=http://[::1];Port=3");
  BOOST_REQUIRE(v6_no_port);
  BOOST_TEST(v6_no_port->effective_endpoint() == "http://[::1]:3");
}

BOOST_AUTO_TEST_CASE(missing_scheme_defaults_to_https_and_key_is_optional) {
  auto cs = parse_connection_string("Endpoint=host.example;Version=1.0");
  BOOST_REQUIRE(cs);
  BOOST_TEST(cs->endpoint == "https://host.example");
  BOOST_TEST(cs->access_key.empty());
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_ignored) {
  auto cs = parse_connection_string(
    "Endpoint=http://h;AccessKey=k;Version=1.0;ClientEndpoint=http://c;");
  BOOST_REQUIRE(cs);
  BOOST_TEST(cs->endpoint == "http://h");
}

BOOST_AUTO_TEST_CASE(bad_strings_are_rejected_with_a_reason) {
  struct row {
    const char* input;
    const char* reason_part;
  };
  const row rows[] = {
    {"Endpoint=http://a;endpoint=http://b", "duplicate key 'endpoint'"},
    {"AccessKey=k;Version=1.0", "missing Endpoint"},
    {"", "missing Endpoint"},
    {"Endpoint=http://a;garbage", "missing '='"},
    {"Endpoint=http://a;Port=0", "invalid Port"},
    {"Endpoint=http://a;Port=65536", "invalid Port"},
    {"Endpoint=http://a;Port=8o", "invalid Port"},
    {"Endpoint=http://", "invalid Endpoint"},
    {"Endpoint=;AccessKey=k", "invalid Endpoint"},
    {"Endpoint=://h", "invalid Endpoint"},
    // Found by tests/fuzz (connection_string): whitespace inside the URL.
    {"Endpoint=htt\t\t}\t//", "invalid Endpoint"},
    {"Endpoint=http://a b", "invalid Endpoint"},
    {"=x;Endpoint=http://a", "empty key"},
  };
  for (const auto& r : rows) {
    auto cs = parse_connection_string(r.input);
    BOOST_TEST_CONTEXT(r.input) {
      BOOST_REQUIRE(!cs);
      BOOST_TEST(cs.error().find(r.reason_part) != std::string::npos,
                 cs.error());
    }
  }
  BOOST_TEST(!parse_connection_string(std::string(5000, 'x')));
}

BOOST_AUTO_TEST_CASE(format_round_trips) {
  connection_string cs;
  cs.endpoint = "http://127.0.0.1:8080";
  cs.access_key = "KEY=";
  BOOST_TEST(format_connection_string(cs)
             == "Endpoint=http://127.0.0.1:8080;AccessKey=KEY=;Version=1.0;");
  cs.port = 9000;
  auto text = format_connection_string(cs);
  BOOST_TEST(text
             == "Endpoint=http://127.0.0.1:8080;AccessKey=KEY=;Version=1.0;"
                "Port=9000;");
  auto back = parse_connection_string(text);
  BOOST_REQUIRE(back);
  BOOST_TEST(back->endpoint == cs.endpoint);
  BOOST_TEST(back->access_key == cs.access_key);
  BOOST_TEST(back->port.value() == 9000);
}

BOOST_AUTO_TEST_SUITE_END()
