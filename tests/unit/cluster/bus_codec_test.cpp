// Tests for lib/cluster/bus_codec.hpp: every field survives a round trip
// (binary frames byte for byte), and what is not a bus message of this
// version is refused with a reason, never a crash or a huge allocation.
#include "lib/cluster/bus_codec.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace sio::cluster;

BOOST_AUTO_TEST_SUITE(bus_codec_test)

BOOST_AUTO_TEST_CASE(every_field_round_trips) {
  bus_message m;
  m.op = bus_op::send;
  m.origin = "node-1";
  m.request_id = 0xfffffffffffull;
  m.to.kind = 1;
  m.to.name = "0~Lw~bG9iYnk";
  m.to.excluded = {"c1", "c2"};
  m.to.extra_groups = {"g2"};
  m.to.excluded_groups = {"g3"};
  m.to.filter = "userId eq 'x'";
  m.frames = {{false, "42[\"ev\",1]"}, {true, std::string{"\0\1\2\xff", 4}}};
  m.nsp = "/admin";
  m.close = true;
  m.reason = "bye";
  m.groups = {"a", "b"};
  m.add = false;
  m.max = 200;
  m.count = 7;
  m.connections = {{"c1", "u1"}, {"c2", ""}};
  m.after = "sock-9";
  m.sockets = {{"s1", "c1", "u1", "/", {"s1", "room"}, true, "::ffff:127.0.0.1", 1765000000123ull},
               {"s2", "c2", "", "/admin", {}, false, "", 0}};
  m.acks = {{true, "s1", "c1", "u1", "[{\"ok\":1}]", {std::string{"\0\xff", 2}}, ""},
            {false, "s2", "c2", "", "", {}, "transport close"}};
  auto d = decode_bus_message(encode_bus_message(m));
  BOOST_TEST_REQUIRE(d.has_value(), (d ? "" : d.error()));
  BOOST_TEST((d->op == m.op));
  BOOST_TEST(d->origin == m.origin);
  BOOST_TEST(d->request_id == m.request_id);
  BOOST_TEST(d->to.kind == m.to.kind);
  BOOST_TEST(d->to.name == m.to.name);
  BOOST_TEST(d->to.excluded == m.to.excluded);
  BOOST_TEST(d->to.extra_groups == m.to.extra_groups);
  BOOST_TEST(d->to.excluded_groups == m.to.excluded_groups);
  BOOST_TEST(d->to.filter == m.to.filter);
  BOOST_TEST_REQUIRE(d->frames.size() == 2u);
  BOOST_TEST(!d->frames[0].binary);
  BOOST_TEST(d->frames[0].bytes == m.frames[0].bytes);
  BOOST_TEST(d->frames[1].binary);
  BOOST_TEST(d->frames[1].bytes == m.frames[1].bytes);
  BOOST_TEST(d->nsp == "/admin");
  BOOST_TEST(d->close);
  BOOST_TEST(d->reason == "bye");
  BOOST_TEST(d->groups == m.groups);
  BOOST_TEST(!d->add);
  BOOST_TEST(d->max == 200u);
  BOOST_TEST(d->count == 7u);
  BOOST_TEST((d->connections == m.connections));
  BOOST_TEST(d->after == "sock-9");
  BOOST_TEST_REQUIRE(d->sockets.size() == 2u);
  for (size_t i = 0; i < 2; ++i) {
    auto& a = d->sockets[i];
    auto& b = m.sockets[i];
    BOOST_TEST(a.socket_id == b.socket_id);
    BOOST_TEST(a.connection_id == b.connection_id);
    BOOST_TEST(a.user_id == b.user_id);
    BOOST_TEST(a.nsp == b.nsp);
    BOOST_TEST(a.rooms == b.rooms);
    BOOST_TEST(a.websocket == b.websocket);
    BOOST_TEST(a.remote_address == b.remote_address);
    BOOST_TEST(a.connected_at_ms == b.connected_at_ms);
  }
  BOOST_TEST_REQUIRE(d->acks.size() == 2u);
  for (size_t i = 0; i < 2; ++i) {
    auto& a = d->acks[i];
    auto& b = m.acks[i];
    BOOST_TEST(a.answered == b.answered);
    BOOST_TEST(a.socket_id == b.socket_id);
    BOOST_TEST(a.connection_id == b.connection_id);
    BOOST_TEST(a.user_id == b.user_id);
    BOOST_TEST(a.args == b.args);
    BOOST_TEST(a.attachments == b.attachments);
    BOOST_TEST(a.reason == b.reason);
  }
}

BOOST_AUTO_TEST_CASE(a_message_without_the_listing_fields_still_reads) {
  // A node that predates socket listings and acked sends writes 14
  // fields: the same message without `after`, `sockets` and `acks`.
  bus_message m;
  m.op = bus_op::exists;
  m.origin = "old";
  m.request_id = 5;
  auto bytes = encode_bus_message(m);
  BOOST_TEST_REQUIRE(bytes.substr(0, 3) == std::string("\xdc\x00\x11", 3)); // array16(17)
  BOOST_TEST_REQUIRE(bytes.substr(bytes.size() - 3) == std::string("\xa0\x90\x90", 3)); // "", [], []
  auto legacy = "\x9e" + bytes.substr(3, bytes.size() - 6);  // fixarray(14)
  auto d = decode_bus_message(legacy);
  BOOST_TEST_REQUIRE(d.has_value(), (d ? "" : d.error()));
  BOOST_TEST((d->op == bus_op::exists));
  BOOST_TEST(d->origin == "old");
  BOOST_TEST(d->request_id == 5u);
  BOOST_TEST(d->after.empty());
  BOOST_TEST(d->sockets.empty());
  BOOST_TEST(d->acks.empty());
  // Fifteen fields are neither.
  BOOST_TEST(!decode_bus_message("\x9f" + bytes.substr(3, bytes.size() - 5)).has_value());
}

BOOST_AUTO_TEST_CASE(what_is_not_a_bus_message_is_refused) {
  bus_message m;
  m.origin = "n";
  auto good = encode_bus_message(m);
  BOOST_TEST(decode_bus_message(good).has_value());
  // Every truncation of a good message.
  for (size_t n = 0; n < good.size(); ++n)
    BOOST_TEST(!decode_bus_message(good.substr(0, n)).has_value());
  // Trailing bytes, another version, another op, plain text, JSON.
  BOOST_TEST(!decode_bus_message(good + "x").has_value());
  auto other_version = good;
  other_version[3] = 2;  // array16(17), then the version
  BOOST_TEST(decode_bus_message(other_version).error() == "bus message: unknown format version");
  auto bad_op = good;
  bad_op[4] = 11;
  BOOST_TEST(decode_bus_message(bad_op).error() == "bus message: unknown op");
  BOOST_TEST(!decode_bus_message("alive n1").has_value());
  BOOST_TEST(!decode_bus_message("[1,1]").has_value());
  // A declared length far beyond the input allocates nothing big.
  std::string huge{"\x9e\x01\x01\xdb\xff\xff\xff\xff", 8};
  BOOST_TEST(!decode_bus_message(huge).has_value());
  // An array nested deeper than a bus message ever is.
  std::string deep(1000, '\x91');
  BOOST_TEST(!decode_bus_message(deep).has_value());
}

BOOST_AUTO_TEST_CASE(limits_bound_what_is_read) {
  bus_message m;
  m.groups.assign(50, "g");
  auto bytes = encode_bus_message(m);
  bus_limits tight;
  tight.max_values = 40;
  BOOST_TEST(!decode_bus_message(bytes, tight).has_value());
  tight.max_values = 100;
  BOOST_TEST(decode_bus_message(bytes, tight).has_value());
  tight.max_bytes = bytes.size() - 1;
  BOOST_TEST(decode_bus_message(bytes, tight).error() == "bus message too large");
}

BOOST_AUTO_TEST_SUITE_END()
