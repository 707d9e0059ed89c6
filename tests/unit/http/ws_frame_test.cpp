// Tests for lib/http/ws_frame.hpp: the RFC 6455 §5.7 example frames, the
// 16- and 64-bit length forms, every header rule that closes with 1002/1009,
// masking in pieces and close payloads.
#include "lib/http/ws_frame.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace sio::http {

// Boost.Test prints both sides of a failed comparison.
std::ostream& operator<<(std::ostream& os, ws_opcode op) {
  return os << to_string(op);
}

std::ostream& operator<<(std::ostream& os, ws_parse_status s) {
  return os << static_cast<int>(s);
}

} // namespace sio::http

namespace data = boost::unit_test::data;
using namespace sio::http;
using namespace std::string_literals;

namespace {

struct decoded_frame {
  ws_frame_header header;
  std::string payload;
};

/// Parses every frame in `wire` (whole or fed `step` bytes at a time) and
/// returns them unmasked; stops at the first error and reports it.
std::vector<decoded_frame> decode_all(ws_frame_parser& parser, const std::string& wire,
                                      ws_parse_result* error = nullptr, size_t step = 0) {
  std::vector<decoded_frame> out;
  size_t pos = 0;
  while (pos < wire.size()) {
    size_t avail = wire.size() - pos;
    size_t chunk = step ? std::min(step, avail) : avail;
    auto r = parser.parse_header(std::string_view{wire}.substr(pos, chunk));
    pos += r.consumed;
    if (r.status == ws_parse_status::invalid) {
      if (error)
        *error = r;
      return out;
    }
    if (r.status == ws_parse_status::need_more)
      continue;
    decoded_frame f{parser.header(), wire.substr(pos, parser.header().payload_size)};
    BOOST_TEST_REQUIRE(f.payload.size() == parser.header().payload_size);
    pos += f.payload.size();
    if (f.header.masked)
      ws_apply_mask(f.payload.data(), f.payload.size(), f.header.mask);
    out.push_back(std::move(f));
  }
  return out;
}

ws_parser_limits unmasked_ok() {
  ws_parser_limits l;
  l.require_mask = false;
  return l;
}

// RFC 6455 §5.7, byte for byte.
const std::string rfc_unmasked_hello = "\x81\x05\x48\x65\x6c\x6c\x6f";
const std::string rfc_masked_hello = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
const std::string rfc_fragmented = "\x01\x03\x48\x65\x6c\x80\x02\x6c\x6f";
const std::string rfc_ping = "\x89\x05\x48\x65\x6c\x6c\x6f";
const std::string rfc_masked_pong = "\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
const std::string rfc_256_header = "\x82\x7E\x01\x00"s;
const std::string rfc_64k_header = "\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00"s;

const std::string mask4 = "\x01\x02\x03\x04";

struct bad_case {
  std::string name;
  std::string wire;
  uint16_t code;
  ws_parser_limits limits;
};

std::ostream& operator<<(std::ostream& os, const bad_case& c) {
  return os << c.name;
}

ws_parser_limits small_limits(uint64_t size, size_t frags) {
  ws_parser_limits l;
  l.max_message_size = size;
  l.max_fragments = frags;
  return l;
}

const std::vector<bad_case> bad_cases{
  {"unmasked client frame", rfc_unmasked_hello, 1002, {}},
  {"rsv1 set", "\xC1\x80" + mask4, 1002, {}},
  {"rsv3 set", "\x91\x80" + mask4, 1002, {}},
  {"reserved data opcode 3", "\x83\x80" + mask4, 1002, {}},
  {"reserved control opcode B", "\x8B\x80" + mask4, 1002, {}},
  {"fragmented ping", "\x09\x80" + mask4, 1002, {}},
  {"ping of 126 bytes", "\x89\xFE\x00\x7E"s + mask4, 1002, {}},
  {"continuation without a start", "\x80\x80" + mask4, 1002, {}},
  {"text inside a fragmented message", "\x01\x80" + mask4 + "\x81\x80" + mask4, 1002, {}},
  {"64-bit length with the top bit", "\x82\xFF\x80\x00\x00\x00\x00\x00\x00\x00"s + mask4, 1002, {}},
  {"1 GiB frame", "\x82\xFF\x00\x00\x00\x00\x40\x00\x00\x00"s + mask4, 1009, {}},
  {"fragments over the size", "\x01\x86" + mask4 + "abcdef" + "\x80\x85" + mask4, 1009,
   small_limits(10, 1024)},
  {"too many fragments", "\x02\x80" + mask4 + "\x00\x80"s + mask4 + "\x80\x80" + mask4, 1009,
   small_limits(1000, 2)},
};

} // namespace

BOOST_AUTO_TEST_SUITE(ws_frame_test)

BOOST_AUTO_TEST_CASE(rfc_unmasked_hello_decodes) {
  ws_frame_parser p{unmasked_ok()};
  auto frames = decode_all(p, rfc_unmasked_hello);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(frames[0].header.fin);
  BOOST_TEST(frames[0].header.opcode == ws_opcode::text);
  BOOST_TEST(!frames[0].header.masked);
  BOOST_TEST(frames[0].payload == "Hello");
}

BOOST_AUTO_TEST_CASE(rfc_masked_hello_decodes_whole_and_byte_by_byte) {
  for (size_t step : {0, 1, 3}) {
    ws_frame_parser p;
    auto frames = decode_all(p, rfc_masked_hello, nullptr, step);
    BOOST_TEST_REQUIRE(frames.size() == 1u);
    BOOST_TEST(frames[0].header.masked);
    BOOST_TEST(frames[0].header.payload_size == 5u);
    BOOST_TEST(frames[0].payload == "Hello");
    BOOST_TEST(p.ends_message());
  }
}

BOOST_AUTO_TEST_CASE(rfc_fragmented_hello_keeps_the_message_opcode) {
  ws_frame_parser p{unmasked_ok()};
  ws_parse_result r;
  r = p.parse_header(rfc_fragmented);
  BOOST_TEST(r.status == ws_parse_status::complete);
  BOOST_TEST(r.consumed == 2u);
  BOOST_TEST(!p.header().fin);
  BOOST_TEST(!p.ends_message());
  BOOST_TEST(rfc_fragmented.substr(2, 3) == "Hel");
  r = p.parse_header(std::string_view{rfc_fragmented}.substr(5));
  BOOST_TEST(r.status == ws_parse_status::complete);
  BOOST_TEST(p.header().opcode == ws_opcode::continuation);
  BOOST_TEST(p.header().payload_size == 2u);
  BOOST_TEST(p.ends_message());
  BOOST_TEST(p.message_opcode() == ws_opcode::text);
}

BOOST_AUTO_TEST_CASE(rfc_ping_and_masked_pong_decode) {
  ws_frame_parser p{unmasked_ok()};
  auto frames = decode_all(p, rfc_ping + rfc_masked_pong);
  BOOST_TEST_REQUIRE(frames.size() == 2u);
  BOOST_TEST(frames[0].header.opcode == ws_opcode::ping);
  BOOST_TEST(frames[0].payload == "Hello");
  BOOST_TEST(frames[1].header.opcode == ws_opcode::pong);
  BOOST_TEST(frames[1].payload == "Hello");
  BOOST_TEST(!p.ends_message()); // control frames never end a data message
}

BOOST_AUTO_TEST_CASE(rfc_256_byte_and_64_kib_lengths_decode) {
  ws_frame_parser p{unmasked_ok()};
  auto r = p.parse_header(rfc_256_header);
  BOOST_TEST(r.status == ws_parse_status::complete);
  BOOST_TEST(r.consumed == 4u);
  BOOST_TEST(p.header().opcode == ws_opcode::binary);
  BOOST_TEST(p.header().payload_size == 256u);
  r = p.parse_header(rfc_64k_header);
  BOOST_TEST(r.status == ws_parse_status::complete);
  BOOST_TEST(r.consumed == 10u);
  BOOST_TEST(p.header().payload_size == 65536u);
}

BOOST_AUTO_TEST_CASE(parse_header_stops_at_the_end_of_the_header) {
  ws_frame_parser p;
  auto r = p.parse_header(std::string_view{rfc_masked_hello}.substr(0, 1));
  BOOST_TEST(r.status == ws_parse_status::need_more);
  BOOST_TEST(r.consumed == 1u);
  r = p.parse_header(std::string_view{rfc_masked_hello}.substr(1));
  BOOST_TEST(r.status == ws_parse_status::complete);
  BOOST_TEST(r.consumed == 5u); // second byte + 4 mask bytes; payload untouched
}

BOOST_AUTO_TEST_CASE(encoder_produces_the_rfc_headers) {
  BOOST_TEST(encode_ws_frame_header(ws_opcode::text, 5).view() == "\x81\x05");
  BOOST_TEST(encode_ws_frame_header(ws_opcode::text, 3, false).view() == "\x01\x03");
  BOOST_TEST(encode_ws_frame_header(ws_opcode::continuation, 2).view() == "\x80\x02");
  BOOST_TEST(encode_ws_frame_header(ws_opcode::ping, 5).view() == "\x89\x05");
  BOOST_TEST(encode_ws_frame_header(ws_opcode::binary, 125).view() == "\x82\x7D");
  BOOST_TEST(encode_ws_frame_header(ws_opcode::binary, 126).view() == "\x82\x7E\x00\x7E"s);
  BOOST_TEST(encode_ws_frame_header(ws_opcode::binary, 256).view() == rfc_256_header);
  BOOST_TEST(encode_ws_frame_header(ws_opcode::binary, 65535).view() == "\x82\x7E\xFF\xFF"s);
  BOOST_TEST(encode_ws_frame_header(ws_opcode::binary, 65536).view() == rfc_64k_header);
  std::array<uint8_t, 4> key{0x37, 0xfa, 0x21, 0x3d};
  std::string masked = std::string(encode_ws_frame_header(ws_opcode::text, 5, true, &key).view());
  std::string hello = "Hello";
  ws_apply_mask(hello.data(), hello.size(), key);
  BOOST_TEST(masked + hello == rfc_masked_hello);
}

BOOST_DATA_TEST_CASE(header_rule_violations_close_with_the_right_code, data::make(bad_cases), c) {
  ws_frame_parser p{c.limits};
  ws_parse_result error;
  decode_all(p, c.wire, &error);
  BOOST_TEST(error.status == ws_parse_status::invalid);
  BOOST_TEST(error.close_code == c.code);
  BOOST_TEST(!error.reason.empty());
  // A failed parser stays failed.
  auto again = p.parse_header(rfc_masked_hello);
  BOOST_TEST(again.status == ws_parse_status::invalid);
  BOOST_TEST(again.close_code == c.code);
  p.reset();
  BOOST_TEST(decode_all(p, rfc_masked_hello).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_message_of_exactly_the_limit_is_accepted) {
  ws_frame_parser p{small_limits(10, 3)};
  std::string wire = "\x01\x85" + mask4 + "abcde" + "\x00\x84"s + mask4 + "abcd" + "\x80\x81"
                     + mask4 + "a";
  ws_parse_result error;
  auto frames = decode_all(p, wire, &error);
  BOOST_TEST(frames.size() == 3u);
  BOOST_TEST(error.status == ws_parse_status::need_more);
  // The next message starts from zero again.
  BOOST_TEST(decode_all(p, "\x82\x8A" + mask4 + "0123456789").size() == 1u);
}

BOOST_AUTO_TEST_CASE(control_frames_may_interleave_with_fragments) {
  ws_frame_parser p;
  const std::string zero_key(4, '\0'); // XOR with 0: payloads stay readable
  std::string wire = "\x01\x83" + zero_key + "Hel" + "\x89\x80" + mask4 + "\x80\x82" + zero_key + "lo";
  ws_parse_result error;
  auto frames = decode_all(p, wire, &error);
  BOOST_TEST_REQUIRE(frames.size() == 3u);
  BOOST_TEST(frames[1].header.opcode == ws_opcode::ping);
  BOOST_TEST(frames[0].payload + frames[2].payload == "Hello");
  BOOST_TEST(error.status == ws_parse_status::need_more);
}

BOOST_AUTO_TEST_CASE(masking_in_pieces_equals_masking_at_once) {
  std::array<uint8_t, 4> key{0xA1, 0xB2, 0xC3, 0xD4};
  std::string plain;
  for (int i = 0; i < 41; ++i)
    plain.push_back(static_cast<char>('a' + i % 26));
  std::string whole = plain;
  ws_apply_mask(whole.data(), whole.size(), key);
  BOOST_TEST(static_cast<uint8_t>(whole[0]) == (uint8_t{'a'} ^ 0xA1));
  BOOST_TEST(static_cast<uint8_t>(whole[5]) == (uint8_t{'f'} ^ 0xB2));
  for (size_t cut = 0; cut <= plain.size(); ++cut) {
    std::string pieces = plain;
    ws_apply_mask(pieces.data(), cut, key, 0);
    ws_apply_mask(pieces.data() + cut, pieces.size() - cut, key, cut);
    BOOST_TEST(pieces == whole, "cut at " << cut);
  }
}

BOOST_AUTO_TEST_CASE(close_payloads_are_checked) {
  auto empty = parse_ws_close_payload("");
  BOOST_TEST_REQUIRE(empty.has_value());
  BOOST_TEST(empty->code == 1005u);
  auto bye = parse_ws_close_payload("\x03\xE8" "bye");
  BOOST_TEST_REQUIRE(bye.has_value());
  BOOST_TEST(bye->code == 1000u);
  BOOST_TEST(bye->reason == "bye");
  BOOST_TEST(!parse_ws_close_payload("\x03").has_value());
  BOOST_TEST(!parse_ws_close_payload("\x03\xE8\xFF").has_value());       // reason not UTF-8
  BOOST_TEST(!parse_ws_close_payload("\x03\xED").has_value());           // 1005 on the wire
  BOOST_TEST(!parse_ws_close_payload("\x00\x00"s).has_value());          // 0
  BOOST_TEST(parse_ws_close_payload("\x0F\xA0").has_value());            // 4000
}

BOOST_AUTO_TEST_CASE(close_codes_follow_rfc6455_section_7_4) {
  for (uint16_t ok : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1014, 3000, 4999})
    BOOST_TEST(is_valid_close_code(ok), ok);
  for (uint16_t bad : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
    BOOST_TEST(!is_valid_close_code(bad), bad);
}

BOOST_AUTO_TEST_CASE(close_payload_is_built_within_125_bytes) {
  BOOST_TEST(make_ws_close_payload(1000, "bye") == "\x03\xE8" "bye");
  BOOST_TEST(make_ws_close_payload(1006, "") == "\x03\xE8"); // never sent -> 1000
  BOOST_TEST(make_ws_close_payload(1009, "\xFF") == "\x03\xF1"); // non-UTF-8 reason dropped
  std::string euros = "a";
  for (int i = 0; i < 60; ++i)
    euros += "\xE2\x82\xAC"; // 181 bytes; byte 123 is inside the 41st euro
  auto p = make_ws_close_payload(1001, euros);
  BOOST_TEST(p.size() == 2u + 121u); // "a" + 40 whole euros
  auto parsed = parse_ws_close_payload(p);
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->code == 1001u);
  BOOST_TEST(parsed->reason == euros.substr(0, 121));
}

BOOST_AUTO_TEST_CASE(opcode_names_and_validity) {
  BOOST_TEST(to_string(ws_opcode::text) == "text");
  BOOST_TEST(to_string(ws_opcode::pong) == "pong");
  BOOST_TEST(to_string(static_cast<ws_opcode>(3)) == "reserved");
  BOOST_TEST(is_known_opcode(0xA));
  BOOST_TEST(!is_known_opcode(0xB));
  BOOST_TEST(is_control(ws_opcode::close));
  BOOST_TEST(!is_control(ws_opcode::continuation));
}

BOOST_AUTO_TEST_SUITE_END()
