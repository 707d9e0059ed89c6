// Tests for lib/http/request_parser.hpp's request targets: the absolute form
// (RFC 9112 §3.2.2) reaches routing as origin form, with the target's
// authority as Host.
#include "lib/http/request_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace sio::http;

namespace {

struct parsed {
  request_parser::status status = request_parser::status::need_more;
  int error_status = 0;
  std::string target;
  std::string host;  ///< the Host header, "-" when absent
};

parsed parse_head(const std::string& request_line, const std::string& host) {
  request_parser p;
  std::string bytes = request_line + "\r\n";
  if (!host.empty())
    bytes += "Host: " + host + "\r\n";
  bytes += "\r\n";
  size_t consumed = 0;
  parsed out;
  out.status = p.parse(bytes, consumed);
  out.error_status = p.error_status();
  out.target = p.current().target;
  auto* h = p.current().find_header("host");
  out.host = h ? *h : "-";
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_parser_test)

BOOST_AUTO_TEST_CASE(origin_form_is_kept_as_it_is) {
  auto r = parse_head("GET /a/b?x=1 HTTP/1.1", "example.org");
  BOOST_TEST((r.status == request_parser::status::complete));
  BOOST_TEST(r.target == "/a/b?x=1");
  BOOST_TEST(r.host == "example.org");
}

BOOST_AUTO_TEST_CASE(absolute_form_becomes_origin_form_with_its_host) {
  auto r = parse_head("GET http://127.0.0.1:8080/clients/x/?EIO=4 HTTP/1.1",
                      "ignored.example");
  BOOST_TEST((r.status == request_parser::status::complete));
  BOOST_TEST(r.target == "/clients/x/?EIO=4");
  BOOST_TEST(r.host == "127.0.0.1:8080");

  r = parse_head("GET HTTPS://Example.org HTTP/1.1", "");
  BOOST_TEST((r.status == request_parser::status::complete));
  BOOST_TEST(r.target == "/");
  BOOST_TEST(r.host == "Example.org");

  r = parse_head("GET http://example.org?q=1 HTTP/1.1", "example.org");
  BOOST_TEST((r.status == request_parser::status::complete));
  BOOST_TEST(r.target == "/?q=1");
}

BOOST_AUTO_TEST_CASE(absolute_form_without_a_host_or_with_userinfo_is_400) {
  for (auto line : {"GET http:///p HTTP/1.1", "GET http://user@example.org/p HTTP/1.1",
                    "GET http://:80/p HTTP/1.1"}) {
    auto r = parse_head(line, "example.org");
    BOOST_TEST_CONTEXT(line) {
      BOOST_TEST((r.status == request_parser::status::invalid));
      BOOST_TEST(r.error_status == 400);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
