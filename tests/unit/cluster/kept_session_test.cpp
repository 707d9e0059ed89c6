// Tests for lib/cluster/kept_session.hpp: a kept socket's record and its
// packets survive the round trip through Redis byte for byte, and what
// another layout or a stranger wrote there is refused with a reason.
#include "lib/cluster/kept_session.hpp"
#include "lib/cluster/msgpack_writer.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace sio::cluster;

BOOST_AUTO_TEST_SUITE(kept_session_test)

BOOST_AUTO_TEST_CASE(a_record_round_trips) {
  kept_record r;
  r.node = "n1";
  r.nsp = "/chat";
  r.socket_id = "sock-1";
  r.connection_id = "conn-1";
  r.user_id = "";
  r.reason = "transport close";
  r.expires_ms = 1765000000123;
  r.groups = {"0~L2NoYXQ~", "0~L2NoYXQ~bG9iYnk", "plain"};
  auto d = decode_kept_record(encode_kept_record(r));
  BOOST_TEST_REQUIRE(d.has_value(), (d ? "" : d.error()));
  BOOST_TEST(d->node == r.node);
  BOOST_TEST(d->nsp == r.nsp);
  BOOST_TEST(d->socket_id == r.socket_id);
  BOOST_TEST(d->connection_id == r.connection_id);
  BOOST_TEST(d->user_id == r.user_id);
  BOOST_TEST(d->reason == r.reason);
  BOOST_TEST(d->expires_ms == r.expires_ms);
  BOOST_TEST(d->groups == r.groups, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_packet_round_trips_with_its_attachments) {
  kept_packet p;
  p.offset = 18446744073709551615ull;
  p.frames = {{false, "451-[\"file\",{\"_placeholder\":true,\"num\":0},\"7\"]"},
              {true, std::string{"\0\1\xff", 3}}};
  auto d = decode_kept_packet(encode_kept_packet(p));
  BOOST_TEST_REQUIRE(d.has_value(), (d ? "" : d.error()));
  BOOST_TEST(d->offset == p.offset);
  BOOST_TEST_REQUIRE(d->frames.size() == 2u);
  BOOST_TEST(d->frames[0].first == false);
  BOOST_TEST(d->frames[0].second == p.frames[0].second);
  BOOST_TEST(d->frames[1].first == true);
  BOOST_TEST(d->frames[1].second == p.frames[1].second);
}

BOOST_AUTO_TEST_CASE(what_is_not_ours_is_refused) {
  BOOST_TEST(!decode_kept_record("").has_value());
  BOOST_TEST(!decode_kept_packet("\xc1").has_value());
  // Another version of the layout.
  std::string other;
  mp_writer w{other};
  w.array(3);
  w.uinteger(2);
  w.uinteger(5);
  w.str("42[\"x\"]");
  BOOST_TEST(!decode_kept_packet(other).has_value());
  // A packet without frames, or whose first frame is binary.
  std::string bare;
  mp_writer b{bare};
  b.array(2);
  b.uinteger(1);
  b.uinteger(5);
  BOOST_TEST(!decode_kept_packet(bare).has_value());
  std::string bin_first;
  mp_writer bf{bin_first};
  bf.array(3);
  bf.uinteger(1);
  bf.uinteger(5);
  bf.bin("x");
  BOOST_TEST(!decode_kept_packet(bin_first).has_value());
  // A record with no socket id, and one whose groups are not strings.
  kept_record r;
  r.node = "n";
  r.nsp = "/";
  r.connection_id = "c";
  BOOST_TEST(!decode_kept_record(encode_kept_record(r)).has_value());
  std::string bad;
  mp_writer bw{bad};
  bw.array(9);
  bw.uinteger(1);
  for (auto s : {"n", "/", "s", "c", "", "transport close"})
    bw.str(s);
  bw.integer(5);
  bw.array(1);
  bw.integer(7);
  auto d = decode_kept_record(bad);
  BOOST_TEST(!d.has_value());
  BOOST_TEST(d.error().find("group") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
