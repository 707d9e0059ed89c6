// tests/unit/adapter/fixtures.hpp: fixtures.json (bytes recorded from the
// real npm packages by gen_fixtures.mjs), loaded once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace adapter_test {

struct fixture_frame {
  bool binary = false;
  std::string bytes;
};

struct fixture {
  std::string label;
  std::string channel;
  std::string bytes;
  /// What a Node peer writes to its clients for this broadcast.
  std::optional<std::vector<fixture_frame>> node_frames;
  /// JSON.stringify of notepack's decoding (Buffers as {"$bin": base64}).
  std::string node_json;
  std::optional<int64_t> numsub;
};

const std::vector<fixture>& fixtures();
/// The fixtures recorded under `label`, in publication order.
std::vector<const fixture*> by_label(const std::string& label);

} // namespace adapter_test
