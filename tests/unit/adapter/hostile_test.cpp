// tests/unit/adapter/hostile_test.cpp: whatever a peer publishes on Redis,
// the codec answers with result::fail (never a crash, a hang or an
// allocation the input does not pay for).
#include "fixtures.hpp"

#include "lib/cluster/adapter_codec.hpp"
#include "lib/cluster/adapter_encoders.hpp"
#include "lib/cluster/adapter_requests.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>

using namespace sio::cluster;
using namespace std::literals;
using adapter_test::fixtures;

namespace {

bool fails(std::string_view bytes, const codec_limits& limits = {}) {
  return !decode_broadcast(bytes, limits);
}

/// A broadcast around `data` (msgpack of the data array).
std::string broadcast_with_data(std::string_view data) {
  return "\x93\xa1u\x83\xa4type\x02\xa4" "data"s + std::string{data}
         + "\xa3nsp\xa1/\x83\xa5rooms\x90\xa6" "except\x90\xa5" "flags\x80"s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(adapter_hostile)

BOOST_AUTO_TEST_CASE(the_wrapper_itself_is_valid) {
  auto b = decode_broadcast(broadcast_with_data("\x91\xa2" "ev"));
  BOOST_TEST_REQUIRE(bool(b), b.error());
  BOOST_TEST(b->frames[0].bytes == R"(42["ev"])");
}

BOOST_AUTO_TEST_CASE(every_truncation_fails) {
  size_t checked = 0;
  for (const auto& f : fixtures()) {
    if (f.bytes.size() > 2000)
      continue;
    for (size_t n = 0; n < f.bytes.size(); ++n) {
      auto prefix = std::string_view{f.bytes}.substr(0, n);
      BOOST_TEST(!decode_broadcast(prefix), f.label << " prefix " << n);
      BOOST_TEST(!decode_request(prefix), f.label << " prefix " << n);
      BOOST_TEST(!decode_response(prefix), f.label << " prefix " << n);
      ++checked;
    }
  }
  BOOST_TEST(checked > 1000u);
}

BOOST_AUTO_TEST_CASE(mutated_fixtures_never_crash) {
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  size_t decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    const auto& f = fixtures()[next() % fixtures().size()];
    if (f.bytes.empty() || f.bytes.size() > 2000)
      continue;
    auto bytes = f.bytes;
    for (int k = 0, n = 1 + static_cast<int>(next() % 4); k < n; ++k)
      bytes[next() % bytes.size()] = static_cast<char>(next());
    decoded += bool(decode_broadcast(bytes)) + bool(decode_request(bytes)) + bool(decode_response(bytes));
  }
  BOOST_TEST_MESSAGE("mutations still decoding: " << decoded);
}

BOOST_AUTO_TEST_CASE(deep_nesting_fails_without_recursing_away) {
  std::string deep(100000, '\x91');
  deep += '\xc0';
  BOOST_TEST(!decode_msgpack(deep));
  BOOST_TEST(fails(broadcast_with_data(deep)));
  std::string deep_map;
  for (int k = 0; k < 100000; ++k)
    deep_map += "\x81\xa1k"s;
  deep_map += '\xc0';
  BOOST_TEST(!decode_msgpack(deep_map));
  std::string json = R"({"type":6,"data":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  BOOST_TEST(!decode_request(json));
  BOOST_TEST(!decode_response(R"({"requestId":"x","data":)" + std::string(100000, '[')
                              + std::string(100000, ']') + "}"));
  codec_limits shallow;
  shallow.max_depth = 3;
  BOOST_TEST(fails(broadcast_with_data("\x91\x91\x91\x90"), shallow));
}

BOOST_AUTO_TEST_CASE(huge_declared_lengths_fail_at_once) {
  for (auto bytes : {"\xdd\xff\xff\xff\xff"s, "\xdf\xff\xff\xff\xff"s, "\xdb\xff\xff\xff\xff"s,
                     "\xc6\xff\xff\xff\xff"s, "\xc9\xff\xff\xff\xff\x05"s, "\xdc\xff\xff\xc0"s,
                     "\xde\xff\xff\xc0\xc0"s, "\xd9\x05" "abc"s, "\xc4\x02\x01"s})
    BOOST_TEST(!decode_msgpack(bytes));
  BOOST_TEST(fails(broadcast_with_data("\x91\xdd\x7f\xff\xff\xff")));
}

BOOST_AUTO_TEST_CASE(malformed_msgpack) {
  BOOST_TEST(!decode_msgpack("\xc1"));
  BOOST_TEST(!decode_msgpack("\xc0\xc0")); // trailing bytes, as notepack
  BOOST_TEST(!decode_msgpack(""));
  BOOST_TEST(!decode_msgpack("\xc7\x05\xff" "12345")); // timestamp 96 of the wrong size
  BOOST_TEST(!decode_msgpack("\xd4\x00"s)); // undefined without its byte
}

BOOST_AUTO_TEST_CASE(wrong_types_in_a_broadcast) {
  BOOST_TEST(fails("\xc0"));
  BOOST_TEST(fails("\x92\xa1u\x80")); // two elements
  BOOST_TEST(fails("\x93\x01\x80\x80")); // uid not a string
  BOOST_TEST(fails("\x93\xa1u\x90\x80")); // packet not a map
  BOOST_TEST(fails(broadcast_with_data("\x90"))); // empty data
  BOOST_TEST(fails(broadcast_with_data("\x81\xa1" "a\x01"))); // data not an array
  BOOST_TEST(fails("\x93\xa1u\x82\xa4type\x03\xa4" "data\x91\x01\x83\xa5rooms\x90\xa6" "except\x90\xa5" "flags\x80"s)); // ACK
  BOOST_TEST(fails("\x93\xa1u\x82\xa4type\xa1" "2\xa4" "data\x91\x01\x80"s)); // type a string
  BOOST_TEST(fails("\x93\xa1u\x83\xa4type\x02\xa4" "data\x91\x01\xa3nsp\x05\x80"s)); // nsp a number
  BOOST_TEST(fails("\x93\xa1u\x82\xa4type\x02\xa4" "data\x91\x01\xc0"s)); // opts nil
  BOOST_TEST(fails("\x93\xa1u\x82\xa4type\x02\xa4" "data\x91\x01\x81\xa5rooms\xa1r"s)); // rooms a string
  BOOST_TEST(fails("\x93\xa1u\x82\xa4type\x02\xa4" "data\x91\x01\x81\xa5rooms\x91\x80"s)); // room a map
  BOOST_TEST(fails(broadcast_with_data("\x91\x81\x91\x01\x02"))); // map key an array
  // absent nsp is "/", absent rooms/except/flags are empty
  auto b = decode_broadcast("\x93\xa1u\x82\xa4type\x02\xa4" "data\x91\xa1x\x80"s);
  BOOST_TEST_REQUIRE(bool(b), b.error());
  BOOST_TEST(b->nsp == "/");
  BOOST_TEST(b->opts.flags.is_compressed());
}

BOOST_AUTO_TEST_CASE(limits_hold) {
  codec_limits small;
  small.max_attachments = 2;
  BOOST_TEST(fails(broadcast_with_data("\x93\xc4\x00\xc4\x00\xc4\x00"s), small));
  BOOST_TEST(!fails(broadcast_with_data("\x92\xc4\x00\xc4\x00"s), small));
  small = {};
  small.max_values = 100;
  BOOST_TEST(fails(broadcast_with_data("\xdc\x00\xc8"s + std::string(200, '\xc0')), small));
  // refused from the declared count, before the elements are allocated
  auto big = decode_msgpack("\xdd\x00\x01\x00\x00"s + std::string(70000, '\xc0'), small);
  BOOST_TEST_REQUIRE(!big);
  BOOST_TEST(big.error().find("too many values") != std::string::npos);
  small = {};
  small.max_bytes = 10;
  BOOST_TEST(fails(broadcast_with_data("\x91\x01"), small));
  BOOST_TEST(!decode_request(R"({"type":1,"uid":"u","requestId":"r"})", small));
}

BOOST_AUTO_TEST_CASE(malformed_requests_and_responses) {
  for (auto bytes : {""s, "{"s, "[]"s, R"({"type":"2"})"s, R"({"uid":"u"})"s, R"({"type":2,"rooms":"r"})"s,
                     R"({"type":2,"opts":{"rooms":[{}]}})"s, R"({"type":5,"requestId":"r"})"s,
                     R"({"type":7,"requestId":"r","packet":{},"opts":{}})"s, "\x81\xa4type\x07"s,
                     "\x80"s, "\x83\xa4type\x07\xa9requestId\xa1r\xa6packet\x80"s, "{\"type\":1}\xff"s})
    BOOST_TEST(!decode_request(bytes), bytes);
  for (auto bytes : {""s, "{"s, R"({"sockets":[]})"s, R"({"requestId":"r","sockets":[{},"x"]})"s,
                     R"({"requestId":"r","rooms":[[]]})"s, "\x82\xa4type\x09\xa9requestId\x01"s, "\xc1"s})
    BOOST_TEST(!decode_response(bytes), bytes);
  // an unknown type comes through for the caller to ignore, as Node does
  auto unknown = decode_request(R"({"type":42,"uid":"u"})");
  BOOST_TEST_REQUIRE(bool(unknown));
  BOOST_TEST(unknown->type == 42);
}

BOOST_AUTO_TEST_CASE(encoding_refuses_frames_that_are_not_one_event) {
  adapter_broadcast b;
  b.uid = "me";
  BOOST_TEST(!encode_broadcast(b)); // no frames
  b.frames = {{true, "x"}};
  BOOST_TEST(!encode_broadcast(b));
  b.frames = {{false, R"(43["ack"])"}};
  BOOST_TEST(!encode_broadcast(b));
  b.frames = {{false, R"(451-["ev",{"_placeholder":true,"num":0}])"}};
  BOOST_TEST(!encode_broadcast(b)); // attachment missing
  b.frames.push_back({true, "\x01"});
  BOOST_TEST(bool(encode_broadcast(b)));
  b.frames.push_back({true, "\x02"});
  BOOST_TEST(!encode_broadcast(b)); // one too many
  b.frames = {{false, R"(42/admin,["ev"])"}};
  BOOST_TEST(!encode_broadcast(b)); // not b.nsp
  b.nsp = "/admin";
  BOOST_TEST(bool(encode_broadcast(b)));
  BOOST_TEST(!encode_broadcast_ack("r", "{}", {}));
  BOOST_TEST(!encode_broadcast_ack("r", R"([{"_placeholder":true,"num":3}])", {"x"}));
  auto none = encode_broadcast_ack("r", "[]", {});
  BOOST_TEST_REQUIRE(bool(none));
  BOOST_TEST(*none == "\x82\xa4type\x09\xa9requestId\xa1r");
}

BOOST_AUTO_TEST_SUITE_END()
