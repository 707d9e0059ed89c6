// tests/fuzz/connection_string_fuzz.cpp
// libFuzzer target: connection strings (lib/auth/connection_string.hpp).
// Property: parse(format(parse(x))) == parse(x).
#include "lib/auth/connection_string.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sio::auth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  auto cs = parse_connection_string(in);
  if (!cs) {
    FUZZ_CHECK(!cs.error().empty());
    return 0;
  }
  (void) cs->effective_endpoint();
  auto text = format_connection_string(*cs);
  auto again = parse_connection_string(text);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->endpoint == cs->endpoint);
  FUZZ_CHECK(again->access_key == cs->access_key);
  FUZZ_CHECK(again->version == cs->version);
  FUZZ_CHECK(again->port == cs->port);
  FUZZ_CHECK(again->effective_endpoint() == cs->effective_endpoint());
  return 0;
}
