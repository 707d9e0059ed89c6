// tests/fuzz/eio_codec_fuzz.cpp
// libFuzzer target: Engine.IO polling payloads and WebSocket text frames
// (lib/protocol/eio_codec.hpp). Properties: whatever decodes re-encodes to
// something that decodes to the same packets; a text frame re-encodes exactly.
#include "lib/protocol/eio_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sio::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};

  // Default limits and tight ones (so the limit paths are reachable).
  for (auto limits : {payload_limits{}, payload_limits{3, 16}}) {
    auto packets = decode_payload(in, limits);
    if (!packets) {
      FUZZ_CHECK(!packets.error().empty());
      continue;
    }
    FUZZ_CHECK(!packets->empty());
    FUZZ_CHECK(packets->size() <= limits.max_packets);
    for (auto& p : *packets)
      FUZZ_CHECK(p.data.size() <= limits.max_packet_size);
    auto again = decode_payload(encode_payload(*packets), limits);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *packets);
  }

  auto frame = decode_text_frame(in);
  if (frame) {
    FUZZ_CHECK(!frame->binary);
    FUZZ_CHECK(encode_frame(*frame) == in);
  } else {
    FUZZ_CHECK(!frame.error().empty());
  }

  auto bin = decode_binary_frame(in);
  FUZZ_CHECK(is_binary_frame(bin));
  FUZZ_CHECK(encode_frame(bin) == in);
  std::string payload;
  append_to_payload(payload, bin);
  auto back = decode_payload(payload);
  if (in.size() <= payload_limits{}.max_packet_size) {
    FUZZ_CHECK(back.has_value() && back->size() == 1);
    FUZZ_CHECK(back->front() == bin);
  }
  return 0;
}
