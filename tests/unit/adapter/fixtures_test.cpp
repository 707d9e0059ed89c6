// tests/unit/adapter/fixtures_test.cpp: every message recorded from the real
// npm packages (fixtures.json) decodes to what a Node peer makes of it, and
// our encoders give back Node's own bytes.
#include "fixtures.hpp"

#include "lib/cluster/adapter_channels.hpp"
#include "lib/cluster/adapter_codec.hpp"
#include "lib/cluster/adapter_encoders.hpp"
#include "lib/cluster/adapter_requests.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

using namespace sio::cluster;
using adapter_test::by_label;
using adapter_test::fixture;
using adapter_test::fixtures;

namespace {

const std::string key = "socket.io";

const fixture& one(const std::string& label, size_t index = 0) {
  auto all = by_label(label);
  BOOST_TEST_REQUIRE(all.size() > index, label);
  return *all[index];
}

adapter_broadcast broadcast_of(const std::string& label) {
  auto b = decode_broadcast(one(label).bytes);
  BOOST_TEST_REQUIRE(bool(b), label << ": " << b.error());
  return *b;
}

adapter_request request_of(const std::string& label) {
  auto r = decode_request(one(label).bytes);
  BOOST_TEST_REQUIRE(bool(r), label << ": " << r.error());
  return *r;
}

adapter_response response_of(const std::string& label, size_t index = 1) {
  auto r = decode_response(one(label, index).bytes);
  BOOST_TEST_REQUIRE(bool(r), label << ": " << r.error());
  return *r;
}

using strings = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(adapter_fixtures)

BOOST_AUTO_TEST_CASE(fixtures_come_from_the_real_packages) {
  BOOST_TEST(fixtures().size() >= 35u);
  BOOST_TEST(one("node_serverCount").numsub.value() == 2); // A and B, not the recorder
}

BOOST_AUTO_TEST_CASE(every_broadcast_gives_the_frames_node_sends) {
  size_t seen = 0;
  for (const auto& f : fixtures()) {
    auto info = classify_channel(key, f.channel);
    if (info.kind != channel_kind::broadcast)
      continue;
    ++seen;
    BOOST_TEST_CONTEXT(f.label) {
      auto b = decode_broadcast(f.bytes);
      BOOST_TEST_REQUIRE(bool(b), b.error());
      BOOST_TEST_REQUIRE(f.node_frames.has_value());
      BOOST_TEST_REQUIRE(b->frames.size() == f.node_frames->size());
      for (size_t k = 0; k < b->frames.size(); ++k) {
        BOOST_TEST(b->frames[k].binary == (*f.node_frames)[k].binary);
        BOOST_TEST(b->frames[k].bytes == (*f.node_frames)[k].bytes, "frame " << k);
      }
      // The channel names the room when there is exactly one.
      auto room = broadcast_room(key, b->nsp, f.channel);
      BOOST_TEST_REQUIRE(room.has_value());
      BOOST_TEST(std::string{*room} == (b->opts.rooms.size() == 1 ? b->opts.rooms[0] : ""));
      // Re-encoded, it decodes to the same broadcast.
      auto again = encode_broadcast(*b);
      BOOST_TEST_REQUIRE(bool(again), again.error());
      auto b2 = decode_broadcast(*again);
      BOOST_TEST_REQUIRE(bool(b2), b2.error());
      BOOST_TEST(b2->frames == b->frames);
      BOOST_TEST(b2->uid == b->uid);
      BOOST_TEST(b2->nsp == b->nsp);
      BOOST_TEST(b2->opts.rooms == b->opts.rooms);
      BOOST_TEST(b2->opts.except == b->opts.except);
      // A Node server writes opts as {rooms, except, flags}: same bytes.
      if (f.label.rfind("node_", 0) == 0)
        BOOST_TEST((*again == f.bytes));
    }
  }
  BOOST_TEST(seen >= 19u);
}

BOOST_AUTO_TEST_CASE(emitter_broadcast_values) {
  auto all = broadcast_of("emitter_all");
  BOOST_TEST(all.uid == "emitter");
  BOOST_TEST(all.nsp == "/");
  BOOST_TEST(all.opts.rooms.empty());
  BOOST_TEST(all.frames.size() == 1u);
  BOOST_TEST(all.frames[0].bytes == R"(42["ev",1,"two",{"three":3}])");

  auto two = broadcast_of("emitter_two_rooms");
  BOOST_TEST(two.opts.rooms == (strings{"room1", "room#2"}));

  auto flags = broadcast_of("emitter_room_except_flags");
  BOOST_TEST(flags.opts.rooms == strings{"a"});
  BOOST_TEST(flags.opts.except == (strings{"b", "c"}));
  BOOST_TEST(flags.opts.flags.is_volatile());
  BOOST_TEST(!flags.opts.flags.is_compressed());
  BOOST_TEST(!flags.opts.flags.is_local());

  auto admin = broadcast_of("emitter_nsp_admin_room");
  BOOST_TEST(admin.nsp == "/admin");
  BOOST_TEST(admin.opts.rooms == strings{"ops#x"});
  BOOST_TEST(admin.frames[0].bytes == R"(42/admin,["ev","admin room"])");

  auto bin = broadcast_of("emitter_binary");
  BOOST_TEST(bin.frames.size() == 3u);
  BOOST_TEST(bin.frames[0].bytes
             == R"(452-["bin",{"_placeholder":true,"num":0},{"nested":[{"_placeholder":true,"num":1},4]}])");
  BOOST_TEST(bin.frames[1].bytes == std::string("\x01\x02\x03", 3));
  BOOST_TEST(bin.frames[2].bytes == "xyz");

  auto nested = broadcast_of("emitter_nested");
  BOOST_TEST(nested.data_json
             == R"(["nested",{"2":"two","10":"ten","a":{"b":{"c":[1,[2,[3,{"d":null}]]]}},"z":true,"f":false}])");

  auto nul = broadcast_of("emitter_null");
  BOOST_TEST(nul.data_json == R"(["nul",null,[null],{"n":null}])");

  auto date = broadcast_of("emitter_date");
  BOOST_TEST(date.data_json == R"(["date","2024-01-02T03:04:05.678Z","1970-01-01T00:00:00.000Z"])");

  auto big = broadcast_of("emitter_big_binary");
  BOOST_TEST(big.attachments.size() == 1u);
  BOOST_TEST(big.attachments[0] == std::string(70000, '\x07'));
}

BOOST_AUTO_TEST_CASE(node_server_broadcasts) {
  auto all = broadcast_of("node_emit_all");
  BOOST_TEST(all.uid.size() == 6u); // uid2(6)
  BOOST_TEST(all.frames.size() == 2u);
  BOOST_TEST(all.frames[0].bytes == R"(451-["ev",1,{"a":[true,null]},{"_placeholder":true,"num":0}])");
  auto ex = broadcast_of("node_emit_rooms_except");
  BOOST_TEST(ex.opts.rooms == (strings{"room1", "room2"}));
  BOOST_TEST(ex.opts.except == strings{"room3"});
  BOOST_TEST(ex.opts.flags.volatile_.value());
  BOOST_TEST(!ex.opts.flags.compress.value());
  auto admin = broadcast_of("node_emit_admin");
  BOOST_TEST(admin.nsp == "/admin");
  BOOST_TEST(admin.uid != all.uid); // one uid per namespace adapter
}

BOOST_AUTO_TEST_CASE(emitter_requests) {
  auto join = request_of("emitter_socketsJoin");
  BOOST_TEST(join.type == int(request_type::remote_join));
  BOOST_TEST(join.uid == ""); // the emitter sends none
  BOOST_TEST(!join.request_id); // nobody answers
  BOOST_TEST(join.opts->rooms == strings{"room1"});
  BOOST_TEST(join.opts->except == strings{"room2"});
  BOOST_TEST(join.rooms == (strings{"j1", "j2"}));
  auto leave = request_of("emitter_socketsLeave");
  BOOST_TEST(leave.type == int(request_type::remote_leave));
  BOOST_TEST(leave.rooms == strings{"j1"});
  auto disc = request_of("emitter_disconnectSockets");
  BOOST_TEST(disc.type == int(request_type::remote_disconnect));
  BOOST_TEST(disc.close);
  auto sse = request_of("emitter_serverSideEmit");
  BOOST_TEST(sse.type == int(request_type::server_side_emit));
  BOOST_TEST(sse.uid == "emitter");
  BOOST_TEST(sse.data_json == R"(["hello","world",1])");
}

BOOST_AUTO_TEST_CASE(node_requests_encode_to_the_same_bytes) {
  auto join = request_of("node_socketsJoin");
  BOOST_TEST(encode_remote_join(join.uid, *join.opts, join.rooms) == one("node_socketsJoin").bytes);
  auto leave = request_of("node_socketsLeave");
  BOOST_TEST(leave.opts->except == strings{"j2"});
  BOOST_TEST(encode_remote_leave(leave.uid, *leave.opts, leave.rooms) == one("node_socketsLeave").bytes);
  auto disc = request_of("node_disconnectSockets");
  BOOST_TEST(encode_remote_disconnect(disc.uid, *disc.opts, disc.close)
             == one("node_disconnectSockets").bytes);
  auto fetch = request_of("node_fetchSockets");
  BOOST_TEST(fetch.type == int(request_type::remote_fetch));
  BOOST_TEST(encode_fetch_request(fetch.uid, *fetch.request_id, *fetch.opts)
             == one("node_fetchSockets").bytes);
  auto rooms = request_of("node_allRooms");
  BOOST_TEST(encode_all_rooms_request(rooms.uid, *rooms.request_id) == one("node_allRooms").bytes);
  auto sse = request_of("node_serverSideEmit");
  BOOST_TEST(!sse.request_id);
  BOOST_TEST(encode_server_side_emit(sse.uid, sse.data_json) == one("node_serverSideEmit").bytes);
  auto sse_ack = request_of("node_serverSideEmit_ack");
  BOOST_TEST(encode_server_side_emit(sse_ack.uid, sse_ack.data_json, *sse_ack.request_id)
             == one("node_serverSideEmit_ack").bytes);
}

BOOST_AUTO_TEST_CASE(broadcast_with_ack_request) {
  for (auto label : {"node_emit_ack", "node_emit_ack_room"}) {
    BOOST_TEST_CONTEXT(label) {
      auto r = request_of(label);
      BOOST_TEST(r.type == int(request_type::broadcast));
      BOOST_TEST_REQUIRE(r.broadcast.has_value());
      BOOST_TEST(r.request_id->size() == 6u);
      BOOST_TEST(r.broadcast->opts.flags.timeout.value() == 2000);
      BOOST_TEST(r.broadcast->uid == r.uid);
      // the packet carries no ack id: each node uses its own
      auto with_id = event_frames(r.broadcast->nsp, r.broadcast->data_json,
                                  r.broadcast->attachments, 7);
      BOOST_TEST(with_id[0].bytes.substr(0, 2) == "4" + std::string(r.broadcast->attachments.empty() ? "2" : "5"));
      auto again = encode_broadcast_request(*r.request_id, *r.broadcast);
      BOOST_TEST_REQUIRE(bool(again), again.error());
      BOOST_TEST((*again == one(label).bytes));
    }
  }
  auto r = request_of("node_emit_ack");
  BOOST_TEST(r.broadcast->frames[0].bytes == R"(42["ask","q?"])");
  BOOST_TEST(event_frames("/", r.broadcast->data_json, {}, 7)[0].bytes == R"(427["ask","q?"])");
  auto room = request_of("node_emit_ack_room");
  BOOST_TEST(room.opts->rooms == strings{"room2"});
  BOOST_TEST(room.broadcast->frames[0].bytes == R"(451-["ask",{"k":{"_placeholder":true,"num":0}}])");
}

BOOST_AUTO_TEST_CASE(responses_encode_to_the_same_bytes) {
  auto fetch = response_of("node_fetchSockets");
  BOOST_TEST(!fetch.type);
  BOOST_TEST_REQUIRE(fetch.sockets.has_value());
  BOOST_TEST_REQUIRE(fetch.sockets->size() == 1u);
  const auto& s = (*fetch.sockets)[0];
  BOOST_TEST(s.rooms.size() == 3u);
  BOOST_TEST(s.rooms[0] == s.id);
  BOOST_TEST(s.data_json == R"({"user":"alice","n":1})");
  BOOST_TEST(encode_fetch_response(fetch.request_id, *fetch.sockets) == one("node_fetchSockets", 1).bytes);
  // Node's handshake "time" is new Date(issued) + "" in UTC.
  rapidjson::Document h;
  h.Parse(s.handshake_json.c_str());
  BOOST_TEST(js_date_string(h["issued"].GetInt64()) == h["time"].GetString());
  BOOST_TEST(h["auth"]["token"].GetString() == std::string{"t"});

  auto rooms = response_of("node_allRooms");
  BOOST_TEST(rooms.rooms->size() == 3u);
  BOOST_TEST(encode_all_rooms_response(rooms.request_id, *rooms.rooms) == one("node_allRooms", 1).bytes);

  auto sse = response_of("node_serverSideEmit_ack");
  BOOST_TEST(sse.type.value() == 6);
  BOOST_TEST(sse.data_json == R"({"from":"B","arg":"with ack"})");
  BOOST_TEST(encode_server_side_emit_response(sse.request_id, sse.data_json)
             == one("node_serverSideEmit_ack", 1).bytes);

  for (auto label : {"node_emit_ack", "node_emit_ack_room"}) {
    BOOST_TEST_CONTEXT(label) {
      auto count = response_of(label, 1);
      BOOST_TEST(count.type.value() == 8);
      BOOST_TEST(count.client_count.value() == 1u);
      BOOST_TEST(encode_client_count(count.request_id, 1) == one(label, 1).bytes);
      auto ack = response_of(label, 2);
      BOOST_TEST(ack.type.value() == 9);
      BOOST_TEST_REQUIRE(ack.ack_json.has_value());
      BOOST_TEST(ack.ack_attachments.back() == std::string("\x09\x08", 2));
      auto again = encode_broadcast_ack(ack.request_id, "[" + *ack.ack_json + "]", ack.ack_attachments);
      BOOST_TEST_REQUIRE(bool(again), again.error());
      BOOST_TEST((*again == one(label, 2).bytes));
    }
  }
  BOOST_TEST(*response_of("node_emit_ack", 2).ack_json
             == R"({"answer":"q?","buf":{"_placeholder":true,"num":0}})");
}

BOOST_AUTO_TEST_CASE(sockets_request_and_answer) {
  // 8.x handles SOCKETS but never sends it: checked against its handler's shape.
  auto req = encode_sockets_request("me1234", "req123", {"r1"});
  BOOST_TEST(req == R"({"uid":"me1234","requestId":"req123","type":0,"rooms":["r1"]})");
  auto d = decode_request(req);
  BOOST_TEST_REQUIRE(bool(d));
  BOOST_TEST(d->rooms == strings{"r1"});
  auto resp = decode_response(encode_sockets_response("req123", {"a", "b"}));
  BOOST_TEST_REQUIRE(bool(resp));
  BOOST_TEST(resp->socket_ids.value() == (strings{"a", "b"}));
  auto empty = decode_response(encode_fetch_response("req123", {}));
  BOOST_TEST(empty->sockets.value().empty());
}

BOOST_AUTO_TEST_SUITE_END()
