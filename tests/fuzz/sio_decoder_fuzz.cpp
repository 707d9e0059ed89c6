// tests/fuzz/sio_decoder_fuzz.cpp
// libFuzzer target: the stateful Socket.IO decoder (lib/protocol/sio_decoder.hpp).
// The input is split on 0x1e: the first piece is packet text, the following
// pieces are binary attachments, except those starting with 'T', which are
// fed as the next packet text. Properties: every completed packet encodes to
// messages that decode back to the same packet; an event's kept head splits
// it as split_event does; a decoder without the event data copy agrees and
// its head locates the data in the text it was fed.
#include "lib/protocol/sio_decoder.hpp"
#include "lib/protocol/sio_encoder.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <vector>

using namespace sio::protocol;

namespace {

/// decode(encode(p)) == p for a packet the decoder accepted.
void check_round_trip(const sio_packet& p, const decoder_limits& limits) {
  FUZZ_CHECK(!p.nsp.empty() && p.nsp.front() == '/');
  FUZZ_CHECK(p.attachments.size() <= limits.max_attachments);
  auto messages = to_eio_packets(p);
  FUZZ_CHECK(!messages.empty());
  FUZZ_CHECK(messages.front().data == encode(p));
  FUZZ_CHECK(encode_message(p) == "4" + encode(p));
  sio_decoder dec{limits};
  auto st = dec.feed_text(messages.front().data);
  for (size_t i = 1; i < messages.size(); ++i) {
    FUZZ_CHECK(st == sio_decoder::status::need_more);
    FUZZ_CHECK(messages[i].binary);
    st = dec.feed_binary(messages[i].data);
  }
  FUZZ_CHECK(st == sio_decoder::status::complete);
  FUZZ_CHECK(dec.take() == p);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  std::vector<std::string_view> pieces;
  for (;;) {
    auto sep = in.find('\x1e');
    pieces.push_back(in.substr(0, sep));
    if (sep == std::string_view::npos || pieces.size() >= 64)
      break;
    in.remove_prefix(sep + 1);
  }

  decoder_limits limits;
  limits.max_json_depth = 32;  // reachable by small inputs
  sio_decoder dec{limits};
  decoder_limits no_copy_limits = limits;
  no_copy_limits.copy_event_data = false;
  sio_decoder no_copy{no_copy_limits};
  std::string_view text; // the last packet text fed
  for (size_t i = 0; i < pieces.size(); ++i) {
    auto piece = pieces[i];
    sio_decoder::status st;
    sio_decoder::status st_no_copy;
    if (i == 0 || (!piece.empty() && piece.front() == 'T')) {
      text = i == 0 ? piece : piece.substr(1);
      st = dec.feed_text(text);
      st_no_copy = no_copy.feed_text(text);
    } else {
      st = dec.feed_binary(piece);
      st_no_copy = no_copy.feed_binary(piece);
    }
    FUZZ_CHECK(st == st_no_copy);
    switch (st) {
      case sio_decoder::status::complete: {
        FUZZ_CHECK(!dec.awaiting_attachments());
        FUZZ_CHECK(dec.error().empty());
        auto p = dec.take();
        auto q = no_copy.take();
        const auto& q_head = no_copy.last_event_head();
        FUZZ_CHECK(q_head.has_value() == dec.last_event_head().has_value());
        if (q_head) {
          FUZZ_CHECK(q.data.empty());
          FUZZ_CHECK(q_head->data_offset <= text.size());
          FUZZ_CHECK(text.substr(q_head->data_offset) == p.data);
          q.data = p.data;
        }
        FUZZ_CHECK(q == p);
        check_round_trip(p, limits);
        // The head the decoder kept splits the event as a second scan would.
        bool event = p.type == sio_packet_type::event
                     || p.type == sio_packet_type::binary_event;
        const auto& head = dec.last_event_head();
        FUZZ_CHECK(head.has_value() == event);
        if (head) {
          auto parts = split_event(p.data);
          FUZZ_CHECK(static_cast<bool>(parts));
          FUZZ_CHECK(head->name == parts->name);
          FUZZ_CHECK(event_args(p.data, head->first_end) == parts->args);
        }
        break;
      }
      case sio_decoder::status::need_more:
        FUZZ_CHECK(dec.awaiting_attachments());
        break;
      case sio_decoder::status::invalid:
        FUZZ_CHECK(!dec.error().empty());
        FUZZ_CHECK(!dec.awaiting_attachments());
        break;
    }
  }

  // The one-shot helpers on the first piece.
  auto whole = decode_text_packet(pieces.front());
  if (whole)
    check_round_trip(*whole, decoder_limits{});
  decoder_limits rest_limits;
  rest_limits.allow_disconnect_payload = true;
  auto rest = decode_text_packet(pieces.front(), rest_limits);
  if (rest)
    check_round_trip(*rest, rest_limits);
  (void) disconnect_requests_close(pieces.front());
  auto parts = split_event(pieces.front());
  if (parts)
    FUZZ_CHECK(parts->args.size() >= 2 && parts->args.front() == '['
               && parts->args.back() == ']');
  return 0;
}
