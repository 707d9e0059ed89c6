// Tests for lib/protocol/json_text.hpp: string escaping and the one error
// body builder; every body must parse as JSON and give back its texts.
#include "lib/protocol/json_text.hpp"

#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include <string>

using namespace sio::protocol;
using namespace std::string_literals;

namespace {

/// The body parsed with UTF-8 validation; fails the test if it does not parse.
rapidjson::Document parsed(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  BOOST_TEST(!doc.HasParseError(), body);
  return doc;
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_text_test)

BOOST_AUTO_TEST_CASE(strings_escape_quotes_backslashes_and_controls) {
  BOOST_TEST(json_string("") == R"("")");
  BOOST_TEST(json_string("a\"b\\c") == R"("a\"b\\c")");
  BOOST_TEST(json_string("\n\r\t") == R"("\n\r\t")");
  BOOST_TEST(json_string("\x01\x1F"s + '\0') == R"("\u0001\u001f\u0000")");
  BOOST_TEST(json_string("caf\xC3\xA9 /") == "\"caf\xC3\xA9 /\"");
}

BOOST_AUTO_TEST_CASE(error_body_has_the_azure_shape_byte_for_byte) {
  BOOST_TEST(json_error_body("NotFound", "no such endpoint")
             == R"({"code":"NotFound","message":"no such endpoint"})");
  BOOST_TEST(json_error_body("BadRequest", "")
             == R"({"code":"BadRequest","message":""})");
  BOOST_TEST(json_error_body(3, "Bad request")
             == R"({"code":3,"message":"Bad request"})");
  BOOST_TEST(json_error_body(0, "Transport unknown")
             == R"({"code":0,"message":"Transport unknown"})");
}

BOOST_AUTO_TEST_CASE(error_body_escapes_code_and_message) {
  auto body = json_error_body("Odd\"Code", "filter 'a eq \"b\\\"' at\n1\x01");
  auto doc = parsed(body);
  BOOST_TEST(doc["code"].GetString() == "Odd\"Code"s);
  BOOST_TEST(doc["message"].GetString() == "filter 'a eq \"b\\\"' at\n1\x01"s);
}

BOOST_AUTO_TEST_CASE(error_body_is_valid_json_for_any_message_bytes) {
  // Overlong, surrogate, truncated and lone bytes become U+FFFD.
  auto body = json_error_body("InvalidFilter", "x\xC0\x80y\xED\xA0\x80z\xE2\x82");
  auto doc = parsed(body);
  BOOST_TEST(doc["message"].GetString()
             == "x\xEF\xBF\xBD\xEF\xBF\xBDy\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz"
                "\xEF\xBF\xBD\xEF\xBF\xBD"s);
  auto kept = parsed(json_error_body("C", "caf\xC3\xA9 \xF0\x9F\x98\x80"));
  BOOST_TEST(kept["message"].GetString() == "caf\xC3\xA9 \xF0\x9F\x98\x80"s);
}

BOOST_AUTO_TEST_SUITE_END()
