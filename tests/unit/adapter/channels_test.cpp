// tests/unit/adapter/channels_test.cpp: lib/cluster/adapter_channels.
#include "lib/cluster/adapter_channels.hpp"

#include <boost/test/unit_test.hpp>

using namespace sio::cluster;

BOOST_AUTO_TEST_SUITE(adapter_channels)

BOOST_AUTO_TEST_CASE(names_as_node_builds_them) {
  BOOST_TEST(broadcast_channel("socket.io", "/") == "socket.io#/#");
  BOOST_TEST(room_channel("socket.io", "/admin", "r1") == "socket.io#/admin#r1#");
  BOOST_TEST(request_channel("k", "/") == "k-request#/#");
  BOOST_TEST(response_channel("k", "/") == "k-response#/#");
  BOOST_TEST(response_channel("k", "/", "abc123") == "k-response#/#abc123#");
  BOOST_TEST(broadcast_pattern("socket.io-chat", "/") == "socket.io-chat#/#*");
  BOOST_TEST(broadcast_pattern("a*b", "/x?[y]") == "a\\*b#/x\\?\\[y\\]#*");
  BOOST_TEST(all_broadcasts_pattern("socket.io") == "socket.io#*");
}

BOOST_AUTO_TEST_CASE(classify) {
  auto b = classify_channel("socket.io", "socket.io#/admin#ops#x#");
  BOOST_TEST((b.kind == channel_kind::broadcast));
  BOOST_TEST(b.rest == "/admin#ops#x#");
  auto q = classify_channel("socket.io", "socket.io-request#/#");
  BOOST_TEST((q.kind == channel_kind::request));
  BOOST_TEST(q.rest == "/#");
  auto r = classify_channel("socket.io", "socket.io-response#/#uid#");
  BOOST_TEST((r.kind == channel_kind::response));
  BOOST_TEST((classify_channel("socket.io", "other#/#").kind == channel_kind::other));
  BOOST_TEST((classify_channel("socket.io", "socket.io").kind == channel_kind::other));
  BOOST_TEST((classify_channel("socket.io", "socket.io-x#/#").kind == channel_kind::other));
}

BOOST_AUTO_TEST_CASE(room_of_a_broadcast_channel_with_hashes) {
  BOOST_TEST(broadcast_room("socket.io", "/", "socket.io#/#").value() == "");
  BOOST_TEST(broadcast_room("socket.io", "/", "socket.io#/#room1#").value() == "room1");
  BOOST_TEST(broadcast_room("socket.io", "/admin", "socket.io#/admin#ops#x#").value() == "ops#x");
  // "/a#b" with no room and "/a" with room "b" are the same channel: the
  // packet's nsp decides (Node's adapter for "/a" would decode and drop it).
  BOOST_TEST(broadcast_room("k", "/a", "k#/a#b#").value() == "b");
  BOOST_TEST(broadcast_room("k", "/a#b", "k#/a#b#").value() == "");
  BOOST_TEST(!broadcast_room("k", "/b", "k#/a#b#"));
  BOOST_TEST(!broadcast_room("k", "/", "k#/#x"));
  BOOST_TEST(!broadcast_room("k", "/", "k-request#/#"));
}

BOOST_AUTO_TEST_CASE(request_and_response_channels) {
  BOOST_TEST(is_request_channel("k", "/", "k-request#/#"));
  BOOST_TEST(!is_request_channel("k", "/", "k-request#/admin#"));
  BOOST_TEST(is_response_channel_for("k", "/", "me", "k-response#/#"));
  BOOST_TEST(is_response_channel_for("k", "/", "me", "k-response#/#me#"));
  BOOST_TEST(!is_response_channel_for("k", "/", "me", "k-response#/#you#"));
}

BOOST_AUTO_TEST_SUITE_END()
