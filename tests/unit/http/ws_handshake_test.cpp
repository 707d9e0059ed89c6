// Tests for lib/http/ws_handshake.hpp: the RFC 6455 §1.3 accept key, header
// validation as browsers send it, and the literal 101 response.
#include "lib/http/ws_handshake.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace sio::http;

namespace {

ws_upgrade_headers rfc_request() {
  ws_upgrade_headers h;
  h.upgrade = "websocket";
  h.connection = "Upgrade";
  h.version = "13";
  h.key = "dGhlIHNhbXBsZSBub25jZQ==";
  return h;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ws_handshake_test)

// RFC 6455 §1.3 and §4.2.2 give this pair (python3 hashlib agrees).
BOOST_AUTO_TEST_CASE(accept_key_matches_rfc6455_example) {
  BOOST_TEST(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

BOOST_AUTO_TEST_CASE(rfc_request_is_accepted) {
  auto r = validate_ws_upgrade(rfc_request());
  BOOST_TEST(r.ok);
  BOOST_TEST(r.http_status == 101);
  BOOST_TEST(r.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  BOOST_TEST(r.reason.empty());
}

BOOST_AUTO_TEST_CASE(upgrade_headers_are_read_from_a_request_by_any_case) {
  request req;
  req.method = "GET";
  req.headers = {{"host", "x"},
                 {"upgrade", "websocket"},
                 {"CONNECTION", "keep-alive, Upgrade"},
                 {"Sec-Websocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  auto h = upgrade_headers_of(req);
  BOOST_TEST(h.upgrade == "websocket");
  BOOST_TEST(h.connection == "keep-alive, Upgrade");
  BOOST_TEST(h.key == "dGhlIHNhbXBsZSBub25jZQ==");
  BOOST_TEST(h.version.empty()); // absent
  BOOST_TEST(validate_ws_upgrade(h).http_status == 426);
  req.headers.emplace_back("sec-websocket-version", "13");
  BOOST_TEST(validate_ws_upgrade(upgrade_headers_of(req)).ok);
}

BOOST_AUTO_TEST_CASE(header_values_are_case_insensitive_token_lists) {
  auto h = rfc_request();
  h.upgrade = "WebSocket";
  h.connection = "keep-alive, Upgrade"; // Firefox
  h.version = " 13 ";
  BOOST_TEST(validate_ws_upgrade(h).ok);
  h.connection = "UPGRADE";
  BOOST_TEST(validate_ws_upgrade(h).ok);
  BOOST_TEST(is_ws_upgrade_request(h));
}

BOOST_AUTO_TEST_CASE(missing_or_wrong_headers_are_rejected_with_a_reason) {
  auto h = rfc_request();
  h.upgrade = "";
  auto r = validate_ws_upgrade(h);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.http_status == 400);
  BOOST_TEST(r.reason.find("Upgrade") != std::string::npos);
  BOOST_TEST(!is_ws_upgrade_request(h));

  h = rfc_request();
  h.upgrade = "h2c";
  BOOST_TEST(!validate_ws_upgrade(h).ok);

  h = rfc_request();
  h.connection = "keep-alive";
  r = validate_ws_upgrade(h);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.reason.find("Connection") != std::string::npos);

  h = rfc_request();
  h.connection = "upgrades"; // a token, not a substring
  BOOST_TEST(!validate_ws_upgrade(h).ok);
}

BOOST_AUTO_TEST_CASE(other_versions_get_426) {
  auto h = rfc_request();
  h.version = "8";
  auto r = validate_ws_upgrade(h);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.http_status == 426);
  h.version = "";
  BOOST_TEST(validate_ws_upgrade(h).http_status == 426);
}

BOOST_AUTO_TEST_CASE(key_must_be_base64_of_16_bytes) {
  auto h = rfc_request();
  for (const char* bad : {"", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25j", // 15 bytes
                          "dGhlIHNhbXBsZSBub25jZQ=!", "dGhlIHNhbXBsZSBub25jZSE="}) {
    h.key = bad;
    auto r = validate_ws_upgrade(h);
    BOOST_TEST(!r.ok, bad);
    BOOST_TEST(r.http_status == 400);
  }
}

BOOST_AUTO_TEST_CASE(response_is_the_literal_101_text) {
  BOOST_TEST(make_ws_101_response("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
             == "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                "\r\n");
}

BOOST_AUTO_TEST_CASE(extra_headers_are_appended_and_unsafe_ones_skipped) {
  auto text = make_ws_101_response("x", {{"Set-Cookie", "a=1"},
                                         {"X-Evil", "1\r\nInjected: yes"},
                                         {"Bad:Name", "v"},
                                         {"", "v"},
                                         {"X-Ok", ""}});
  BOOST_TEST(text
             == "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                "Sec-WebSocket-Accept: x\r\n"
                "Set-Cookie: a=1\r\n"
                "X-Ok: \r\n"
                "\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
