// Tests for lib/http/request_parser.hpp's request targets: the absolute form
// (RFC 9112 §3.2.2) reaches routing as origin form, with the target's
// authority as Host; path() and query() split what routing sees, and header
// values lose their optional whitespace.
#include "lib/http/request_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <tuple>
#include <utility>

using namespace sio::http;

namespace {

struct parsed {
  request_parser::status status = request_parser::status::need_more;
  int error_status = 0;
  std::string target;
  std::string host;  ///< the Host header, "-" when absent
  std::string path;
  std::string query;
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
  out.path = std::string{p.current().path()};
  out.query = std::string{p.current().query()};
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

BOOST_AUTO_TEST_CASE(a_host_taken_from_the_target_counts_against_the_header_limit) {
  request_limits limits;
  limits.max_header_count = 2;
  auto parse = [&](const std::string& head) {
    request_parser p{limits};
    size_t consumed = 0;
    auto st = p.parse(head, consumed);
    return std::make_pair(st, p.error_status());
  };
  // Two headers sent, no Host: the Host from the target would be a third.
  auto [st, code] = parse("GET http://example.org/p HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n");
  BOOST_TEST((st == request_parser::status::invalid));
  BOOST_TEST(code == 431);
  // One sent: the Host makes two, within the limit.
  std::tie(st, code) = parse("GET http://example.org/p HTTP/1.1\r\nA: 1\r\n\r\n");
  BOOST_TEST((st == request_parser::status::complete));
  // A Host header among the two is replaced, not added.
  std::tie(st, code) = parse("GET http://example.org/p HTTP/1.1\r\nHost: x\r\nB: 2\r\n\r\n");
  BOOST_TEST((st == request_parser::status::complete));
}

BOOST_AUTO_TEST_CASE(path_and_query_split_the_target) {
  struct expected {
    const char* line;
    const char* path;
    const char* query;
  };
  for (auto e : {expected{"GET /a/b?x=1&y=2 HTTP/1.1", "/a/b", "x=1&y=2"},
                 expected{"GET / HTTP/1.1", "/", ""},
                 expected{"GET /p? HTTP/1.1", "/p", ""},
                 expected{"GET /p?a=b?c HTTP/1.1", "/p", "a=b?c"},
                 expected{"GET /p#frag HTTP/1.1", "/p", ""},
                 expected{"GET /p?q=1#frag HTTP/1.1", "/p", "q=1"},
                 expected{"GET http://h?q=1 HTTP/1.1", "/", "q=1"},
                 expected{"GET /caf%C3%A9?n=%E2%82%AC HTTP/1.1", "/caf%C3%A9",
                          "n=%E2%82%AC"}}) {
    auto r = parse_head(e.line, "example.org");
    BOOST_TEST_CONTEXT(e.line) {
      BOOST_TEST((r.status == request_parser::status::complete));
      BOOST_TEST(r.path == e.path);
      BOOST_TEST(r.query == e.query);
    }
  }
}

BOOST_AUTO_TEST_CASE(header_values_lose_spaces_and_tabs_at_both_ends) {
  request_parser p;
  std::string bytes = "GET / HTTP/1.1\r\nHost: h\r\nX-A: \t a \t b \t\r\n"
                      "X-Blank: \t \r\nX-Utf8:  caf\xC3\xA9 \r\n\r\n";
  size_t consumed = 0;
  BOOST_TEST((p.parse(bytes, consumed) == request_parser::status::complete));
  auto& req = p.current();
  BOOST_TEST(*req.find_header("x-a") == "a \t b");
  BOOST_TEST(*req.find_header("X-BLANK") == "");
  BOOST_TEST(*req.find_header("x-utf8") == "caf\xC3\xA9");
  BOOST_TEST(req.find_header("X-Missing") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
