// Tests for lib/webhook/cloud_event.hpp: golden headers and bodies for each
// event (protocol.md §4.2-§4.7, §10 vectors), handler matching, urlTemplate
// expansion, the abuse-protection check and the reading of upstream answers.
#include "lib/webhook/cloud_event.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace sio::webhook;
using namespace std::string_literals;

namespace {

const service_identity trace_identity{
  "127.0.0.1", {"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH", ""}};

const event_stamp fixed_stamp{"ev1", "2024-01-01T00:00:00Z"};

const handler_rule trace_rule{"http://127.0.0.1:7071/runtime/webhooks/socketio",
                              "*",
                              {"connect", "connected", "disconnected"}};

socket_info trace_socket() {
  return {"hub", "conn1", "/", "s1", "user1"};
}

std::string headers_text(const request& r) {
  std::string out;
  for (auto& [n, v] : r.headers)
    out += n + ": " + v + "\n";
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cloud_event_test)

BOOST_AUTO_TEST_CASE(connect_request_has_the_golden_headers_of_the_trace) {
  auto r = connect_request(trace_identity, trace_rule, trace_socket(),
                           {{"sub", {"user1"}}}, {{"EIO", {"4"}}},
                           {{"Host", {"localhost:8080"}}}, "", fixed_stamp);
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.url == "http://127.0.0.1:7071/runtime/webhooks/socketio");
  BOOST_TEST(headers_text(r)
             == "Content-Type: application/json; charset=utf-8\n"
                "ce-specversion: 1.0\n"
                "ce-type: azure.webpubsub.sys.connect\n"
                "ce-source: /hubs/hub/client/conn1\n"
                "ce-id: ev1\n"
                "ce-time: 2024-01-01T00:00:00Z\n"
                "ce-signature: sha256=8de7281e588e23b0a30a7180ffa240257b8176e983004c240c9f3f7a7233c993\n"
                "ce-connectionId: conn1\n"
                "ce-hub: hub\n"
                "ce-eventName: connect\n"
                "ce-namespace: /\n"
                "ce-socketId: s1\n"
                "ce-userId: user1\n"
                "ce-awpsversion: 1.0\n"
                "WebHook-Request-Origin: 127.0.0.1\n");
}

BOOST_AUTO_TEST_CASE(signature_uses_every_key_and_the_azure_vector) {
  service_identity id{"h", {"7aab239577fd4f24bc919802fb629f5f", "k2"}};
  socket_info s{"hub", "0f9c97a2f0bf4706afe87a14e0797b11", "/", "s", ""};
  auto r = connected_request(id, trace_rule, s, fixed_stamp);
  auto sig = r.find_header("ce-signature");
  BOOST_REQUIRE(sig);
  BOOST_TEST(sig->rfind("sha256=7767effcb3946f3e1de039df4b986ef02c110b1469d02c0a06f41b3b727ab561,sha256=", 0)
             == 0u);
  BOOST_TEST(sig->size() == 2 * (7 + 64) + 1);
  // Anonymous: no ce-userId at all.
  BOOST_TEST(!r.find_header("ce-userId"));
}

BOOST_AUTO_TEST_CASE(every_ce_header_appears_exactly_once) {
  auto r = message_request(trace_identity, trace_rule, trace_socket(), "chat",
                           R"(4212["chat","hi"])", {}, fixed_stamp);
  for (auto name : {"ce-specversion", "ce-type", "ce-source", "ce-id", "ce-time",
                    "ce-signature", "ce-connectionId", "ce-hub", "ce-eventName",
                    "ce-namespace", "ce-socketId", "ce-userId", "ce-awpsversion"}) {
    int n = 0;
    for (auto& h : r.headers)
      n += h.first == name ? 1 : 0;
    BOOST_TEST(n == 1, name);
  }
}

BOOST_AUTO_TEST_CASE(connect_body_has_five_keys_string_arrays_and_auth) {
  auto body = connect_body({{"sub", {"user1"}}, {"exp", {"1726200500"}}},
                           {{"EIO", {"4"}}, {"transport", {"polling"}}, {"t", {"Px1"}}},
                           {{"Host", {"localhost:8080"}}, {"X-Q", {"a\"b"}}},
                           R"({"token":"x","n":1})");
  BOOST_TEST(body
             == R"({"claims":{"sub":["user1"],"exp":["1726200500"]},)"
                R"("query":{"EIO":["4"],"transport":["polling"],"t":["Px1"]},)"
                R"("headers":{"Host":["localhost:8080"],"X-Q":["a\"b"]},)"
                R"("subprotocols":[],"clientCertificates":[],)"
                R"("auth":{"token":"x","n":1}})");
  // No or bad auth: no auth key, still the five keys.
  BOOST_TEST(connect_body({}, {}, {}, "")
             == R"({"claims":{},"query":{},"headers":{},"subprotocols":[],"clientCertificates":[]})");
  BOOST_TEST(connect_body({}, {}, {}, "[1]")
             == R"({"claims":{},"query":{},"headers":{},"subprotocols":[],"clientCertificates":[]})");
}

BOOST_AUTO_TEST_CASE(connected_disconnected_and_message_bodies) {
  auto c = connected_request(trace_identity, trace_rule, trace_socket(), fixed_stamp);
  BOOST_TEST(c.body == "{}");
  BOOST_TEST(*c.find_header("ce-type") == "azure.webpubsub.sys.connected");
  auto d = disconnected_request(trace_identity, trace_rule, trace_socket(),
                                "ping timeout", fixed_stamp);
  BOOST_TEST(d.body == R"({"reason":"ping timeout"})");
  BOOST_TEST(*d.find_header("ce-eventName") == "disconnected");
  BOOST_TEST(disconnected_body("") == R"({"reason":""})");
  BOOST_TEST(disconnected_reason("client namespace disconnect") == "");
  BOOST_TEST(disconnected_reason("transport close") == "transport close");
  auto m = message_request(trace_identity, trace_rule, trace_socket(), "chat",
                           R"(42/chat,7["chat","hello"])", {}, fixed_stamp);
  BOOST_TEST(m.body == R"(42/chat,7["chat","hello"])");
  BOOST_TEST(*m.find_header("Content-Type") == "text/plain");
  BOOST_TEST(*m.find_header("ce-type") == "azure.webpubsub.user.message");
  BOOST_TEST(*m.find_header("ce-eventName") == "chat");
}

BOOST_AUTO_TEST_CASE(binary_event_body_uses_the_payload_form) {
  auto body = message_body(R"(451-["up",{"_placeholder":true,"num":0}])",
                           {"\x01\x02\x03"s});
  BOOST_TEST(body == "451-[\"up\",{\"_placeholder\":true,\"num\":0}]\x1e" "bAQID");
  BOOST_TEST(message_body("42[\"a\"]", {"a"s, "bc"s}) == "42[\"a\"]\x1e" "bYQ==\x1e" "bYmM=");
}

BOOST_AUTO_TEST_CASE(message_body_size_is_the_size_of_the_body) {
  // Every padding case of base64 (0, 1 and 2 '='), no attachment, empty ones.
  std::vector<std::vector<std::string>> cases{
    {}, {""s}, {"a"s}, {"ab"s}, {"abc"s}, {"abcd"s, ""s, std::string(1000, 'x')}};
  for (auto& attachments : cases)
    BOOST_TEST(message_body_size("451-[\"up\"]", attachments)
               == message_body("451-[\"up\"]", attachments).size());
}

BOOST_AUTO_TEST_CASE(url_template_expands_hub_and_encoded_event) {
  BOOST_TEST(expand_url("http://h:1/api/{hub}/{event}?x={event}", "chat", "a b/é")
             == "http://h:1/api/chat/a%20b%2F%C3%A9?x=a%20b%2F%C3%A9");
  // Other braces stay as written; a placeholder right after one still counts.
  BOOST_TEST(expand_url("http://h/{x}{{hub}}/{even}{event}{", "c", "e")
             == "http://h/{x}{c}/{even}e{");
  BOOST_TEST(expand_url("http://h/none", "c", "e") == "http://h/none");
  auto v = validation_request(trace_identity,
                              {"http://h:1/api/{hub}/{event}", "", {}}, "chat");
  BOOST_TEST(v.method == "OPTIONS");
  BOOST_TEST(v.url == "http://h:1/api/chat/validate");
  BOOST_TEST(headers_text(v)
             == "WebHook-Request-Origin: 127.0.0.1\nce-awpsversion: 1.0\n");
}

BOOST_AUTO_TEST_CASE(rules_match_in_order) {
  std::vector<handler_rule> rules{
    {"http://a/", "chat, news", {"connect"}},
    {"http://b/", "*", {"connected", "disconnected"}},
    {"http://c/", "", {"connect"}},
  };
  BOOST_TEST(*match_rule(rules, event_kind::connect, "") == 0u);
  BOOST_TEST(*match_rule(rules, event_kind::connected, "") == 1u);
  BOOST_TEST(*match_rule(rules, event_kind::disconnected, "") == 1u);
  BOOST_TEST(*match_rule(rules, event_kind::message, "news") == 0u);
  BOOST_TEST(*match_rule(rules, event_kind::message, "other") == 1u);
  std::vector<handler_rule> none{{"http://c/", "", {}}};
  BOOST_TEST(!match_rule(none, event_kind::message, "x"));
  BOOST_TEST(!match_rule(none, event_kind::connect, ""));
  BOOST_TEST(matches_user_event("a,b", "b"));
  BOOST_TEST(!matches_user_event("a,b", "B"));
  BOOST_TEST(!matches_user_event("a,b", "a,b"));
  BOOST_TEST(!matches_user_event("", "a"));
  BOOST_TEST(matches_user_event(" * ", "anything"));
}

BOOST_AUTO_TEST_CASE(abuse_protection_accepts_star_host_and_host_port) {
  using H = std::vector<header>;
  BOOST_TEST(check_validation(200, H{{"WebHook-Allowed-Origin", "*"}}, "127.0.0.1", "127.0.0.1:8080").allowed);
  BOOST_TEST(check_validation(200, H{{"webhook-allowed-origin", "MyHost.com"}}, "myhost.com", "").allowed);
  BOOST_TEST(check_validation(204, H{{"WebHook-Allowed-Origin", "127.0.0.1:8080"}}, "127.0.0.1", "127.0.0.1:8080").allowed);
  BOOST_TEST(check_validation(200, H{{"WebHook-Allowed-Origin", "a.com"}, {"WebHook-Allowed-Origin", "b.com, 127.0.0.1"}},
                              "127.0.0.1", "127.0.0.1:8080").allowed);
  auto wrong = check_validation(200, H{{"WebHook-Allowed-Origin", "other.com"}}, "127.0.0.1", "127.0.0.1:8080");
  BOOST_TEST(!wrong.allowed);
  BOOST_TEST(wrong.reason == "abuse protection: WebHook-Allowed-Origin does not allow 127.0.0.1");
  auto missing = check_validation(200, H{}, "127.0.0.1", "");
  BOOST_TEST(missing.reason == "abuse protection: no WebHook-Allowed-Origin header");
  auto status = check_validation(400, H{{"WebHook-Allowed-Origin", "*"}}, "127.0.0.1", "");
  BOOST_TEST(!status.allowed);
  BOOST_TEST(status.reason == "abuse protection: OPTIONS answered 400");
  // A port alone or a prefix is not the host.
  BOOST_TEST(!check_validation(200, H{{"WebHook-Allowed-Origin", "127.0.0.1:9"}}, "127.0.0.1", "127.0.0.1:8080").allowed);
}

BOOST_AUTO_TEST_CASE(connect_answers_become_verdict_messages) {
  BOOST_TEST(decide_connect(200, "").accepted);
  BOOST_TEST(decide_connect(204, "whatever").accepted);
  auto json = decide_connect(401, R"({"message":"Invalid namespace"})");
  BOOST_TEST(!json.accepted);
  BOOST_TEST(json.message == "Invalid namespace");
  BOOST_TEST(error_json(json.message) == R"({"message":"Invalid namespace"})");
  BOOST_TEST(decide_connect(401, "  Unauthorized \n").message == "Unauthorized");
  BOOST_TEST(decide_connect(400, R"({"code":1})").message == R"({"code":1})");
  BOOST_TEST(decide_connect(500, "").message == "upstream answered 500");
  BOOST_TEST(decide_connect(500, "\xff\xfe").message == "upstream answered 500");
  // Raw invalid UTF-8 inside the JSON message is not passed on.
  BOOST_TEST(decide_connect(401, "{\"message\":\"bad \x8a\"}").message == "upstream answered 401");
  BOOST_TEST(decide_connect(401, R"({"message":""})").message == R"({"message":""})");
  auto long_body = std::string(600, 'a');
  BOOST_TEST(decide_connect(403, long_body).message.size() == 512u);
  // Cut at a UTF-8 boundary: 511 ASCII bytes + a 2-byte character.
  auto utf8 = std::string(511, 'a') + "\xc3\xa9" + "tail";
  BOOST_TEST(decide_connect(403, utf8).message == std::string(511, 'a'));
  BOOST_TEST(error_json("a\"b\n") == R"({"message":"a\"b\n"})");
}

BOOST_AUTO_TEST_CASE(connect_answers_may_name_user_and_groups) {
  auto d = decide_connect(200, R"( {"userId":"ann","groups":["g1","0~Lw~cm9vbQ",7],"roles":["x"]} )");
  BOOST_TEST(d.accepted);
  BOOST_TEST(d.user_id == "ann");
  BOOST_TEST(d.groups == (std::vector<std::string>{"g1", "0~Lw~cm9vbQ"}), boost::test_tools::per_element());
  // Wrong shapes are ignored, the socket is still accepted.
  auto bad = decide_connect(200, R"({"userId":5,"groups":"g1"})");
  BOOST_TEST(bad.accepted);
  BOOST_TEST(bad.user_id.empty());
  BOOST_TEST(bad.groups.empty());
  auto bad_utf8 = decide_connect(200, "{\"userId\":\"\xff\"}");
  BOOST_TEST(bad_utf8.accepted);
  BOOST_TEST(bad_utf8.user_id.empty());
  BOOST_TEST(decide_connect(200, "{not json").accepted);
  BOOST_TEST(decide_connect(200, R"({"userId":")" + std::string(600, 'u') + R"("})").user_id.empty());
  std::string many = R"({"groups":[)";
  for (int i = 0; i < 500; ++i)
    many += (i ? ",\"g" : "\"g") + std::to_string(i) + "\"";
  many += "]}";
  BOOST_TEST(decide_connect(200, many).groups.size() == max_connect_groups);
  // A rejection carries neither.
  BOOST_TEST(decide_connect(401, R"({"userId":"ann"})").user_id.empty());
}

BOOST_AUTO_TEST_CASE(message_answers_become_replies) {
  BOOST_TEST(message_reply(200, R"(4312["ok"])") == R"(4312["ok"])");
  BOOST_TEST(message_reply(204, "") == "");
  BOOST_TEST(message_reply(404, "Not Found") == "");
}

BOOST_AUTO_TEST_CASE(time_is_rfc3339_utc) {
  using namespace std::chrono;
  system_clock::time_point t{seconds{1726196900}};
  BOOST_TEST(rfc3339_utc(t) == "2024-09-13T03:08:20Z");
  // Formatted once per second: the next second and a return both show.
  BOOST_TEST(rfc3339_utc(t + seconds{1}) == "2024-09-13T03:08:21Z");
  BOOST_TEST(rfc3339_utc(t + milliseconds{1500}) == "2024-09-13T03:08:21Z");
  BOOST_TEST(rfc3339_utc(t) == "2024-09-13T03:08:20Z");
  auto a = event_stamp::make();
  auto b = event_stamp::make();
  BOOST_TEST(a.id != b.id);
  BOOST_TEST(a.id.size() == 22u);
  BOOST_TEST(a.time.size() == 20u);
}

BOOST_AUTO_TEST_SUITE_END()
