// tests/unit/adapter/values_test.cpp: lib/cluster/msgpack_value and
// msgpack_writer: notepack's reading rules and JSON.stringify's writing rules.
#include "lib/cluster/msgpack_json.hpp"
#include "lib/cluster/msgpack_value.hpp"
#include "lib/cluster/msgpack_writer.hpp"

#include <boost/test/unit_test.hpp>

using namespace sio::cluster;
using namespace std::literals;

namespace {

std::string js(double v) {
  std::string out;
  append_js_number(out, v);
  return out;
}

std::string json_of(std::string_view bytes, std::vector<std::string>* att = nullptr) {
  auto v = decode_msgpack(bytes);
  if (!v)
    return "ERR " + v.error();
  std::vector<std::string> a;
  auto j = to_json(*v, a);
  if (att)
    *att = a;
  return j ? *j : "ERR " + j.error();
}

std::string mp(std::string_view json, const std::vector<std::string>& att = {}) {
  std::string out;
  mp_writer w{out};
  auto ok = append_json_as_msgpack(w, json, att);
  return ok ? out : "ERR " + ok.error();
}

} // namespace

BOOST_AUTO_TEST_SUITE(adapter_values)

BOOST_AUTO_TEST_CASE(js_number_to_string) {
  BOOST_TEST(js(0) == "0");
  BOOST_TEST(js(-0.0) == "0");
  BOOST_TEST(js(1.5) == "1.5");
  BOOST_TEST(js(-0.25) == "-0.25");
  BOOST_TEST(js(0.1) == "0.1");
  BOOST_TEST(js(1e21) == "1e+21");
  BOOST_TEST(js(1e20) == "100000000000000000000");
  BOOST_TEST(js(18446744073709551615.0) == "18446744073709552000");
  BOOST_TEST(js(1e-7) == "1e-7");
  BOOST_TEST(js(1e-6) == "0.000001");
  BOOST_TEST(js(123456.789) == "123456.789");
  BOOST_TEST(js(5e-324) == "5e-324");
  BOOST_TEST(js(1.7976931348623157e308) == "1.7976931348623157e+308");
  BOOST_TEST(js(1.25e-9) == "1.25e-9");
}

BOOST_AUTO_TEST_CASE(iso_dates) {
  std::string out;
  BOOST_TEST(append_iso_date(out, 0));
  BOOST_TEST(out == "\"1970-01-01T00:00:00.000Z\"");
  out.clear();
  BOOST_TEST(append_iso_date(out, -1));
  BOOST_TEST(out == "\"1969-12-31T23:59:59.999Z\"");
  out.clear();
  BOOST_TEST(append_iso_date(out, 8.64e15));
  BOOST_TEST(out == "\"+275760-09-13T00:00:00.000Z\"");
  out.clear();
  BOOST_TEST(append_iso_date(out, -62198755200000.0)); // year -1
  BOOST_TEST(out == "\"-000001-01-01T00:00:00.000Z\"");
  BOOST_TEST(!append_iso_date(out, 8.64e15 + 1));
}

BOOST_AUTO_TEST_CASE(maps_follow_js_objects) {
  // {"b":1,"2":2,"a":3,"1":4} -> integer keys first, ascending
  BOOST_TEST(json_of("\x84\xa1" "b\x01\xa1" "2\x02\xa1" "a\x03\xa1" "1\x04")
             == R"({"1":4,"2":2,"b":1,"a":3})");
  // repeated key: first place, last value
  BOOST_TEST(json_of("\x83\xa1" "a\x01\xa1" "b\x02\xa1" "a\x03") == R"({"a":3,"b":2})");
  // undefined members dropped, undefined in arrays is null
  BOOST_TEST(json_of("\x82\xa1" "a\xd4\x00\x00\xa1" "b\x92\xd4\x00\x00\xc0"s)
             == R"({"b":[null,null]})");
  // __proto__ is never an own property
  BOOST_TEST(json_of("\x82\xa9__proto__\x81\xa1x\x01\xa1y\x02") == R"({"y":2})");
  // scalar keys become JS property keys; "01" is not an index
  BOOST_TEST(json_of("\x84\x07\x01\xc0\x02\xc3\x03\xa2" "01\x04")
             == R"({"7":1,"null":2,"true":3,"01":4})");
  BOOST_TEST(json_of("\x81\x90\x01").substr(0, 3) == "ERR");
}

BOOST_AUTO_TEST_CASE(scalars_as_json_stringify_writes_them) {
  BOOST_TEST(json_of("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00"s) == "null"); // NaN
  BOOST_TEST(json_of("\xca\x3d\xcc\xcc\xcd") == "0.10000000149011612"); // float32 0.1
  BOOST_TEST(json_of("\xcf\xff\xff\xff\xff\xff\xff\xff\xff") == "18446744073709552000");
  BOOST_TEST(json_of("\xcf\x00\x20\x00\x00\x00\x00\x00\x00"s) == "9007199254740992");
  BOOST_TEST(json_of("\xd3\x80\x00\x00\x00\x00\x00\x00\x00"s) == "-9223372036854776000");
  BOOST_TEST(json_of("\xd3\xff\xff\xff\xff\xff\xff\xff\xff") == "-1");
  BOOST_TEST(json_of("\xd0\x80") == "-128");
  BOOST_TEST(json_of("\xa3\xff\x41\x42") == "\"\xef\xbf\xbd" "AB\""); // invalid UTF-8
  BOOST_TEST(json_of("\xd6\xff\x00\x00\x00\x01"s) == "\"1970-01-01T00:00:01.000Z\"");
  std::vector<std::string> att;
  BOOST_TEST(json_of("\x92\xc4\x01\x07\xd5\x05\x01\x02", &att)
             == R"([{"_placeholder":true,"num":0},[5,{"_placeholder":true,"num":1}]])");
  BOOST_TEST(att.size() == 2u);
  BOOST_TEST(att[1] == std::string("\x01\x02", 2));
  // legacy ArrayBuffer ext type 0 is binary
  BOOST_TEST(json_of("\xc7\x02\x00\xaa\xbb"s, &att) == R"({"_placeholder":true,"num":0})");
}

BOOST_AUTO_TEST_CASE(writing_as_notepack) {
  BOOST_TEST(mp("1") == "\x01");
  BOOST_TEST(mp("-1") == "\xff");
  BOOST_TEST(mp("128") == "\xcc\x80");
  BOOST_TEST(mp("-33") == "\xd0\xdf");
  BOOST_TEST(mp("2.0") == "\x02"); // a JS number that is an integer
  BOOST_TEST(mp("1.5") == std::string("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00", 9));
  BOOST_TEST(mp(R"("abc")") == "\xa3" "abc");
  BOOST_TEST(mp(std::string(R"(")") + std::string(40, 'x') + "\"").substr(0, 2) == "\xd9\x28");
  BOOST_TEST(mp(R"([null,true,false])") == "\x93\xc0\xc3\xc2");
  BOOST_TEST(mp(R"({"a":{"_placeholder":true,"num":0}})", {"zz"}) == "\x81\xa1" "a\xc4\x02zz");
  BOOST_TEST(mp(R"({"_placeholder":true,"num":1})", {"zz"}).substr(0, 3) == "ERR");
  BOOST_TEST(mp(R"({"_placeholder":true})", {"zz"}).substr(0, 3) == "ERR");
  BOOST_TEST(mp("[1,").substr(0, 3) == "ERR");
  BOOST_TEST(mp(std::string(200, '[') + std::string(200, ']')).substr(0, 3) == "ERR");
}

BOOST_AUTO_TEST_SUITE_END()
