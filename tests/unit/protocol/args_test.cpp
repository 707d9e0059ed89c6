// Tests for sio::args (<sio/args.hpp>, lib/protocol/args.cpp): every kind
// of value as JSON that a JSON parser reads back as the value, escaping,
// integers of every width, non-finite doubles as null, invalid UTF-8 as
// U+FFFD, and binary placeholders numbered in order across nesting.
#include <sio/args.hpp>

#include "lib/protocol/utf8.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

/// a.json() parsed; fails the test when it is not a JSON array.
rapidjson::Document parsed(const sio::args& a) {
  auto text = a.json();
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  BOOST_TEST_REQUIRE(!doc.HasParseError(), text);
  BOOST_TEST_REQUIRE(doc.IsArray(), text);
  return doc;
}

std::string as_string(const rapidjson::Value& v) {
  BOOST_TEST_REQUIRE(v.IsString());
  return {v.GetString(), v.GetStringLength()};
}

/// The `num` of every placeholder object in `v`, depth first, in order.
void collect_placeholders(const rapidjson::Value& v, std::vector<uint64_t>& out) {
  if (v.IsArray()) {
    for (auto& item : v.GetArray())
      collect_placeholders(item, out);
  } else if (v.IsObject()) {
    auto flag = v.FindMember("_placeholder");
    if (flag != v.MemberEnd() && flag->value.IsTrue()) {
      out.push_back(v["num"].GetUint64());
      return;
    }
    for (auto& m : v.GetObject())
      collect_placeholders(m.value, out);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(args)

BOOST_AUTO_TEST_CASE(no_arguments_is_an_empty_array) {
  sio::args a;
  BOOST_TEST(a.empty());
  BOOST_TEST(a.json() == "[]");
  BOOST_TEST(a.attachments().empty());
}

BOOST_AUTO_TEST_CASE(scalars_in_order) {
  sio::args a{nullptr, true, false, "two", std::string{"three"},
              std::string_view{"four"}, 1.5};
  BOOST_TEST(!a.empty());
  BOOST_TEST(a.json() == R"([null,true,false,"two","three","four",1.5])");
}

BOOST_AUTO_TEST_CASE(integers_stay_integers_at_every_width) {
  sio::args a{static_cast<int8_t>(-5), static_cast<uint8_t>(250),
              static_cast<int16_t>(-30000), static_cast<uint16_t>(65535), 3,
              -7L, std::numeric_limits<int64_t>::min(),
              std::numeric_limits<uint64_t>::max(), 0u};
  BOOST_TEST(a.json()
             == "[-5,250,-30000,65535,3,-7,-9223372036854775808,"
                "18446744073709551615,0]");
  auto doc = parsed(a);
  BOOST_TEST(doc[6].GetInt64() == std::numeric_limits<int64_t>::min());
  BOOST_TEST(doc[7].GetUint64() == std::numeric_limits<uint64_t>::max());
}

BOOST_AUTO_TEST_CASE(doubles_round_trip_and_non_finite_ones_are_null) {
  const std::vector<double> finite{0.1, -2.5e-300, 1e300, 3.0, 123456789.125,
                                   std::numeric_limits<double>::min(),
                                   std::numeric_limits<double>::max()};
  sio::args a;
  for (double d : finite)
    a.push(d);
  a.push(std::nan(""));
  a.push(std::numeric_limits<double>::infinity());
  a.push(-std::numeric_limits<double>::infinity());
  a.push(0.25f);
  auto doc = parsed(a);
  BOOST_TEST_REQUIRE(doc.Size() == finite.size() + 4);
  for (size_t i = 0; i < finite.size(); ++i) {
    BOOST_TEST_REQUIRE(doc[i].IsNumber());
    BOOST_TEST(doc[i].GetDouble() == finite[i]);
  }
  for (size_t i = finite.size(); i < finite.size() + 3; ++i)
    BOOST_TEST(doc[i].IsNull());
  BOOST_TEST(doc[finite.size() + 3].GetDouble() == 0.25);
}

BOOST_AUTO_TEST_CASE(strings_are_escaped) {
  static const char control_bytes[] = "nul \0 one \x01 unit separator \x1f del \x7f";
  const std::vector<std::string> texts{
    "quote \" backslash \\ slash /",
    "newline \n tab \t return \r backspace \b formfeed \f",
    std::string{control_bytes, sizeof control_bytes - 1},
    "</script><!-- ]]>",
    "\xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xB5 \xF0\x9F\x98\x80", // κόσμε 😀
    "",
  };
  sio::args a;
  for (auto& t : texts)
    a.push(t);
  auto text = a.json();
  for (unsigned char c : text)
    BOOST_TEST(c >= 0x20, "raw control byte in " << text);
  auto doc = parsed(a);
  BOOST_TEST_REQUIRE(doc.Size() == texts.size());
  for (size_t i = 0; i < texts.size(); ++i)
    BOOST_TEST(as_string(doc[i]) == texts[i]);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_becomes_replacement_characters) {
  const std::string fffd = "\xEF\xBF\xBD";
  struct sample {
    std::string in;
    std::string out;
  };
  const std::vector<sample> samples{
    {"a\xFF" "b", "a" + fffd + "b"},
    {"cut \xE2\x82", "cut " + fffd},                    // truncated at the end
    {"\xE2\x82" "x", fffd + "x"},                       // truncated before ASCII
    {"\xC0\xAF", fffd + fffd},                          // overlong '/'
    {"\xED\xA0\x80", fffd + fffd + fffd},               // a UTF-16 surrogate
    {"\xE0\x80\xE2\x82\xAC", fffd + fffd + "\xE2\x82\xAC"}, // bad, then a euro
    {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},    // above U+10FFFF
  };
  for (auto& s : samples) {
    sio::args a{s.in};
    auto text = a.json();
    BOOST_TEST(sio::protocol::is_valid_utf8(text));
    auto doc = parsed(a);
    BOOST_TEST(as_string(doc[0]) == s.out);
  }
}

BOOST_AUTO_TEST_CASE(rapidjson_values_are_written_again) {
  rapidjson::Document v;
  v.Parse(R"({"name":"a \"b\"\n","list":[1,-2,3.5,true,null],"nested":{"k":[]}})");
  BOOST_TEST_REQUIRE(!v.HasParseError());
  // Values built in code: a non-finite number and invalid UTF-8.
  v.AddMember("nan", rapidjson::Value{std::nan("")}, v.GetAllocator());
  v.AddMember(rapidjson::Value{"bad\xFFkey", v.GetAllocator()},
              rapidjson::Value{"bad\xFFvalue", v.GetAllocator()}, v.GetAllocator());
  sio::args a{v, static_cast<const rapidjson::Value&>(v["list"])};
  BOOST_TEST(sio::protocol::is_valid_utf8(a.json()));
  auto doc = parsed(a);
  BOOST_TEST(as_string(doc[0]["name"]) == "a \"b\"\n");
  BOOST_TEST(doc[0]["list"].Size() == 5u);
  BOOST_TEST(doc[0]["list"][2].GetDouble() == 3.5);
  BOOST_TEST(doc[0]["nested"]["k"].IsArray());
  BOOST_TEST(doc[0]["nan"].IsNull());
  BOOST_TEST(as_string(doc[0]["bad\xEF\xBF\xBDkey"]) == "bad\xEF\xBF\xBDvalue");
  BOOST_TEST((doc[1] == v["list"]));
}

BOOST_AUTO_TEST_CASE(raw_json_goes_in_as_it_is) {
  sio::args a{1, sio::raw_json{R"({"a" : [1, 2]})"}, 2};
  BOOST_TEST(a.json() == R"([1,{"a" : [1, 2]},2])");
}

BOOST_AUTO_TEST_CASE(vectors_are_arrays) {
  sio::args a{std::vector<int>{1, 2, 3}, std::vector<std::string>{"x", "y\""},
              std::vector<bool>{true, false}, std::vector<double>{0.5, std::nan("")},
              std::vector<int>{}, std::vector<std::vector<int>>{{1}, {2, 3}}};
  BOOST_TEST(a.json() == R"([[1,2,3],["x","y\""],[true,false],[0.5,null],[],[[1],[2,3]]])");
}

BOOST_AUTO_TEST_CASE(binary_values_are_numbered_placeholders) {
  std::string bytes{"\x00\x01\xFF", 3};
  sio::args a{"a", sio::binary{bytes}, sio::binary{"zz"}};
  BOOST_TEST(a.json()
             == R"(["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  BOOST_TEST_REQUIRE(a.attachments().size() == 2u);
  BOOST_TEST(a.attachments()[0] == bytes);
  BOOST_TEST(a.attachments()[1] == "zz");
}

BOOST_AUTO_TEST_CASE(placeholders_are_numbered_across_nesting) {
  using bins = std::vector<sio::binary>;
  sio::args a;
  a.push(sio::binary{"A"});
  a.push(bins{{"B"}, {"C"}});
  a.push(sio::binary{"D"});
  a.push(std::vector<bins>{{{"E"}}, {}, {{"F"}, {"G"}}});
  a.push(bins{});
  a.push(sio::binary{"H"});
  auto doc = parsed(a);
  std::vector<uint64_t> nums;
  collect_placeholders(doc, nums);
  const std::vector<std::string> expected{"A", "B", "C", "D", "E", "F", "G", "H"};
  BOOST_TEST_REQUIRE(nums.size() == expected.size());
  BOOST_TEST_REQUIRE(a.attachments().size() == expected.size());
  for (size_t i = 0; i < nums.size(); ++i) {
    BOOST_TEST(nums[i] == i);
    BOOST_TEST(a.attachments()[nums[i]] == expected[i]);
  }
  BOOST_TEST(doc[3][1].IsArray());
  BOOST_TEST(doc[3][1].Empty());
}

BOOST_AUTO_TEST_CASE(placeholder_text_in_raw_json_is_not_renumbered) {
  // Only the placeholders args wrote itself are renumbered when nested: a
  // string or raw_json that reads like one is left alone.
  const std::string lookalike = R"({"_placeholder":true,"num":0})";
  sio::args a;
  a.push(sio::binary{"first"});
  a.push(std::vector<sio::raw_json>{{lookalike}});
  a.push(std::vector<std::string>{lookalike});
  BOOST_TEST(a.json()
             == "[" R"({"_placeholder":true,"num":0},)" "[" + lookalike + "],"
                  R"(["{\"_placeholder\":true,\"num\":0}"])" "]");
  BOOST_TEST(a.attachments().size() == 1u);
}

BOOST_AUTO_TEST_CASE(copies_are_independent) {
  sio::args a{1, sio::binary{"x"}};
  sio::args b{a};
  b.push(2);
  BOOST_TEST(a.json() == R"([1,{"_placeholder":true,"num":0}])");
  BOOST_TEST(b.json() == R"([1,{"_placeholder":true,"num":0},2])");
  BOOST_TEST(b.attachments().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
