// Tests for lib/protocol/sio_decoder.hpp: golden strings of protocol.md §2.2,
// §2.3 and §2.5, round trips with the encoder, attachments, and a table of
// malformed inputs that must all be rejected with a reason.
#include "lib/protocol/sio_decoder.hpp"

#include "lib/protocol/eio_codec.hpp"
#include "lib/protocol/sio_encoder.hpp"
#include "tests/unit/protocol/printing.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace data = boost::unit_test::data;
using namespace sio::protocol;
using namespace std::string_literals;
using status = sio_decoder::status;
using t = sio_packet_type;

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

// Feeds the text and every attachment; returns the packet or nullopt.
std::optional<sio_packet> decode_all(sio_decoder& dec, std::string_view text,
  const std::vector<std::string>& attachments) {
  auto st = dec.feed_text(text);
  for (const auto& a : attachments) {
    if (st != status::need_more)
      return std::nullopt;
    st = dec.feed_binary(a);
  }
  if (st != status::complete)
    return std::nullopt;
  return dec.take();
}

// Socket.IO texts (without the Engine.IO '4') that must re-encode identically.
const std::vector<std::string> golden_texts{
  "0",
  R"(0/admin,{"token":"123"})",
  R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})",
  R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})",
  R"(4{"message":"Not authorized"})",
  R"(4/random,{"message":"Invalid namespace"})",
  R"(4"plain string reason")",
  R"(2["foo"])",
  R"(2/admin,["bar"])",
  R"(212["foo"])",
  R"(3/admin,13["bar"])",
  R"(3[])",
  "1",
  "1/admin,",
  R"(2/admin,1["tellme"])",
  R"(2["hello"])",
  R"(2[1,"numeric event name"])",
  R"(2/chat,9007199254740992["max id"])",
  R"(50-["no attachments"])",
};

// A malformed Socket.IO text and a fragment its error reason must contain.
struct bad_text {
  std::string name;
  std::string text;
  std::string reason_part;
};

std::ostream& operator<<(std::ostream& os, const bad_text& row) {
  return os << row.name;
}

std::string deep_nesting(size_t depth) {
  return "3" + std::string(depth, '[') + std::string(depth, ']');
}

const std::vector<bad_text> bad_texts{
  {"empty", "", "empty"},
  {"unknown type digit", R"(7["x"])", "unknown packet type"},
  {"unknown type letter", R"(x["x"])", "unknown packet type"},
  {"namespace with a control char", "2/ad\x01min,[\"x\"]", "bad namespace"},
  {"namespace with a newline", "0/a\r\nb,", "bad namespace"},
  {"namespace with DEL",
    "2/a\x7f"
    ",[\"x\"]",
    "bad namespace"},
  {"namespace too long", "2/" + std::string(256, 'n') + R"(,["x"])",
    "bad namespace"},
  {"namespace invalid UTF-8", "2/\xff,[\"x\"]", "bad namespace"},
  {"ack id overflowing uint64", R"(2123456789012345678901234567890["x"])",
    "bad ack id"},
  {"ack id above 2^53", R"(29007199254740993["x"])", "bad ack id"},
  {"ack id on CONNECT", "01{}", "ack id not allowed"},
  {"ack id on DISCONNECT", "1/admin,5", "ack id not allowed"},
  {"ack id on CONNECT_ERROR", R"(47{"message":"x"})", "ack id not allowed"},
  {"invalid JSON unterminated", R"(2["x")", "invalid JSON"},
  {"invalid JSON trailing comma", R"(2["x",])", "invalid JSON"},
  {"invalid JSON bare word", "2[x]", "invalid JSON"},
  {"invalid JSON trailing garbage", R"(2["x"]])", "invalid JSON"},
  {"invalid JSON raw NUL after the value", "2[\"x\"]\0junk"s, "NUL"},
  {"invalid JSON NaN", R"(3[NaN])", "invalid JSON"},
  {"invalid JSON lone high surrogate escape", R"(2["\ud800"])", "invalid JSON"},
  {"invalid UTF-8 byte", "2[\"\xff\"]", "invalid JSON"},
  {"invalid UTF-8 overlong", "2[\"\xc0\xaf\"]", "invalid JSON"},
  {"invalid UTF-8 surrogate", "2[\"\xed\xa0\x80\"]", "invalid JSON"},
  {"invalid UTF-8 truncated", "2[\"\xe2\x82\"]", "invalid JSON"},
  {"reserved event connect", R"(2["connect"])", "reserved event name"},
  {"reserved event connect_error", R"(2["connect_error",1])",
    "reserved event name"},
  {"reserved event disconnect", R"(2/admin,["disconnect"])",
    "reserved event name"},
  {"reserved event disconnecting", R"(2["disconnecting"])",
    "reserved event name"},
  {"reserved event newListener", R"(2["newListener"])", "reserved event name"},
  {"reserved event removeListener", R"(21["removeListener"])",
    "reserved event name"},
  {"reserved binary event", R"(51-["connect",{"_placeholder":true,"num":0}])",
    "reserved event name"},
  {"EVENT not an array", R"(2{"a":1})", "must be an array"},
  {"EVENT empty array", "2[]", "empty array"},
  {"EVENT name is an object", "2[{}]", "name must be"},
  {"EVENT name is null", "2[null]", "name must be"},
  {"EVENT without payload", "2", "without payload"},
  {"EVENT namespace without payload", "2/admin,", "without payload"},
  {"ACK without payload", "3", "without payload"},
  {"ACK not an array", "3{}", "must be an array"},
  {"CONNECT array", "0[]", "must be an object"},
  {"CONNECT string", R"(0"x")", "must be an object"},
  {"CONNECT_ERROR without payload", "4", "without payload"},
  {"CONNECT_ERROR array", R"(4["x"])", "string or an object"},
  {"DISCONNECT with payload", R"(1{"close":true})", "must not carry a payload"},
  {"DISCONNECT namespace with payload", "1/admin,{}",
    "must not carry a payload"},
  {"too many attachments 10k", R"(510000-["x"])", "too many attachments"},
  {"too many attachments 11", R"(611-[])", "too many attachments"},
  {"attachment count without dash", R"(51["x"])", "illegal attachments"},
  {"attachment count missing", R"(5-["x"])", "illegal attachments"},
  {"attachment count not a number", R"(5a-["x"])", "illegal attachments"},
  {"attachment count at end", "51", "illegal attachments"},
  {"placeholder num out of range", R"(51-["x",{"_placeholder":true,"num":1}])",
    "placeholder"},
  {"placeholder num negative", R"(51-["x",{"_placeholder":true,"num":-1}])",
    "placeholder"},
  {"placeholder num a string", R"(51-["x",{"num":"0","_placeholder":true}])",
    "placeholder"},
  {"placeholder num missing", R"(61-[{"_placeholder":true}])", "placeholder"},
  {"placeholder num fractional", R"(52-["x",{"_placeholder":true,"num":0.5}])",
    "placeholder"},
  {"placeholder deep inside",
    R"(51-["x",[{"a":[{"_placeholder":true,"num":3}]}]])", "placeholder"},
  {"placeholder with zero attachments",
    R"(50-["x",{"_placeholder":true,"num":0}])", "placeholder"},
  {"nested JSON 100k deep", deep_nesting(100000), "nesting deeper than 1000"},
  {"unbalanced JSON 100k deep", "2" + std::string(100000, '['),
    "nesting deeper"},
  {"oversized packet", "2[\"" + std::string(1000000, 'a') + "\"]",
    "packet too large"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(sio_decoder_test)

BOOST_DATA_TEST_CASE(golden_texts_decode_and_reencode_identically,
  data::make(golden_texts), text) {
  sio_decoder dec;
  auto st = dec.feed_text(text);
  BOOST_TEST_REQUIRE((st == status::complete), dec.error());
  BOOST_TEST(dec.error().empty());
  BOOST_TEST(encode(dec.take()) == text);
}

BOOST_AUTO_TEST_CASE(golden_texts_decode_to_the_expected_fields) {
  auto check = [](std::string_view text, const sio_packet& expected) {
    auto r = decode_text_packet(text);
    BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
    BOOST_TEST(*r == expected);
  };
  check("0", make(t::connect, "/", {}, ""));
  check(R"(0/admin,{"token":"123"})",
    make(t::connect, "/admin", {}, R"({"token":"123"})"));
  check(R"(212["foo"])", make(t::event, "/", 12, R"(["foo"])"));
  check(R"(3/admin,13["bar"])", make(t::ack, "/admin", 13, R"(["bar"])"));
  check("1/admin,", make(t::disconnect, "/admin", {}, ""));
  check(R"(4{"message":"Not authorized"})",
    make(t::connect_error, "/", {}, R"({"message":"Not authorized"})"));
}

BOOST_AUTO_TEST_CASE(namespace_without_comma_runs_to_the_end) {
  auto r = decode_text_packet("0/custom");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(r->nsp == "/custom");
  BOOST_TEST(r->data.empty());
  BOOST_TEST(encode(*r) == "0/custom,");
}

BOOST_AUTO_TEST_CASE(namespace_of_exactly_256_bytes_is_accepted) {
  auto nsp = "/" + std::string(255, 'n');
  auto r = decode_text_packet("2" + nsp + R"(,["x"])");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(r->nsp == nsp);
}

BOOST_AUTO_TEST_CASE(utf8_namespace_and_payload_are_accepted) {
  auto r
    = decode_text_packet("2/caf\xc3\xa9,[\"\xf0\x9f\x98\x80\",\"\\u00e9\"]");
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(r->nsp == "/caf\xc3\xa9");
}

BOOST_AUTO_TEST_CASE(binary_event_of_the_spec_waits_for_its_attachment) {
  sio_decoder dec;
  BOOST_TEST((dec.feed_text(R"(51-["baz",{"_placeholder":true,"num":0}])")
              == status::need_more));
  BOOST_TEST(dec.awaiting_attachments());
  BOOST_TEST((dec.feed_binary("\x01\x02\x03\x04"s) == status::complete));
  BOOST_TEST(!dec.awaiting_attachments());
  auto p = dec.take();
  BOOST_TEST(
    p
    == make(t::binary_event, "/", {},
      R"(["baz",{"_placeholder":true,"num":0}])", {"\x01\x02\x03\x04"s}));
  BOOST_TEST((p.type == t::binary_event));
}

BOOST_AUTO_TEST_CASE(
  binary_ack_of_the_spec_decodes_namespace_id_and_attachment) {
  sio_decoder dec;
  auto p
    = decode_all(dec, R"(61-/admin,1[{"_placeholder":true,"num":0}])", {"buf"});
  BOOST_TEST_REQUIRE(p.has_value(), dec.error());
  BOOST_TEST(*p
             == make(t::binary_ack, "/admin", 1,
               R"([{"_placeholder":true,"num":0}])", {"buf"}));
}

BOOST_AUTO_TEST_CASE(polling_payload_of_the_spec_decodes_end_to_end) {
  auto packets = decode_payload(R"(451-["baz",{"_placeholder":true,"num":0}])"
                                "\x1e"
                                "bAQIDBA==");
  BOOST_TEST_REQUIRE(static_cast<bool>(packets), packets.error());
  BOOST_TEST_REQUIRE(packets->size() == 2u);
  sio_decoder dec;
  BOOST_TEST(((*packets)[0].type == eio_packet_type::message));
  auto text = std::string_view{(*packets)[0].data};
  BOOST_TEST((dec.feed_text(text) == status::need_more));
  BOOST_TEST((dec.feed_binary((*packets)[1].data) == status::complete));
  BOOST_TEST(dec.take().attachments.front() == "\x01\x02\x03\x04"s);
}

BOOST_AUTO_TEST_CASE(sample_session_packets_decode_in_order) {
  auto packets = decode_payload(R"(42["hello"])"
                                "\x1e"
                                R"(42["world"])");
  BOOST_TEST_REQUIRE(static_cast<bool>(packets));
  sio_decoder dec;
  std::vector<std::string> names;
  for (const auto& ep : *packets) {
    BOOST_TEST_REQUIRE(
      (dec.feed_text(ep.data) == status::complete), dec.error());
    auto parts = split_event(dec.take().data);
    BOOST_TEST_REQUIRE(static_cast<bool>(parts));
    names.push_back(*parts->name);
  }
  BOOST_TEST(names == (std::vector<std::string>{"hello", "world"}),
    boost::test_tools::per_element());
}

// The decoder's own pass gives what split_event would, for every shape of
// event array (so the session and reply helpers need no second scan).
BOOST_AUTO_TEST_CASE(event_head_splits_like_split_event) {
  for (std::string text :
       {R"(2["ev",1,{}])", R"(2/chat,7[ "a\"b,]" , [1,2] ,"x" ])", R"(2["only"])",
        R"(2[ "spaced" ])", R"(21[42,"numeric name"])", R"(2[3.5])",
        R"(2["\u00e9v\n",null])", R"(51-/b,9["bin",{"_placeholder":true,"num":0}])"}) {
    sio_decoder dec;
    auto st = dec.feed_text(text);
    if (st == status::need_more)
      st = dec.feed_binary("\x01");
    BOOST_TEST_REQUIRE((st == status::complete), text + ": " + dec.error());
    auto p = dec.take();
    const auto& head = dec.last_event_head();
    BOOST_TEST_REQUIRE(head.has_value(), text);
    auto parts = split_event(p.data);
    BOOST_TEST_REQUIRE(static_cast<bool>(parts), text);
    BOOST_TEST((head->name == parts->name), text);
    BOOST_TEST(event_args(p.data, head->first_end) == parts->args, text);
  }
}

// Without the event data copy (the client session keeps the text anyway):
// events come out with empty data, which data_offset finds in the text;
// every other packet type still carries its data.
BOOST_AUTO_TEST_CASE(without_the_event_data_copy_the_head_locates_the_data) {
  decoder_limits no_copy;
  no_copy.copy_event_data = false;
  for (std::string text :
       {R"(2["ev",1,{}])", R"(2/chat,7[ "a\"b,]" , [1,2] ,"x" ])", R"(21[42,"n"])",
        R"(51-/b,9["bin",{"_placeholder":true,"num":0}])"}) {
    sio_decoder copying;
    sio_decoder dec{no_copy};
    auto a = copying.feed_text(text);
    auto b = dec.feed_text(text);
    if (a == status::need_more) {
      a = copying.feed_binary("\x01");
      b = dec.feed_binary("\x01");
    }
    BOOST_TEST_REQUIRE((a == status::complete), text);
    BOOST_TEST_REQUIRE((b == status::complete), text);
    auto full = copying.take();
    auto p = dec.take();
    BOOST_TEST(p.data.empty(), text);
    BOOST_TEST(p.nsp == full.nsp, text);
    BOOST_TEST((p.id == full.id), text);
    BOOST_TEST((p.attachments == full.attachments), text);
    const auto& head = dec.last_event_head();
    BOOST_TEST_REQUIRE(head.has_value(), text);
    BOOST_TEST(text.substr(head->data_offset) == full.data, text);
    BOOST_TEST(head->first_end == copying.last_event_head()->first_end, text);
  }
  sio_decoder dec{no_copy};
  BOOST_TEST_REQUIRE((dec.feed_text(R"(0/chat,{"token":"x"})") == status::complete));
  BOOST_TEST(dec.take().data == R"({"token":"x"})");
  BOOST_TEST_REQUIRE((dec.feed_text(R"(3/chat,5["ok"])") == status::complete));
  BOOST_TEST(dec.take().data == R"(["ok"])");
}

// take() hands the packet over; the next feed starts from a clean packet
// (namespace "/", no id, no attachments) whatever the last one carried.
BOOST_AUTO_TEST_CASE(a_packet_taken_leaves_nothing_for_the_next) {
  sio_decoder dec;
  BOOST_TEST_REQUIRE((dec.feed_text(R"(51-/a,7["x",{"_placeholder":true,"num":0}])")
                      == status::need_more));
  BOOST_TEST_REQUIRE((dec.feed_binary("z") == status::complete));
  auto first = dec.take();
  BOOST_TEST(first.nsp == "/a");
  BOOST_TEST(first.attachments.size() == 1u);
  BOOST_TEST(!dec.awaiting_attachments());
  BOOST_TEST_REQUIRE((dec.feed_text(R"(2["y"])") == status::complete));
  auto next = dec.take();
  BOOST_TEST(next.nsp == "/");
  BOOST_TEST(!next.id.has_value());
  BOOST_TEST(next.attachments.empty());
  BOOST_TEST(next.data == R"(["y"])");
  BOOST_TEST((next.type == sio_packet_type::event));
  // An attachment with nothing pending after a take is refused.
  BOOST_TEST((dec.feed_binary("z") == status::invalid));
}

BOOST_AUTO_TEST_CASE(event_head_is_only_for_events_and_is_cleared) {
  sio_decoder dec;
  BOOST_TEST_REQUIRE((dec.feed_text(R"(2["a",1])") == status::complete));
  dec.take();
  BOOST_TEST(dec.last_event_head().has_value());
  BOOST_TEST_REQUIRE((dec.feed_text(R"(31["ok"])") == status::complete));
  dec.take();
  BOOST_TEST(!dec.last_event_head().has_value()); // an ACK has no head
  BOOST_TEST_REQUIRE((dec.feed_text(R"(2["a",1])") == status::complete));
  dec.take();
  BOOST_TEST((dec.feed_text(R"(2["a")") == status::invalid));
  BOOST_TEST(!dec.last_event_head().has_value());
  BOOST_TEST_REQUIRE((dec.feed_text(R"(2["a",1])") == status::complete));
  dec.reset();
  BOOST_TEST(!dec.last_event_head().has_value());
}

BOOST_AUTO_TEST_CASE(
  every_packet_type_round_trips_with_and_without_namespace_and_id) {
  struct shape {
    sio_packet_type type;
    std::string data;
    bool id_allowed;
  };
  const std::vector<shape> shapes{
    {t::connect, "", false},
    {t::connect, R"({"token":"x"})", false},
    {t::disconnect, "", false},
    {t::event, R"(["ev",1,{"a":[true,null]}])", true},
    {t::event, R"([7])", true},
    {t::ack, "[]", true},
    {t::ack, R"(["ok"])", true},
    {t::connect_error, R"({"message":"nope","data":{"x":1}})", false},
    {t::connect_error, R"("nope")", false},
    {t::binary_event,
      R"(["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
      true},
    {t::binary_ack,
      R"([{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", true},
  };
  for (const auto& s : shapes) {
    for (const auto& nsp : {"/"s, "/admin"s, "/a/b c"s}) {
      for (bool with_id : {false, true}) {
        if (with_id && !s.id_allowed)
          continue;
        auto p = make(s.type, nsp,
          with_id ? std::optional<uint64_t>{42} : std::nullopt, s.data);
        if (is_binary(s.type))
          p.attachments = {"\x00\x01"s, ""s};
        auto text = encode(p);
        BOOST_TEST_CONTEXT(text) {
          sio_decoder dec;
          auto back = decode_all(dec, text, p.attachments);
          BOOST_TEST_REQUIRE(back.has_value(), dec.error());
          BOOST_TEST(*back == p);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(binary_packet_with_zero_attachments_completes_at_once) {
  sio_decoder dec;
  BOOST_TEST((dec.feed_text(R"(50-["x"])") == status::complete));
  BOOST_TEST(!dec.awaiting_attachments());
  BOOST_TEST(dec.take().attachments.empty());
}

BOOST_AUTO_TEST_CASE(ten_attachments_are_accepted) {
  std::string json = R"(["many")";
  std::vector<std::string> atts;
  for (int i = 0; i < 10; ++i) {
    json += R"(,{"_placeholder":true,"num":)" + std::to_string(i) + "}";
    atts.push_back(std::string(static_cast<size_t>(i), 'x'));
  }
  json += "]";
  sio_decoder dec;
  auto p = decode_all(dec, "510-" + json, atts);
  BOOST_TEST_REQUIRE(p.has_value(), dec.error());
  BOOST_TEST(p->attachments == atts, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(take_resets_the_decoder_for_the_next_packet) {
  sio_decoder dec;
  BOOST_TEST((dec.feed_text(R"(2/admin,5["a"])") == status::complete));
  auto first = dec.take();
  BOOST_TEST(first.nsp == "/admin");
  BOOST_TEST((dec.feed_text(R"(2["b"])") == status::complete));
  auto second = dec.take();
  BOOST_TEST(second == make(t::event, "/", {}, R"(["b"])"));
}

BOOST_DATA_TEST_CASE(
  malformed_texts_are_invalid_with_a_reason, data::make(bad_texts), row) {
  sio_decoder dec;
  auto st = dec.feed_text(row.text);
  BOOST_TEST((st == status::invalid));
  BOOST_TEST(!dec.error().empty());
  BOOST_TEST(
    dec.error().find(row.reason_part) != std::string::npos, dec.error());
  BOOST_TEST(!dec.awaiting_attachments());
  auto r = decode_text_packet(row.text);
  BOOST_TEST(!r);
  BOOST_TEST(!r.error().empty());
}

BOOST_AUTO_TEST_CASE(nested_json_100k_deep_is_rejected_quickly) {
  auto text = deep_nesting(100000);
  auto start = std::chrono::steady_clock::now();
  sio_decoder dec;
  auto st = dec.feed_text(text);
  auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_TEST((st == status::invalid));
  BOOST_TEST(!dec.error().empty());
  // Aborting at depth 1001 touches ~1 KB of the 200 KB input.
  BOOST_TEST(
    std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
    < 500);
}

BOOST_AUTO_TEST_CASE(json_depth_limit_is_exact) {
  decoder_limits limits;
  limits.max_json_depth = 3;
  sio_decoder dec{limits};
  BOOST_TEST(
    (dec.feed_text(R"(2["x",[[1]]])") == status::complete), dec.error());
  BOOST_TEST((dec.feed_text(R"(2["x",[[[1]]]])") == status::invalid));
  BOOST_TEST(!dec.error().empty());
}

BOOST_AUTO_TEST_CASE(packet_size_limit_is_exact) {
  decoder_limits limits;
  limits.max_packet_size = 8;
  sio_decoder dec{limits};
  BOOST_TEST((dec.feed_text(R"(2["abc"])") == status::complete), dec.error());
  BOOST_TEST((dec.feed_text(R"(2["abcd"])") == status::invalid));
  BOOST_TEST(dec.error().find("packet too large") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(
  text_while_attachments_are_pending_is_an_attachment_count_mismatch) {
  sio_decoder dec;
  BOOST_TEST((
    dec.feed_text(
      R"(52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])")
    == status::need_more));
  BOOST_TEST((dec.feed_binary("a") == status::need_more));
  BOOST_TEST((dec.feed_text(R"(2["y"])") == status::invalid));
  BOOST_TEST(
    dec.error().find("attachment count mismatch") != std::string::npos);
  BOOST_TEST(!dec.awaiting_attachments());
  // The decoder is usable again after the error.
  BOOST_TEST((dec.feed_text(R"(2["z"])") == status::complete));
  BOOST_TEST(dec.error().empty());
}

BOOST_AUTO_TEST_CASE(binary_without_a_pending_packet_is_invalid) {
  sio_decoder dec;
  BOOST_TEST((dec.feed_binary("\x01"s) == status::invalid));
  BOOST_TEST(!dec.error().empty());
  BOOST_TEST((dec.feed_text(R"(2["x"])") == status::complete));
  BOOST_TEST((dec.feed_binary("\x01"s) == status::invalid));
  BOOST_TEST(!dec.error().empty());
}

BOOST_AUTO_TEST_CASE(oversized_attachment_is_invalid) {
  decoder_limits limits;
  limits.max_packet_size = 64;
  sio_decoder dec{limits};
  BOOST_TEST((dec.feed_text(R"(51-["x",{"_placeholder":true,"num":0}])")
              == status::need_more));
  BOOST_TEST((dec.feed_binary(std::string(65, 'x')) == status::invalid));
  BOOST_TEST(dec.error().find("attachment too large") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reset_drops_a_partial_packet) {
  sio_decoder dec;
  BOOST_TEST((dec.feed_text(R"(51-["x",{"_placeholder":true,"num":0}])")
              == status::need_more));
  dec.reset();
  BOOST_TEST(!dec.awaiting_attachments());
  BOOST_TEST((dec.feed_text(R"(2["y"])") == status::complete));
}

BOOST_AUTO_TEST_CASE(placeholders_are_only_checked_in_binary_packets) {
  // A text EVENT may carry such an object as plain data (reference behaviour).
  auto r = decode_text_packet(R"(2["x",{"_placeholder":true,"num":5}])");
  BOOST_TEST(static_cast<bool>(r), r.error());
  // "_placeholder" other than true is not a placeholder at all.
  r = decode_text_packet(
    R"(50-["x",{"_placeholder":false,"num":5},{"_placeholder":1}])");
  BOOST_TEST(static_cast<bool>(r), r.error());
}

BOOST_AUTO_TEST_CASE(rest_disconnect_payload_is_accepted_only_when_allowed) {
  decoder_limits limits;
  limits.allow_disconnect_payload = true;
  auto r = decode_text_packet(R"(1/ns,{"close":true})", limits);
  BOOST_TEST_REQUIRE(static_cast<bool>(r), r.error());
  BOOST_TEST(r->nsp == "/ns");
  BOOST_TEST(disconnect_requests_close(r->data));
  BOOST_TEST(!disconnect_requests_close(R"({"close":false})"));
  BOOST_TEST(!disconnect_requests_close(""));
  BOOST_TEST(!disconnect_requests_close(R"({"close":"true"})"));
  BOOST_TEST(!disconnect_requests_close("[true]"));
  BOOST_TEST(!decode_text_packet(R"(1["close"])", limits));
  BOOST_TEST(!decode_text_packet(R"(1{"close":true})"));
}

BOOST_AUTO_TEST_CASE(decode_text_packet_refuses_packets_needing_attachments) {
  auto r = decode_text_packet(R"(51-["x",{"_placeholder":true,"num":0}])");
  BOOST_TEST(!r);
  BOOST_TEST(!r.error().empty());
}

BOOST_AUTO_TEST_CASE(reserved_names_are_exactly_the_six_of_the_spec) {
  for (auto name : {"connect", "connect_error", "disconnect", "disconnecting",
         "newListener", "removeListener"})
    BOOST_TEST(is_reserved_event_name(name), name);
  for (auto name : {"Connect", "message", "", "connect "})
    BOOST_TEST(!is_reserved_event_name(name), name);
}

BOOST_AUTO_TEST_SUITE_END()
