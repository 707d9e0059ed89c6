#include "lib/auth/jwt.hpp"

#include "lib/auth/hmac.hpp"
#include "lib/protocol/base64.hpp"

#include <boost/test/unit_test.hpp>

using namespace sio::auth;

namespace {

// protocol.md §10.
constexpr const char* trace_key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
constexpr int64_t trace_now = 1726196900;
constexpr const char* client_jwt
  = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJuYmYiOjE3MjYxOTY5MDAsImV4cCI6MTcyNjIwMDUwMCwiaWF0IjoxNzI2MTk2OTAwLCJh"
    "dWQiOiJodHRwOi8vbG9jYWxob3N0OjgwODAvY2xpZW50cy9zb2NrZXRpby9odWJzL2h1YiIs"
    "InN1YiI6InVzZXIxIn0.U9XWzeKiu0SrwFfft-Ws96NZmAcsH_AjGUE3YtPWIeY";
constexpr const char* rest_jwt
  = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJuYmYiOjE3MjYxOTY5MDAsImV4cCI6MTcyNjE5NzIwMCwiaWF0IjoxNzI2MTk2OTAwLCJh"
    "dWQiOiJodHRwOi8vbG9jYWxob3N0OjgwODAvYXBpL2h1YnMvaHViL2dyb3Vwcy8wfkwyNXp-"
    "LzpzZW5kP2FwaS12ZXJzaW9uPTIwMjQtMDEtMDEifQ."
    "E-luMHpw-ch5W3sJENALSk5RlpPrG-2FqzdoZd-7unA";

const access_keys trace_keys{trace_key, ""};

/// Builds a token from raw header and payload JSON, signed with `key`.
std::string forge(std::string_view header, std::string_view payload,
                  std::string_view key) {
  using sio::protocol::base64url_encode;
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(hmac_sha256(key, input));
}

std::string hs256(std::string_view payload, std::string_view key = trace_key) {
  return forge(R"({"alg":"HS256","typ":"JWT"})", payload, key);
}

} // namespace

BOOST_AUTO_TEST_SUITE(jwt_test)

BOOST_AUTO_TEST_CASE(make_token_reproduces_the_client_jwt_vector) {
  token_request req;
  req.audience = "http://localhost:8080/clients/socketio/hubs/hub";
  req.user_id = "user1";
  BOOST_TEST(make_token(req, trace_key, trace_now) == client_jwt);
}

BOOST_AUTO_TEST_CASE(make_token_without_user_reproduces_the_rest_jwt_vector) {
  token_request req;
  req.audience = "http://localhost:8080/api/hubs/hub/groups/0~L25z~/"
                 ":send?api-version=2024-01-01";
  req.lifetime_seconds = 300;
  BOOST_TEST(make_token(req, trace_key, trace_now) == rest_jwt);
}

BOOST_AUTO_TEST_CASE(sign_hs256_reproduces_the_rest_jwt_vector) {
  auto payload = R"({"nbf":1726196900,"exp":1726197200,"iat":1726196900,)"
                 R"("aud":"http://localhost:8080/api/hubs/hub/groups/0~L25z~/)"
                 R"(:send?api-version=2024-01-01"})";
  BOOST_TEST(sign_hs256(payload, trace_key) == rest_jwt);
}

BOOST_AUTO_TEST_CASE(make_token_writes_roles_and_groups_in_order) {
  token_request req;
  req.audience = "a";
  req.user_id = "u\"1";
  req.roles = {"webpubsub.sendToGroup"};
  req.groups = {"0~Lw~", "g2"};
  req.lifetime_seconds = 60;
  auto token = make_token(req, "k", 100);
  auto payload_b64 = token.substr(token.find('.') + 1);
  payload_b64 = payload_b64.substr(0, payload_b64.find('.'));
  auto payload = sio::protocol::base64url_decode(payload_b64);
  BOOST_REQUIRE(payload);
  BOOST_TEST(*payload
             == R"({"nbf":100,"exp":160,"iat":100,"aud":"a","sub":"u\"1",)"
                R"("role":["webpubsub.sendToGroup"],)"
                R"("webpubsub.group":["0~Lw~","g2"]})");
  auto claims = verify_hs256(token, {"k", ""}, 100);
  BOOST_REQUIRE_MESSAGE(claims, claims.error());
  BOOST_TEST(claims->roles == std::vector<std::string>{"webpubsub.sendToGroup"});
  BOOST_TEST(claims->groups == (std::vector<std::string>{"0~Lw~", "g2"}));
  BOOST_TEST(claims->sub.value() == "u\"1");
}

BOOST_AUTO_TEST_CASE(verify_accepts_the_client_jwt_and_reads_its_claims) {
  auto claims = verify_hs256(client_jwt, trace_keys, trace_now + 10);
  BOOST_REQUIRE_MESSAGE(claims, claims.error());
  BOOST_TEST(claims->sub.value() == "user1");
  BOOST_TEST(claims->aud
             == std::vector<std::string>{
               "http://localhost:8080/clients/socketio/hubs/hub"});
  BOOST_TEST(claims->exp.value() == 1726200500);
  BOOST_TEST(claims->nbf.value() == 1726196900);
  BOOST_TEST(claims->iat.value() == 1726196900);
  BOOST_REQUIRE(claims->all.size() == 5u);
  const char* names[] = {"nbf", "exp", "iat", "aud", "sub"};
  const char* values[] = {"1726196900", "1726200500", "1726196900",
                          "http://localhost:8080/clients/socketio/hubs/hub",
                          "user1"};
  for (size_t i = 0; i < 5; ++i) {
    BOOST_TEST(claims->all[i].first == names[i]);
    BOOST_TEST(claims->all[i].second == std::vector<std::string>{values[i]});
  }
}

BOOST_AUTO_TEST_CASE(all_claims_are_stringified_and_flattened_in_order) {
  auto token = hs256(R"({"x":true,"exp":99.9,"arr":[1,"two",null,{"k":[1]}],)"
                     R"("obj":{"a":1},"nul":null,"neg":-5,"aud":["a","b"]})");
  auto claims = verify_hs256(token, trace_keys, 0);
  BOOST_REQUIRE_MESSAGE(claims, claims.error());
  BOOST_TEST(claims->exp.value() == 99);
  BOOST_TEST(claims->aud == (std::vector<std::string>{"a", "b"}));
  using list = std::vector<std::string>;
  std::vector<std::pair<std::string, list>> want = {
    {"x", {"true"}},
    {"exp", {"99.9"}},
    {"arr", {"1", "two", R"({"k":[1]})"}},
    {"obj", {R"({"a":1})"}},
    {"nul", {}},
    {"neg", {"-5"}},
    {"aud", {"a", "b"}},
  };
  BOOST_REQUIRE(claims->all.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    BOOST_TEST(claims->all[i].first == want[i].first);
    BOOST_TEST(claims->all[i].second == want[i].second);
  }
}

BOOST_AUTO_TEST_CASE(the_secondary_key_also_verifies) {
  access_keys rotated{"new-primary", trace_key};
  BOOST_TEST(static_cast<bool>(verify_hs256(client_jwt, rotated, trace_now)));
  access_keys neither{"x", "y"};
  auto r = verify_hs256(client_jwt, neither, trace_now);
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error() == "invalid signature");
  BOOST_TEST(verify_hs256(client_jwt, access_keys{}, trace_now).error()
             == "invalid signature");
}

BOOST_AUTO_TEST_CASE(expiry_and_not_before_honour_the_clock_skew) {
  // exp = 1726200500, nbf = 1726196900, default skew 300 s.
  BOOST_TEST(static_cast<bool>(verify_hs256(client_jwt, trace_keys,
                                            1726200500 + 300)));
  BOOST_TEST(verify_hs256(client_jwt, trace_keys, 1726200500 + 301).error()
             == "token expired");
  BOOST_TEST(verify_hs256(client_jwt, trace_keys, 1726200501, 0).error()
             == "token expired");
  BOOST_TEST(static_cast<bool>(verify_hs256(client_jwt, trace_keys,
                                            1726196900 - 300)));
  BOOST_TEST(verify_hs256(client_jwt, trace_keys, 1726196900 - 301).error()
             == "token not yet valid");
}

BOOST_AUTO_TEST_CASE(only_hs256_is_accepted) {
  struct row {
    const char* header;
    const char* reason;
  };
  const row rows[] = {
    {R"({"alg":"none","typ":"JWT"})", "unsupported alg"},
    {R"({"alg":"hs256"})", "unsupported alg"},
    {R"({"alg":"RS256"})", "unsupported alg"},
    {R"({"alg":"HS512"})", "unsupported alg"},
    {R"({"typ":"JWT"})", "unsupported alg"},
    {R"({"alg":null})", "unsupported alg"},
    {R"({"alg":"HS256","alg":"none"})", "malformed token"},
    {R"(["HS256"])", "malformed token"},
    {R"(not json)", "malformed token"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.header) {
      auto token = forge(r.header, R"({"exp":9999999999})", trace_key);
      BOOST_TEST(verify_hs256(token, trace_keys, 0).error() == r.reason);
    }
  }
  // "alg":"none" with an empty signature, the classic bypass.
  std::string none = sio::protocol::base64url_encode(R"({"alg":"none"})") + "."
                     + sio::protocol::base64url_encode(R"({"exp":9999999999})")
                     + ".";
  BOOST_TEST(verify_hs256(none, trace_keys, 0).error() == "unsupported alg");
  BOOST_TEST(forge(R"({"alg":"HS256"})", R"({"exp":1})", trace_key).size() > 0);
  BOOST_TEST(static_cast<bool>(
    verify_hs256(forge(R"({"alg":"HS256"})", R"({"exp":1})", trace_key),
                 trace_keys, 0)));
}

BOOST_AUTO_TEST_CASE(malformed_tokens_are_rejected_with_short_reasons) {
  std::string tampered = client_jwt;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B'
                                                                      : 'A';
  std::string swapped_payload = client_jwt;
  swapped_payload.replace(swapped_payload.find('.') + 1, 4, "eyJz");
  struct row {
    std::string token;
    const char* reason;
  };
  const row rows[] = {
    {"", "malformed token"},
    {"abc", "malformed token"},
    {"a.b", "malformed token"},
    {"a.b.c.d", "malformed token"},
    {std::string(client_jwt) + ".x", "malformed token"},
    {"!!!.e30.", "malformed token"},
    {tampered, "invalid signature"},
    {swapped_payload, "invalid signature"},
    {hs256(R"([1,2])"), "malformed token"},
    {hs256(R"("str")"), "malformed token"},
    {hs256(R"({"sub":"u"})"), "missing exp"},
    {hs256(R"({"exp":"9999999999"})"), "malformed token"},
    {hs256(R"({"exp":null})"), "malformed token"},
    {hs256(R"({"exp":99999999999999999999})"), "malformed token"},
    {hs256(R"({"exp":9999999999,"nbf":"1"})"), "malformed token"},
    {hs256(R"({"exp":9999999999,"sub":5})"), "malformed token"},
    {hs256(R"({"exp":9999999999,"aud":[1]})"), "malformed token"},
    {hs256(R"({"exp":9999999999,"role":{"a":1}})"), "malformed token"},
    {hs256(R"({"exp":9999999999,"exp":1})"), "malformed token"},
    {hs256(R"({"exp":9999999999} trailing)"), "malformed token"},
    {hs256(R"({"exp":9999999999,"deep":)" + std::string(2000, '[')
           + std::string(2000, ']') + "}"),
     "malformed token"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.token.substr(0, 80)) {
      auto res = verify_hs256(r.token, trace_keys, 0);
      BOOST_REQUIRE(!res);
      BOOST_TEST(res.error() == r.reason);
    }
  }
}

BOOST_AUTO_TEST_CASE(length_is_checked_before_anything_else) {
  std::string huge(max_token_length + 1, 'a');
  BOOST_TEST(verify_hs256(huge, trace_keys, 0).error() == "token too long");
  // A valid token padded into the limit by a long claim still verifies.
  std::string filler(max_token_length / 2, 'x');
  auto big = hs256(R"({"exp":9999999999,"f":")" + filler + "\"}");
  BOOST_REQUIRE(big.size() <= max_token_length);
  BOOST_TEST(static_cast<bool>(verify_hs256(big, trace_keys, 0)));
  auto too_big = hs256(R"({"exp":9999999999,"f":")" + filler + filler
                       + "\"}");
  BOOST_TEST(verify_hs256(too_big, trace_keys, 0).error() == "token too long");
}

BOOST_AUTO_TEST_CASE(audience_matching_follows_the_rec_rules) {
  struct row {
    const char* aud;
    const char* url;
    bool match;
  };
  const row rows[] = {
    {"http://localhost:8080/api/hubs/hub/groups/0~L25z~/:send?api-version=2024-01-01",
     "http://localhost:8080/api/hubs/hub/groups/0~L25z~/:send", true},
    {"http://localhost:8080/api/hubs/hub/:send",
     "http://localhost:8080/api/hubs/hub/:send?api-version=1#frag", true},
    {"HTTP://LocalHost:8080/api/hubs/hub/", "http://localhost:8080/api/hubs/hub",
     true},
    {"http://localhost:8080/api/hubs/Hub", "http://localhost:8080/api/hubs/hub",
     false},
    {"http://h/api/hubs/hub/groups/0%7EL25z%7E/:send",
     "http://h/api/hubs/hub/groups/0~L25z~/%3Asend", true},
    {"http://h:80/a", "http://h/a", true},
    {"https://h:443/a", "https://h/a", true},
    {"https://h/a", "http://h/a", false},
    {"http://h:8080/a", "http://h:8081/a", false},
    {"http://other/a", "http://h/a", false},
    {"http://h/a/b", "http://h/a", false},
    {"http://h/a%zz", "http://h/a%zz", false},
    {"http://h/a%4", "http://h/a%4", false},
    {"not a url", "not a url", false},
    {"", "http://h/a", false},
  };
  for (const auto& r : rows)
    BOOST_TEST_CONTEXT(r.aud << " vs " << r.url) {
      BOOST_TEST(audience_matches(r.aud, r.url) == r.match);
    }
  BOOST_TEST(audience_matches("http://proxy/a", "http://internal:9/a", false));
  BOOST_TEST(!audience_matches("http://proxy/a", "http://internal:9/b", false));
}

BOOST_AUTO_TEST_CASE(client_audience_accepts_both_client_paths) {
  auto ep = "http://localhost:8080";
  BOOST_TEST(client_audience_matches(
    "http://localhost:8080/clients/socketio/hubs/hub", ep, "hub"));
  BOOST_TEST(client_audience_matches(
    "http://localhost:8080/clients/socketio/hubs/hub/", "http://localhost:8080/",
    "hub"));
  BOOST_TEST(client_audience_matches("http://LOCALHOST:8080/client/hubs/hub",
                                     ep, "hub"));
  BOOST_TEST(!client_audience_matches(
    "http://localhost:8080/clients/socketio/hubs/other", ep, "hub"));
  BOOST_TEST(!client_audience_matches(
    "http://localhost:8080/api/hubs/hub", ep, "hub"));
  BOOST_TEST(!client_audience_matches(
    "http://localhost:9090/clients/socketio/hubs/hub", ep, "hub"));
}

BOOST_AUTO_TEST_SUITE_END()
