// tests/fuzz/ws_frame_fuzz.cpp
// libFuzzer target: RFC 6455 frame headers (lib/http/ws_frame.hpp), masking,
// close payloads and UTF-8 validation (lib/protocol/utf8.hpp). The first byte
// picks the limits, the rest is a client byte stream. Properties: byte-wise
// and whole feeding agree; accepted headers obey the limits and re-encode to
// the same header; the streaming UTF-8 validator agrees with the one-shot one.
#include "lib/http/ws_frame.hpp"
#include "lib/protocol/utf8.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <string>

using namespace sio::http;
using sio::protocol::is_valid_utf8;
using sio::protocol::utf8_validator;

namespace {

bool same_header(const ws_frame_header& a, const ws_frame_header& b) {
  return a.fin == b.fin && a.opcode == b.opcode && a.masked == b.masked
         && a.mask == b.mask && a.payload_size == b.payload_size;
}

/// Streaming vs. one-shot UTF-8 over `text` split at `cut1` <= `cut2`.
void check_utf8(std::string_view text, size_t cut1, size_t cut2) {
  cut1 = std::min(cut1, text.size());
  cut2 = std::min(std::max(cut1, cut2), text.size());
  utf8_validator v;
  bool ok = v.feed(text.substr(0, cut1)) && v.feed(text.substr(cut1, cut2 - cut1))
            && v.feed(text.substr(cut2));
  bool whole = is_valid_utf8(text);
  FUZZ_CHECK((ok && v.complete()) == whole);
  if (!ok)
    FUZZ_CHECK(v.failed());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sio::fuzz::fuzz_input input{data, size};
  auto config = input.byte();
  ws_parser_limits limits;
  limits.require_mask = (config & 1) == 0;
  if (config & 2) {
    limits.max_message_size = 64;
    limits.max_fragments = 4;
  }
  std::string_view stream = input.rest();

  check_utf8(stream, config % 7, stream.size() / 2);

  ws_frame_parser whole{limits};
  ws_frame_parser bytewise{limits};
  utf8_validator text_check;
  bool in_text = false;
  for (int frames = 0; frames < 256 && !stream.empty(); ++frames) {
    auto a = whole.parse_header(stream);
    ws_parse_result b;
    size_t used = 0;
    do {
      b = bytewise.parse_header(stream.substr(used, 1));
      used += b.consumed;
    } while (b.status == ws_parse_status::need_more && used < stream.size()
             && b.consumed == 1);
    FUZZ_CHECK(a.status == b.status);
    if (a.status == ws_parse_status::need_more)
      break;
    if (a.status == ws_parse_status::invalid) {
      FUZZ_CHECK(a.close_code == b.close_code);
      FUZZ_CHECK(a.close_code == ws_close_code::protocol_error
                 || a.close_code == ws_close_code::too_big);
      FUZZ_CHECK(!a.reason.empty());
      // Failures are sticky.
      auto again = whole.parse_header(stream);
      FUZZ_CHECK(again.status == ws_parse_status::invalid);
      break;
    }
    FUZZ_CHECK(a.consumed == used);
    FUZZ_CHECK(a.consumed >= 2 && a.consumed <= 14);
    const auto& h = whole.header();
    FUZZ_CHECK(same_header(h, bytewise.header()));
    if (limits.require_mask)
      FUZZ_CHECK(h.masked);
    if (is_control(h.opcode))
      FUZZ_CHECK(h.fin && h.payload_size <= 125);
    else
      FUZZ_CHECK(h.payload_size <= limits.max_message_size);

    // The header re-encodes to the bytes it came from (shortest length form
    // only: a longer form is legal on the wire but not what we produce).
    auto enc = encode_ws_frame_header(h.opcode, h.payload_size, h.fin,
                                      h.masked ? &h.mask : nullptr);
    auto raw = stream.substr(0, a.consumed);
    if (enc.size == a.consumed && (static_cast<uint8_t>(raw[0]) & 0x70) == 0)
      FUZZ_CHECK(enc.view() == raw);

    stream.remove_prefix(a.consumed);
    auto n = static_cast<size_t>(std::min<uint64_t>(h.payload_size, stream.size()));
    std::string payload{stream.substr(0, n)};
    stream.remove_prefix(n);
    if (h.masked) {
      // Unmasking in two pieces equals unmasking at once.
      std::string once = payload;
      ws_apply_mask(once.data(), once.size(), h.mask);
      auto cut = payload.size() / 3;
      ws_apply_mask(payload.data(), cut, h.mask);
      ws_apply_mask(payload.data() + cut, payload.size() - cut, h.mask, cut);
      FUZZ_CHECK(once == payload);
    }
    if (h.opcode == ws_opcode::close) {
      if (auto info = parse_ws_close_payload(payload)) {
        FUZZ_CHECK(is_valid_utf8(info->reason));
        auto rebuilt = make_ws_close_payload(info->code, info->reason);
        if (!payload.empty())
          FUZZ_CHECK(rebuilt == payload);
      }
      auto made = make_ws_close_payload(static_cast<uint16_t>(payload.size() * 37),
                                        payload);
      FUZZ_CHECK(made.size() <= 125);
      FUZZ_CHECK(parse_ws_close_payload(made).has_value());
    }
    if (!is_control(h.opcode)) {
      if (h.opcode == ws_opcode::text) {
        text_check.reset();
        in_text = true;
      } else if (h.opcode == ws_opcode::binary) {
        in_text = false;
      }
      if (in_text) {
        text_check.feed(payload);
        if (whole.ends_message())
          (void) text_check.complete();
      }
      FUZZ_CHECK(whole.message_opcode() == ws_opcode::text
                 || whole.message_opcode() == ws_opcode::binary);
    }
  }
  return 0;
}
