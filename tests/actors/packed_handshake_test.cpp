// pack_handshake / unpack_handshake: what a session keeps of its handshake
// must come back exactly for every connect event, and malformed input must
// not crash or allocate without bound.
#include <boost/test/unit_test.hpp>

#include "actors/packed_handshake.hpp"

#include <string>

namespace {

sio::handshake_info sample() {
  sio::handshake_info info;
  info.query = {{"EIO", {"4"}}, {"transport", {"websocket"}}, {"tag", {"a", "", "c"}}};
  info.headers = {{"host", {"127.0.0.1:8080"}},
                  {"sec-websocket-key", {"dGhlIHNhbXBsZSBub25jZQ=="}},
                  {"x-long", {std::string(300, 'x')}},  // length needs 2 varint bytes
                  {"x-empty", {}}};
  info.claims = {{"sub", {"user-1"}}, {"role", {"webpubsub.joinLeaveGroup", "x"}}};
  info.user_id = "user-1";
  return info;
}

} // namespace

BOOST_AUTO_TEST_SUITE(packed_handshake)

BOOST_AUTO_TEST_CASE(round_trip_keeps_order_duplicates_and_empty_values) {
  auto info = sample();
  auto packed = sio::pack_handshake(info);
  sio::connect_event ev;
  BOOST_TEST(sio::unpack_handshake(packed, ev));
  BOOST_TEST((ev.query == info.query));
  BOOST_TEST((ev.headers == info.headers));
  BOOST_TEST((ev.claims == info.claims));
}

BOOST_AUTO_TEST_CASE(empty_info_round_trips) {
  sio::connect_event ev;
  auto packed = sio::pack_handshake(sio::handshake_info{});
  BOOST_TEST(packed.size() == 3u);  // three zero counts
  BOOST_TEST(sio::unpack_handshake(packed, ev));
  BOOST_TEST(ev.query.empty());
  BOOST_TEST(ev.headers.empty());
  BOOST_TEST(ev.claims.empty());
}

BOOST_AUTO_TEST_CASE(packed_form_is_smaller_than_the_maps) {
  auto info = sample();
  size_t text = 0;
  for (auto* m : {&info.query, &info.headers, &info.claims})
    for (auto& [k, vs] : *m) {
      text += k.size();
      for (auto& v : vs)
        text += v.size();
    }
  auto packed = sio::pack_handshake(info);
  // Only a byte or two of framing per string and count.
  BOOST_TEST(packed.size() < text + 40);
}

BOOST_AUTO_TEST_CASE(every_truncation_and_garbage_is_rejected_cleanly) {
  auto packed = sio::pack_handshake(sample());
  for (size_t n = 0; n < packed.size(); ++n) {
    sio::connect_event ev;
    BOOST_TEST(!sio::unpack_handshake(std::string_view{packed}.substr(0, n), ev));
    BOOST_TEST(ev.query.empty());
    BOOST_TEST(ev.headers.empty());
    BOOST_TEST(ev.claims.empty());
  }
  sio::connect_event ev;
  BOOST_TEST(!sio::unpack_handshake(packed + "x", ev));  // trailing bytes
  // Huge counts and an unterminated varint: refused before any allocation.
  BOOST_TEST(!sio::unpack_handshake(std::string("\xff\xff\xff\xff\x0f", 5), ev));
  BOOST_TEST(!sio::unpack_handshake(std::string(20, '\x80'), ev));
  BOOST_TEST(!sio::unpack_handshake(std::string("\x01\x01k\xff\xff\x03", 6), ev));
}

BOOST_AUTO_TEST_SUITE_END()
