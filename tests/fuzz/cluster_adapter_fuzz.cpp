// tests/fuzz/cluster_adapter_fuzz.cpp
// libFuzzer target: the Socket.IO Redis adapter's messages as Node.js
// servers and emitters publish them (lib/cluster/adapter_codec.hpp,
// adapter_requests.hpp): broadcasts, requests, responses. Properties: no
// crash, every decoded broadcast has its frames (a text frame first), and a
// broadcast we re-encode decodes to the same frames.
#include "lib/cluster/adapter_codec.hpp"
#include "lib/cluster/adapter_requests.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sio::cluster;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  codec_limits limits;
  limits.max_values = 10000;
  limits.max_depth = 32;
  if (auto b = decode_broadcast(in, limits)) {
    FUZZ_CHECK(!b->frames.empty());
    FUZZ_CHECK(!b->frames.front().binary);
    FUZZ_CHECK(b->frames.size() == b->attachments.size() + 1);
    if (auto bytes = encode_broadcast(*b)) {
      auto again = decode_broadcast(*bytes);
      FUZZ_CHECK(again.has_value());
      FUZZ_CHECK(again->frames == b->frames);
      FUZZ_CHECK(again->nsp == b->nsp);
      FUZZ_CHECK(again->opts.rooms == b->opts.rooms);
      FUZZ_CHECK(again->opts.except == b->opts.except);
    }
  }
  (void) decode_request(in, limits);
  (void) decode_response(in, limits);
  return 0;
}
