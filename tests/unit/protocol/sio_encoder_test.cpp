// Tests for lib/protocol/sio_encoder.hpp: the encoding table of protocol.md
// §2.2, the binary examples of §2.3, Engine.IO framing and split_event.
#include "lib/protocol/sio_encoder.hpp"

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

sio_packet make(sio_packet_type type, std::string nsp,
  std::optional<uint64_t> id, std::string data,
  std::vector<std::string> attachments = {}) {
  sio_packet p;
  p.type = type;
  p.nsp = std::move(nsp);
  p.id = id;
  p.data = std::move(data);
  p.attachments = std::move(attachments);
  return p;
}

// One row of the §2.2 / §2.3 tables.
struct golden {
  sio_packet packet;
  std::string encoded;
};

std::ostream& operator<<(std::ostream& os, const golden& row) {
  return os << row.encoded;
}

using t = sio_packet_type;

const std::vector<golden> golden_table{
  {make(t::connect, "/", {}, ""), "0"},
  {make(t::connect, "/admin", {}, R"({"token":"123"})"),
    R"(0/admin,{"token":"123"})"},
  {make(t::connect, "/", {}, R"({"sid":"wZX3oN0bSVIhsaknAAAI"})"),
    R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})"},
  {make(t::connect, "/admin", {}, R"({"sid":"oSO0OpakMV_3jnilAAAA"})"),
    R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})"},
  {make(t::connect_error, "/", {}, R"({"message":"Not authorized"})"),
    R"(4{"message":"Not authorized"})"},
  {make(t::connect_error, "/random", {}, R"({"message":"Invalid namespace"})"),
    R"(4/random,{"message":"Invalid namespace"})"},
  {make(t::event, "/", {}, R"(["foo"])"), R"(2["foo"])"},
  {make(t::event, "/admin", {}, R"(["bar"])"), R"(2/admin,["bar"])"},
  {make(t::event, "/", 12, R"(["foo"])"), R"(212["foo"])"},
  {make(t::ack, "/admin", 13, R"(["bar"])"), R"(3/admin,13["bar"])"},
  {make(t::disconnect, "/", {}, ""), "1"},
  {make(t::disconnect, "/admin", {}, ""), "1/admin,"},
  {make(t::binary_event, "/", {}, R"(["baz",{"_placeholder":true,"num":0}])",
     {"\x01\x02\x03\x04"s}),
    R"(51-["baz",{"_placeholder":true,"num":0}])"},
  {make(
     t::binary_ack, "/admin", 1, R"([{"_placeholder":true,"num":0}])", {"buf"}),
    R"(61-/admin,1[{"_placeholder":true,"num":0}])"},
  {make(t::event, "/admin", 1, R"(["tellme"])"), R"(2/admin,1["tellme"])"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(sio_encoder_test)

BOOST_DATA_TEST_CASE(
  encode_writes_the_protocol_table, data::make(golden_table), row) {
  BOOST_TEST(encode(row.packet) == row.encoded);
  BOOST_TEST(encode_message(row.packet) == "4" + row.encoded);
}

BOOST_DATA_TEST_CASE(
  encode_message_from_parts_writes_the_same_table, data::make(golden_table), row) {
  const auto& p = row.packet;
  BOOST_TEST(encode_message(p.type, p.nsp, p.id, p.data, p.attachments.size())
             == "4" + row.encoded);
}

BOOST_AUTO_TEST_CASE(encode_message_from_parts_counts_attachments_of_binary_types_only) {
  BOOST_TEST(encode_message(t::binary_ack, "/", 2, "[1]", 3) == "463-2[1]");
  BOOST_TEST(encode_message(t::ack, "", 2, "[1]", 3) == "432[1]");
  BOOST_TEST(encode_message(t::event, "/a", std::nullopt, R"(["x"])") == R"(42/a,["x"])");
}

BOOST_AUTO_TEST_CASE(encode_treats_an_empty_namespace_as_the_main_one) {
  BOOST_TEST(encode(make(t::event, "", 3, R"(["x"])")) == R"(23["x"])");
}

BOOST_AUTO_TEST_CASE(encode_writes_the_attachment_count_of_binary_packets) {
  auto p = make(t::binary_event, "/", 7,
    R"(["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
    {"a", "b"});
  BOOST_TEST(
    encode(p)
    == R"(52-7["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  p.attachments.clear();
  BOOST_TEST(encode(p).rfind("50-7[", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(binary_event_becomes_the_golden_polling_payload) {
  auto p = make(t::binary_event, "/", {},
    R"(["baz",{"_placeholder":true,"num":0}])", {"\x01\x02\x03\x04"s});
  auto packets = to_eio_packets(p);
  BOOST_TEST_REQUIRE(packets.size() == 2u);
  BOOST_TEST(
    encode_frame(packets[0]) == R"(451-["baz",{"_placeholder":true,"num":0}])");
  BOOST_TEST(is_binary_frame(packets[1]));
  BOOST_TEST(encode_frame(packets[1]) == "\x01\x02\x03\x04"s);
  BOOST_TEST(encode_payload(packets)
             == R"(451-["baz",{"_placeholder":true,"num":0}])"
                "\x1e"
                "bAQIDBA==");
}

BOOST_AUTO_TEST_CASE(binary_ack_becomes_the_golden_websocket_frames) {
  auto p = make(t::binary_ack, "/admin", 1,
    R"([{"_placeholder":true,"num":0}])", {"\x05\x06"s});
  auto packets = to_eio_packets(p);
  BOOST_TEST_REQUIRE(packets.size() == 2u);
  BOOST_TEST(encode_frame(packets[0])
             == R"(461-/admin,1[{"_placeholder":true,"num":0}])");
  BOOST_TEST(encode_frame(packets[1]) == "\x05\x06"s);
}

BOOST_AUTO_TEST_CASE(text_packets_become_one_engine_io_message) {
  auto packets = to_eio_packets(make(t::event, "/", {}, R"(["news",1])"));
  BOOST_TEST_REQUIRE(packets.size() == 1u);
  BOOST_TEST(encode_frame(packets[0]) == R"(42["news",1])");
}

BOOST_AUTO_TEST_CASE(split_event_separates_name_and_arguments) {
  auto r = split_event(R"(["ev",1,{}])");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST_REQUIRE(r->name.has_value());
  BOOST_TEST(*r->name == "ev");
  BOOST_TEST(r->args == "[1,{}]");
}

BOOST_AUTO_TEST_CASE(split_event_without_arguments_gives_an_empty_array) {
  auto r = split_event(R"(["chat"])");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(*r->name == "chat");
  BOOST_TEST(r->args == "[]");
  r = split_event(" [ \"chat\" ] ");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(r->args == "[]");
}

BOOST_AUTO_TEST_CASE(split_event_keeps_argument_text_verbatim) {
  auto r = split_event(R"([ "a\"b" , [1,[2,"]"]], {"k":"v"} ] )");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(*r->name == "a\"b");
  BOOST_TEST(r->args == R"([[1,[2,"]"]], {"k":"v"} ])");
}

BOOST_AUTO_TEST_CASE(split_event_unescapes_the_name) {
  auto r = split_event(R"(["h\u00e9\n",true])");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(*r->name == "h\xc3\xa9\n");
  BOOST_TEST(r->args == "[true]");
}

BOOST_AUTO_TEST_CASE(split_event_with_a_non_string_first_element_has_no_name) {
  auto r = split_event(R"([42,"x"])");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(!r->name.has_value());
  BOOST_TEST(r->args == R"(["x"])");
  r = split_event(R"([["nested"],2])");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(!r->name.has_value());
  BOOST_TEST(r->args == "[2]");
  r = split_event(R"([{"a":[1]} , 2,3])");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(!r->name.has_value());
  BOOST_TEST(r->args == "[2,3]");
  r = split_event(R"([[]])");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(r->args == "[]");
}

BOOST_DATA_TEST_CASE(split_event_rejects_what_is_not_a_non_empty_array,
  data::make(std::vector<std::string>{"", "[]", "{}", R"("ev")", R"(["ev")",
    R"(["ev",])", "[\"\xff\"]", R"(["ev"] x)", std::string(5000, '[')}),
  json) {
  auto r = split_event(json);
  BOOST_TEST(!r);
  BOOST_TEST(!r.error().empty());
}

BOOST_AUTO_TEST_CASE(packet_type_names_are_the_protocol_names) {
  BOOST_TEST(to_string(t::connect) == "CONNECT");
  BOOST_TEST(to_string(t::binary_ack) == "BINARY_ACK");
  BOOST_TEST(to_string(static_cast<sio_packet_type>(7)) == "UNKNOWN");
  BOOST_TEST(is_binary(t::binary_event));
  BOOST_TEST(!is_binary(t::event));
}

BOOST_AUTO_TEST_SUITE_END()
