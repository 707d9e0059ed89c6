// tests/fuzz/jwt_fuzz.cpp
// libFuzzer target: JWT HS256 verification (lib/auth/jwt.hpp) with a fixed key
// and a fixed `now`. The input is verified as a token, and also signed as a
// payload so that the claim parser behind the signature check is reached.
// Properties: a verified token has exp, is not expired, and a token signed
// with another key never verifies.
#include "lib/auth/jwt.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sio::auth;

namespace {

constexpr const char* key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
constexpr int64_t now = 1726196900;

void check_claims(const jwt_claims& c) {
  FUZZ_CHECK(c.exp.has_value());
  FUZZ_CHECK(*c.exp >= now - default_clock_skew);
  if (c.nbf)
    FUZZ_CHECK(*c.nbf <= now + default_clock_skew);
  for (auto& a : c.aud) {
    (void) client_audience_matches(a, "http://localhost:8080", "hub");
    (void) audience_matches(a, "http://localhost:8080/clients/socketio/hubs/hub");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  const access_keys keys{key, "second"};

  auto direct = verify_hs256(in, keys, now);
  if (direct)
    check_claims(*direct);
  else
    FUZZ_CHECK(!direct.error().empty());

  // The input as the payload of a correctly signed token.
  auto token = sign_hs256(in, key);
  auto signed_ok = verify_hs256(token, keys, now);
  if (signed_ok) {
    check_claims(*signed_ok);
    FUZZ_CHECK(!verify_hs256(sign_hs256(in, "other key"), keys, now));
    FUZZ_CHECK(verify_hs256(sign_hs256(in, "second"), keys, now).has_value());
  } else {
    FUZZ_CHECK(signed_ok.error() != "invalid signature");
  }

  // Audience comparison on arbitrary text (split at the first newline).
  auto nl = in.find('\n');
  auto a = in.substr(0, nl);
  auto b = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  bool ab = audience_matches(a, b);
  if (ab)
    FUZZ_CHECK(audience_matches(b, a));
  (void) audience_matches(a, b, false);
  return 0;
}
