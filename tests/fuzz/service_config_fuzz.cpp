// tests/fuzz/service_config_fuzz.cpp
// libFuzzer target: the strict config loader (<sio/config.hpp>).
// Properties: an accepted config has valid, distinct hub names and sane
// engine.io values and a connect cap within the upstream pool; a refused
// one says which field.
#include <sio/config.hpp>
#include "tests/fuzz/fuzz_check.hpp"

#include <set>

using namespace sio::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  auto cfg = parse_service_config(in);
  if (!cfg) {
    FUZZ_CHECK(!cfg.error().empty());
    return 0;
  }
  std::set<std::string> names;
  for (auto& hub : cfg->hubs) {
    FUZZ_CHECK(is_valid_hub_name(hub.name));
    names.insert(hub.name);
  }
  FUZZ_CHECK(cfg->io_threads <= 64); // 0 = automatic (the default)
  // Connect requests leave the pool's other connections to other requests.
  FUZZ_CHECK(cfg->webhook.max_connect_requests_per_upstream >= 1);
  FUZZ_CHECK(cfg->webhook.max_connect_requests_per_upstream
             <= cfg->webhook.max_connections_per_upstream);
  auto endpoint = public_endpoint_for(*cfg, 1234);
  FUZZ_CHECK(!endpoint.empty());
  (void) is_valid_hub_name(in);
  return 0;
}
