// Tests for lib/http/router.hpp and the route types of <sio/http_route.hpp>
// (lib/http/http_route.cpp, lib/http/route_adapter.hpp): a real server on
// 127.0.0.1 dispatching through a router, asked over real sockets. Every
// wait is bounded.
#include "lib/http/route_adapter.hpp"
#include "lib/http/router.hpp"
#include "lib/http/server.hpp"

#include <boost/test/unit_test.hpp>

#include <asio.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

using namespace sio::http;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

namespace {

constexpr auto wait_limit = 5s;

/// A server on 127.0.0.1 whose requests go through `routes`; one I/O thread.
struct routed_server {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  router routes;
  std::unique_ptr<server> srv;
  std::thread thread;

  void start() {
    server_settings s;
    s.host = "127.0.0.1";
    s.port = 0;
    srv = std::make_unique<server>(io, s, [this](exchange ex) { routes.dispatch(ex); });
    srv->start();
    work.emplace(io.get_executor());
    thread = std::thread{[this] { io.run(); }};
  }

  ~routed_server() {
    if (!thread.joinable())
      return;
    asio::post(io, [this] { srv->stop(); });
    work.reset();
    io.stop();
    thread.join();
  }
};

/// One response to a raw request (sent with "Connection: close").
struct reply {
  int status = 0;
  std::string head;
  std::string body;

  std::string header(const std::string& name) const {
    auto at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos)
      return {};
    at += name.size() + 4;
    return head.substr(at, head.find("\r\n", at) - at);
  }
};

reply ask(uint16_t port, const std::string& method, const std::string& target,
          const std::string& body = {}) {
  asio::io_context io;
  tcp::socket sock{io};
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  auto req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             + "X-Test: yes\r\nConnection: close\r\nContent-Length: "
             + std::to_string(body.size()) + "\r\n\r\n" + body;
  asio::write(sock, asio::buffer(req));
  std::string raw;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + wait_limit;
  sock.non_blocking(true);
  while (std::chrono::steady_clock::now() < deadline) {
    asio::error_code ec;
    auto n = sock.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) {
      std::this_thread::sleep_for(2ms);
      continue;
    }
    raw.append(buf, n);
    if (ec)
      break;
  }
  reply r;
  auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos)
    return r;
  r.status = std::stoi(raw.substr(9, 3));
  r.head = raw.substr(0, head_end + 2);
  r.body = raw.substr(head_end + 4);
  return r;
}

/// A handler that answers with its name and the rest of the path.
route_handler named(std::string name) {
  return [name](exchange& ex, std::string_view rest) {
    ex.respond(response::text(200, name + "|" + std::string{rest}));
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_router)

BOOST_AUTO_TEST_CASE(exact_and_prefix_routes_by_method) {
  routed_server s;
  s.routes.add("GET", "/a", named("get-a"));
  s.routes.add("POST", "/a", named("post-a"));
  s.routes.add("GET", "/files/*", named("files"));
  s.routes.add("GET", "/files/deep/*", named("deep"));
  s.routes.add("GET", "/files/exact", named("exact"));
  s.routes.add(std::string{router::any_method}, "/any", named("any"));
  s.start();
  auto port = s.srv->port();
  BOOST_TEST(ask(port, "GET", "/a").body == "get-a|");
  BOOST_TEST(ask(port, "POST", "/a", "x").body == "post-a|");
  BOOST_TEST(ask(port, "GET", "/a?x=1").body == "get-a|");
  BOOST_TEST(ask(port, "GET", "/files/x/y.txt").body == "files|x/y.txt");
  BOOST_TEST(ask(port, "GET", "/files").body == "files|");
  BOOST_TEST(ask(port, "GET", "/files/").body == "files|");
  BOOST_TEST(ask(port, "GET", "/files/deep/z").body == "deep|z");
  BOOST_TEST(ask(port, "GET", "/files/exact").body == "exact|");
  BOOST_TEST(ask(port, "DELETE", "/any").body == "any|");
  BOOST_TEST(ask(port, "PATCH", "/any").body == "any|");
  // Exact paths are exact: no trailing slash, no case folding.
  BOOST_TEST(ask(port, "GET", "/a/").status == 404);
  BOOST_TEST(ask(port, "GET", "/A").status == 404);
  BOOST_TEST(ask(port, "GET", "/filesx").status == 404);
}

BOOST_AUTO_TEST_CASE(unknown_path_is_404_json_and_other_method_405_with_allow) {
  routed_server s;
  s.routes.add("GET", "/a", named("get-a"));
  s.routes.add("PUT", "/a", named("put-a"));
  s.start();
  auto port = s.srv->port();
  auto missing = ask(port, "GET", "/nope");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.header("Content-Type") == "application/json");
  BOOST_TEST(missing.body == R"({"code":"NotFound","message":"no such endpoint"})");
  auto wrong = ask(port, "POST", "/a", "x");
  BOOST_TEST(wrong.status == 405);
  BOOST_TEST(wrong.header("Allow") == "GET, PUT");
  BOOST_TEST(wrong.body == R"({"code":"MethodNotAllowed","message":"allowed: GET, PUT"})");
}

BOOST_AUTO_TEST_CASE(a_get_route_serves_head_without_a_body) {
  routed_server s;
  s.routes.add("GET", "/health", named("health"));
  s.start();
  auto r = ask(s.srv->port(), "HEAD", "/health");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.header("Content-Length") == "7"); // "health|"
  BOOST_TEST(r.body.empty());
}

BOOST_AUTO_TEST_CASE(the_fallback_gets_unmatched_paths) {
  routed_server s;
  s.routes.add("GET", "/a", named("get-a"));
  s.routes.set_fallback([](exchange& ex) {
    ex.respond(response::text(418, std::string{ex.req().path()}));
  });
  s.start();
  auto port = s.srv->port();
  auto r = ask(port, "GET", "/elsewhere");
  BOOST_TEST(r.status == 418);
  BOOST_TEST(r.body == "/elsewhere");
  // A known path keeps its 405: the fallback is for unknown paths.
  BOOST_TEST(ask(port, "POST", "/a").status == 405);
}

BOOST_AUTO_TEST_CASE(duplicate_and_malformed_routes_are_refused) {
  router r;
  r.add("GET", "/a", named("a"));
  r.add("GET", "/p/*", named("p"));
  r.add(std::string{router::any_method}, "/any", named("any"));
  BOOST_CHECK_THROW(r.add("GET", "/a", named("again")), std::invalid_argument);
  BOOST_CHECK_THROW(r.add("GET", "/p/*", named("again")), std::invalid_argument);
  BOOST_CHECK_THROW(r.add("GET", "/any", named("again")), std::invalid_argument);
  BOOST_CHECK_THROW(r.add(std::string{router::any_method}, "/a", named("x")),
                    std::invalid_argument);
  BOOST_CHECK_THROW(r.add("GET", "relative", named("x")), std::invalid_argument);
  BOOST_CHECK_THROW(r.add("GET", "/a*", named("x")), std::invalid_argument);
  BOOST_CHECK_THROW(r.add("GET", "/a/*/b", named("x")), std::invalid_argument);
  BOOST_CHECK_THROW(r.add("GET", "/a?x=1", named("x")), std::invalid_argument);
  BOOST_CHECK_THROW(r.add("GE T", "/b", named("x")), std::invalid_argument);
  BOOST_CHECK_THROW(r.add("", "/b", named("x")), std::invalid_argument);
  // Another method on a known path is fine, as is the exact path of a
  // prefix route.
  BOOST_CHECK_NO_THROW(r.add("POST", "/a", named("post")));
  BOOST_CHECK_NO_THROW(r.add("GET", "/p", named("p-exact")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_route_adapter)

BOOST_AUTO_TEST_CASE(the_handler_sees_decoded_path_rest_query_headers_and_body) {
  routed_server s;
  std::promise<sio::http_request> seen;
  s.routes.add("POST", "/scores/*", adapt_route([&](const sio::http_request& req,
                                                    sio::http_responder respond) {
    seen.set_value(req);
    auto r = sio::http_response::json(201, R"({"ok":true})");
    r.headers.emplace_back("X-Extra", "1");
    respond(std::move(r));
  }));
  s.start();
  auto r = ask(s.srv->port(), "POST", "/scores/al%20ice?who=b%C3%B6b&n=1&flag", "payload");
  BOOST_TEST(r.status == 201);
  BOOST_TEST(r.header("Content-Type") == "application/json");
  BOOST_TEST(r.header("X-Extra") == "1");
  BOOST_TEST(r.body == R"({"ok":true})");
  auto fut = seen.get_future();
  BOOST_TEST_REQUIRE((fut.wait_for(wait_limit) == std::future_status::ready));
  auto req = fut.get();
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.path == "/scores/al ice");
  BOOST_TEST(req.rest == "al ice");
  BOOST_TEST(req.query == "who=b%C3%B6b&n=1&flag");
  BOOST_TEST(req.body == "payload");
  BOOST_TEST(req.query_param("who").value_or("?") == "b\xC3\xB6" "b");
  BOOST_TEST(req.query_param("flag").value_or("?") == "");
  BOOST_TEST(!req.query_param("absent"));
  BOOST_TEST_REQUIRE(req.header("x-test") != nullptr);
  BOOST_TEST(*req.header("x-test") == "yes");
  BOOST_TEST(req.header("X-Absent") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_malformed_escape_in_the_path_is_400_json) {
  routed_server s;
  bool called = false;
  s.routes.add("GET", "/f/*", adapt_route([&](const sio::http_request&,
                                              sio::http_responder respond) {
    called = true;
    respond(sio::http_response::text(200, "no"));
  }));
  s.start();
  auto r = ask(s.srv->port(), "GET", "/f/%zz");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.body == R"({"code":"InvalidPath","message":"malformed percent-encoding"})");
  BOOST_TEST(!called);
}

BOOST_AUTO_TEST_CASE(an_answer_from_another_thread_later_is_delivered_once) {
  routed_server s;
  std::promise<sio::http_responder> handed;
  s.routes.add("GET", "/later", adapt_route([&](const sio::http_request&,
                                                sio::http_responder respond) {
    handed.set_value(std::move(respond));
  }));
  s.start();
  auto port = s.srv->port();
  auto pending = std::async(std::launch::async, [port] { return ask(port, "GET", "/later"); });
  auto fut = handed.get_future();
  BOOST_TEST_REQUIRE((fut.wait_for(wait_limit) == std::future_status::ready));
  // The handler has returned; this (test) thread answers, twice.
  auto respond = fut.get();
  respond(sio::http_response::text(202, "first"));
  respond(sio::http_response::text(200, "second")); // ignored
  auto r = pending.get();
  BOOST_TEST(r.status == 202);
  BOOST_TEST(r.header("Content-Type") == "text/plain; charset=UTF-8");
  BOOST_TEST(r.body == "first");
}

BOOST_AUTO_TEST_CASE(a_dropped_or_throwing_handler_answers_500) {
  routed_server s;
  s.routes.add("GET", "/drop", adapt_route([](const sio::http_request&,
                                              sio::http_responder) {}));
  s.routes.add("GET", "/throw", adapt_route([](const sio::http_request&,
                                               sio::http_responder) {
    throw std::runtime_error("boom");
  }));
  s.start();
  for (auto path : {"/drop", "/throw"}) {
    auto r = ask(s.srv->port(), "GET", path);
    BOOST_TEST(r.status == 500, path);
    BOOST_TEST(r.body.find(R"("code":"InternalError")") != std::string::npos, path);
  }
}

BOOST_AUTO_TEST_CASE(response_helpers_set_status_type_and_body) {
  auto e = sio::http_response::error(409, "Conflict", "say \"no\"");
  BOOST_TEST(e.status == 409);
  BOOST_TEST(e.content_type == "application/json");
  BOOST_TEST(e.body == R"({"code":"Conflict","message":"say \"no\""})");
  auto t = sio::http_response::text(200, "hi");
  BOOST_TEST(t.content_type == "text/plain; charset=UTF-8");
  auto wire = to_response(sio::http_response::json(204, ""));
  BOOST_TEST(wire.status == 204);
  BOOST_TEST_REQUIRE(wire.headers.size() == 1u);
  BOOST_TEST(wire.headers[0].second == "application/json");
}

BOOST_AUTO_TEST_SUITE_END()
