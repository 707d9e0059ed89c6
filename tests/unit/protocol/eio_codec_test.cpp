// Tests for lib/protocol/eio_codec.hpp: WebSocket frames, polling payloads,
// golden strings from protocol.md §1.4, §2.3 and §2.5, malformed payloads.
#include "lib/protocol/eio_codec.hpp"

#include "tests/unit/protocol/printing.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace data = boost::unit_test::data;
using namespace sio::protocol;
using namespace std::string_literals;

namespace {

eio_packet text(eio_packet_type type, std::string data = {}) {
  eio_packet p;
  p.type = type;
  p.data = std::move(data);
  return p;
}

eio_packet binary(std::string bytes) {
  eio_packet p;
  p.binary = true;
  p.data = std::move(bytes);
  return p;
}

const std::vector<eio_packet_type> all_types{
  eio_packet_type::open,
  eio_packet_type::close,
  eio_packet_type::ping,
  eio_packet_type::pong,
  eio_packet_type::message,
  eio_packet_type::upgrade,
  eio_packet_type::noop,
};

// A malformed payload and a fragment its error reason must contain.
struct bad_payload {
  std::string name;
  std::string body;
  std::string reason_part;
};

std::ostream& operator<<(std::ostream& os, const bad_payload& row) {
  return os << row.name;
}

const payload_limits small_limits{3, 8};

const std::vector<bad_payload> bad_payloads{
  {"empty body", "", "packet 0: empty packet"},
  {"empty leading segment",
    "\x1e"
    "4a",
    "packet 0: empty packet"},
  {"empty middle segment",
    "4a\x1e\x1e"
    "4b",
    "packet 1: empty packet"},
  {"empty trailing segment", "4a\x1e", "packet 1: empty packet"},
  {"unknown digit",
    "4a\x1e"
    "7x",
    "packet 1: unknown packet type '7'"},
  {"letter instead of digit", "abc", "packet 0: unknown packet type 'a'"},
  {"control byte instead of digit", "\x01",
    "packet 0: unknown packet type 0x01"},
  {"base64 length not a multiple of 4",
    "4a\x1e"
    "bAQIDB",
    "packet 1: invalid base64"},
  {"base64 bad character", "bAQ*DBA==", "packet 0: invalid base64"},
  {"base64 non-canonical bits", "bAR==", "packet 0: invalid base64"},
  {"too many packets",
    "4a\x1e"
    "4b\x1e"
    "4c\x1e"
    "4d",
    "more than the limit of 3"},
  {"oversized text packet", "4123456789",
    "packet 0: packet of 9 bytes exceeds"},
  {"oversized binary packet",
    "4a\x1e"
    "bAAAAAAAAAAAA",
    "packet 1: binary packet of 9 bytes"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(eio_codec_test)

BOOST_AUTO_TEST_CASE(every_text_packet_type_round_trips_through_a_frame) {
  for (auto type : all_types) {
    for (const auto& payload : {""s, "probe"s, "h\xc3\xa9llo \x1f"s}) {
      BOOST_TEST_CONTEXT(
        to_string(type) << " with " << payload.size() << " bytes") {
        auto packet = text(type, payload);
        auto frame = encode_frame(packet);
        BOOST_TEST(frame.size() == payload.size() + 1);
        BOOST_TEST(frame[0] == static_cast<char>('0' + static_cast<int>(type)));
        auto back = decode_text_frame(frame);
        BOOST_TEST_REQUIRE(static_cast<bool>(back));
        BOOST_TEST(*back == packet);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(binary_message_is_a_raw_binary_frame) {
  auto packet = binary("\x01\x02\x03\x04"s);
  BOOST_TEST(is_binary_frame(packet));
  BOOST_TEST(encode_frame(packet) == "\x01\x02\x03\x04"s);
  BOOST_TEST(decode_binary_frame("\x01\x02\x03\x04"s) == packet);
  BOOST_TEST(decode_binary_frame("").binary);
}

BOOST_AUTO_TEST_CASE(encode_frame_writes_the_golden_frames) {
  BOOST_TEST(encode_frame(text(eio_packet_type::message, "hello")) == "4hello");
  BOOST_TEST(encode_frame(text(eio_packet_type::ping, "probe")) == "2probe");
  BOOST_TEST(encode_frame(text(eio_packet_type::pong, "probe")) == "3probe");
  BOOST_TEST(encode_frame(text(eio_packet_type::upgrade)) == "5");
  BOOST_TEST(encode_frame(text(eio_packet_type::noop)) == "6");
  BOOST_TEST(encode_frame(text(eio_packet_type::close)) == "1");
}

BOOST_AUTO_TEST_CASE(binary_flag_is_ignored_on_non_message_packets) {
  auto packet = text(eio_packet_type::ping, "probe");
  packet.binary = true;
  BOOST_TEST(!is_binary_frame(packet));
  BOOST_TEST(encode_frame(packet) == "2probe");
}

BOOST_DATA_TEST_CASE(decode_text_frame_rejects_malformed_frames,
  data::make(std::vector<std::string>{"", "7", "9x", "x", "bAQIDBA==",
    "\x1e"
    "4a",
    "-1"}),
  frame) {
  auto r = decode_text_frame(frame);
  BOOST_TEST(!r);
  BOOST_TEST(!r.error().empty());
}

BOOST_AUTO_TEST_CASE(decode_text_frame_explains_the_b_prefix) {
  auto r = decode_text_frame("bAQIDBA==");
  BOOST_TEST_REQUIRE(!r);
  BOOST_TEST(r.error().find("WebSocket") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(taking_a_frame_decodes_like_copying_it_and_reuses_its_buffer) {
  for (const auto& frame : {"4hello"s, "2probe"s, "5"s, "4"s, "42[\"e\",1]"s, ""s, "7"s,
                            "x"s, "bAQIDBA=="s, "-1"s, std::string(300, '4')}) {
    BOOST_TEST_CONTEXT("frame '" << frame << "'") {
      auto copied = decode_text_frame(frame);
      std::string owned = frame;
      const char* buffer = owned.data();
      auto taken = take_text_frame(std::move(owned));
      BOOST_TEST_REQUIRE(static_cast<bool>(taken) == static_cast<bool>(copied));
      if (!copied) {
        BOOST_TEST(taken.error() == copied.error());
        continue;
      }
      BOOST_TEST(*taken == *copied);
      if (frame.size() > 16) { // beyond the short-string buffer: the same heap block
        BOOST_TEST(static_cast<const void*>(taken->data.data()) == static_cast<const void*>(buffer));
        BOOST_TEST(taken->data.capacity() > taken->data.size()); // room for the digit again
      }
    }
  }
  std::string bytes(100, '\x07');
  const char* buffer = bytes.data();
  auto packet = take_binary_frame(std::move(bytes));
  BOOST_TEST(packet == decode_binary_frame(std::string(100, '\x07')));
  BOOST_TEST(static_cast<const void*>(packet.data.data()) == static_cast<const void*>(buffer));
}

BOOST_AUTO_TEST_CASE(append_to_payload_writes_the_golden_payloads) {
  std::string out;
  append_to_payload(out, text(eio_packet_type::message, "hello"));
  append_to_payload(out, text(eio_packet_type::ping));
  append_to_payload(out, text(eio_packet_type::message, "world"));
  BOOST_TEST(out
             == "4hello\x1e"
                "2\x1e"
                "4world");
  out.clear();
  append_to_payload(out, text(eio_packet_type::message, "hello"));
  append_to_payload(out, binary("\x01\x02\x03\x04"s));
  BOOST_TEST(out
             == "4hello\x1e"
                "bAQIDBA==");
}

BOOST_AUTO_TEST_CASE(append_frame_to_payload_writes_the_binary_event_golden) {
  std::string out;
  append_frame_to_payload(
    out, R"(451-["baz",{"_placeholder":true,"num":0}])", false);
  append_frame_to_payload(out, "\x01\x02\x03\x04"s, true);
  BOOST_TEST(out
             == R"(451-["baz",{"_placeholder":true,"num":0}])"
                "\x1e"
                "bAQIDBA==");
}

BOOST_AUTO_TEST_CASE(is_single_text_packet_agrees_with_decode_payload) {
  payload_limits limits;
  limits.max_packet_size = 8;
  for (std::string body : {"431[\"ok\"]", "4", "2", "6", "", "7x", "4a\x1e" "4b", "bAQID", "412345678",
                           "41234567", "4caf\xc3\xa9"}) {
    auto packets = decode_payload(body, limits);
    bool one_text = packets && packets->size() == 1 && !packets->front().binary;
    BOOST_TEST(is_single_text_packet(body, limits) == one_text, body);
    if (one_text)
      BOOST_TEST(encode_frame(packets->front()) == body, body);
  }
}

BOOST_AUTO_TEST_CASE(decode_payload_splits_text_and_ping_packets) {
  auto r = decode_payload("4hello\x1e"
                          "2\x1e"
                          "4world");
  BOOST_TEST_REQUIRE(static_cast<bool>(r));
  std::vector<eio_packet> expected{text(eio_packet_type::message, "hello"),
    text(eio_packet_type::ping), text(eio_packet_type::message, "world")};
  BOOST_TEST(*r == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(decode_payload_decodes_base64_binary_packets) {
  auto r = decode_payload("4hello\x1e"
                          "bAQIDBA==");
  BOOST_TEST_REQUIRE(static_cast<bool>(r));
  BOOST_TEST_REQUIRE(r->size() == 2u);
  BOOST_TEST((*r)[0] == text(eio_packet_type::message, "hello"));
  BOOST_TEST((*r)[1] == binary("\x01\x02\x03\x04"s));
}

BOOST_AUTO_TEST_CASE(decode_payload_reads_the_sample_session_bodies) {
  auto r = decode_payload("40");
  BOOST_TEST_REQUIRE(static_cast<bool>(r));
  BOOST_TEST(r->size() == 1u);
  BOOST_TEST(r->front() == text(eio_packet_type::message, "0"));
  r = decode_payload(R"(42["hello"])"
                     "\x1e"
                     R"(42["world"])");
  BOOST_TEST_REQUIRE(static_cast<bool>(r));
  std::vector<eio_packet> expected{
    text(eio_packet_type::message, R"(2["hello"])"),
    text(eio_packet_type::message, R"(2["world"])")};
  BOOST_TEST(*r == expected, boost::test_tools::per_element());
  r = decode_payload(R"(451-["baz",{"_placeholder":true,"num":0}])"
                     "\x1e"
                     "bAQIDBA==");
  BOOST_TEST_REQUIRE(static_cast<bool>(r));
  BOOST_TEST_REQUIRE(r->size() == 2u);
  BOOST_TEST((*r)[0].data == R"(51-["baz",{"_placeholder":true,"num":0}])");
  BOOST_TEST((*r)[1] == binary("\x01\x02\x03\x04"s));
}

BOOST_AUTO_TEST_CASE(decode_payload_accepts_an_empty_binary_packet) {
  auto r = decode_payload("b");
  BOOST_TEST_REQUIRE(static_cast<bool>(r));
  BOOST_TEST(r->front() == binary(""));
}

BOOST_AUTO_TEST_CASE(encode_payload_and_decode_payload_round_trip_every_type) {
  std::vector<eio_packet> packets;
  for (auto type : all_types)
    packets.push_back(
      text(type, type == eio_packet_type::message ? "2[\"x\"]" : ""));
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes.push_back(static_cast<char>(i));
  packets.push_back(binary(bytes));
  packets.push_back(binary("\x01"s));
  auto body = encode_payload(packets);
  auto r = decode_payload(body);
  BOOST_TEST_REQUIRE(static_cast<bool>(r));
  BOOST_TEST(*r == packets, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(decode_payload_accepts_exactly_the_limits) {
  auto r = decode_payload("412345678\x1e"
                          "4a\x1e"
                          "bAAAAAAAAAAA=",
    small_limits);
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST((*r)[2].data.size() == 8u);
}

BOOST_DATA_TEST_CASE(
  decode_payload_rejects_malformed_payloads, data::make(bad_payloads), row) {
  auto r = decode_payload(row.body, small_limits);
  BOOST_TEST(!r);
  BOOST_TEST(!r.error().empty());
  BOOST_TEST(r.error().find(row.reason_part) != std::string::npos, r.error());
}

BOOST_AUTO_TEST_CASE(decode_payload_stops_at_first_invalid_packet) {
  auto r = decode_payload("4ok\x1e"
                          "9bad\x1e"
                          "\x1e"
                          "4later");
  BOOST_TEST_REQUIRE(!r);
  BOOST_TEST(r.error().rfind("packet 1:", 0) == 0u, r.error());
}

BOOST_AUTO_TEST_CASE(decode_payload_counts_packets_before_decoding_them) {
  // 20001 empty packets: the count check must fire before any packet is read.
  std::string body(20000, '\x1e');
  auto r = decode_payload(body);
  BOOST_TEST_REQUIRE(!r);
  BOOST_TEST(r.error().find("20001 packets") != std::string::npos, r.error());
}

BOOST_AUTO_TEST_CASE(packet_type_names_are_the_protocol_names) {
  BOOST_TEST(to_string(eio_packet_type::open) == "open");
  BOOST_TEST(to_string(eio_packet_type::noop) == "noop");
  BOOST_TEST(to_string(static_cast<eio_packet_type>(9)) == "unknown");
  BOOST_TEST(!eio_packet_type_from_digit('7').has_value());
  BOOST_TEST((*eio_packet_type_from_digit('4') == eio_packet_type::message));
}

BOOST_AUTO_TEST_SUITE_END()
