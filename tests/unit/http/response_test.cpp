// Tests for lib/http/response.hpp: the JSON error response carries the
// Azure {code, message} body, escaped, with its status and content type.
#include "lib/http/response.hpp"

#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include <string>

using namespace sio::http;
using namespace std::string_literals;

namespace {

std::string content_type(const response& r) {
  for (auto& [name, value] : r.headers)
    if (name == "Content-Type")
      return value;
  return "-";
}

} // namespace

BOOST_AUTO_TEST_SUITE(response_test)

BOOST_AUTO_TEST_CASE(error_is_a_json_body_with_code_and_message) {
  auto r = response::error(404, "NotFound", "no such endpoint");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(content_type(r) == "application/json");
  BOOST_TEST(r.body == R"({"code":"NotFound","message":"no such endpoint"})");
  BOOST_TEST(!r.close);
  auto head = serialize_head(r, true);
  BOOST_TEST(head.find("HTTP/1.1 404 Not Found\r\n") == 0u);
  BOOST_TEST(head.find("Content-Length: " + std::to_string(r.body.size()))
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(error_escapes_what_it_echoes) {
  // A parser reason or a token error may hold quotes, controls or bad bytes.
  auto r = response::error(400, "BadRequest", "bad \"x\"\r\n\\ \xFF");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(r.body.data(), r.body.size());
  BOOST_TEST(!doc.HasParseError(), r.body);
  BOOST_TEST(doc["code"].GetString() == "BadRequest"s);
  BOOST_TEST(doc["message"].GetString() == "bad \"x\"\r\n\\ \xEF\xBF\xBD"s);
}

BOOST_AUTO_TEST_SUITE_END()
