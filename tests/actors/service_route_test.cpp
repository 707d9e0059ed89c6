// Tests for service::route: an application's HTTP routes in the gateway's
// one route table, next to Engine.IO, the REST API, /health and /metrics,
// which no application route can take or shadow. A real service on
// 127.0.0.1, asked over real sockets.
#include "service_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <future>
#include <stdexcept>
#include <string>
#include <thread>

using namespace sio_test;

namespace {

/// A route that answers `name`, the rest of the path and the method.
sio::http_route_handler echo_route(std::string name) {
  return [name](const sio::http_request& req, sio::http_responder respond) {
    respond(sio::http_response::text(200, name + "|" + req.rest + "|" + req.method));
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(service_route)

BOOST_AUTO_TEST_CASE(the_services_paths_cannot_be_taken) {
  service_fixture f{[](sio::service& svc, caf::actor) {
    for (auto path : {"/api", "/api/", "/api/*", "/api/hubs/test/:send", "/clients",
                      "/clients/*", "/clients/socketio/hubs/test", "/clients/socketio/hubs/test/",
                      "/health", "/health/*", "/metrics", "/metrics/", "/*/../api/*"})
      BOOST_CHECK_THROW(svc.route("GET", path, echo_route("x")), std::invalid_argument);
    // A prefix route at the root is fine: the service's own paths are
    // exact or longer prefixes, and win.
    svc.route("GET", "/*", echo_route("root"));
    svc.route("GET", "/apiary", echo_route("apiary"));
    svc.route("GET", "/healthz", echo_route("healthz"));
    BOOST_CHECK_THROW(svc.route("GET", "/apiary", echo_route("again")), std::invalid_argument);
    BOOST_CHECK_THROW(svc.route("GET", "no-slash", echo_route("x")), std::invalid_argument);
    BOOST_CHECK_THROW(svc.route("GET", "/a/*/b", echo_route("x")), std::invalid_argument);
  }};
  auto port = f.port();
  // The root route gets what nothing else claims...
  BOOST_TEST(http_request(port, "GET", "/anything/else").body == "root|anything/else|GET");
  BOOST_TEST(http_request(port, "GET", "/apiary").body == "apiary||GET");
  BOOST_TEST(http_request(port, "GET", "/healthz").body == "healthz||GET");
  // ...and none of the service's own requests.
  auto health = http_request(port, "GET", "/health");
  BOOST_TEST(health.status == 200);
  BOOST_TEST(health.body == R"({"status":"ok"})");
  BOOST_TEST(http_request(port, "HEAD", "/health").status == 200);
  BOOST_TEST(http_request(port, "GET", "/metrics").body.find("# HELP") != std::string::npos);
  auto rest = http_request(port, "GET", "/api/hubs/test/connections/x");
  BOOST_TEST(rest.status == 401);
  BOOST_TEST(rest.body.find("missing bearer token") != std::string::npos);
  BOOST_TEST(http_request(port, "GET", "/api").status == 401);
  auto no_hub = http_request(port, "GET", "/clients/socketio/hubs/nope/?EIO=4&transport=polling");
  BOOST_TEST(no_hub.status == 404);
  BOOST_TEST(no_hub.body == R"({"code":"NotFound","message":"no such endpoint"})");
  f.handshake(); // Engine.IO with a trailing slash...
  auto bare = http_request(port, "GET", "/clients/socketio/hubs/test?EIO=4&transport=polling");
  BOOST_TEST(bare.status == 200); // ...and without
  BOOST_TEST(bare.body.find("\"sid\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(routes_answer_by_method_with_404_and_405_otherwise) {
  std::promise<sio::http_responder> handed;
  service_fixture f{[&handed](sio::service& svc, caf::actor) {
    svc.route("GET", "/scores", echo_route("list"));
    svc.route("POST", "/scores", echo_route("add"));
    svc.route("GET", "/files/*", echo_route("files"));
    svc.route("GET", "/later", [&handed](const sio::http_request&, sio::http_responder respond) {
      handed.set_value(std::move(respond));
    });
  }};
  auto port = f.port();
  BOOST_TEST(http_request(port, "GET", "/scores").body == "list||GET");
  BOOST_TEST(http_request(port, "POST", "/scores", "x").body == "add||POST");
  BOOST_TEST(http_request(port, "GET", "/files/a%20b/c").body == "files|a b/c|GET");
  // Answered from this thread, after the handler returned.
  auto pending = std::async(std::launch::async, [port] { return http_request(port, "GET", "/later"); });
  auto responder = handed.get_future();
  BOOST_TEST_REQUIRE((responder.wait_for(10s) == std::future_status::ready));
  responder.get()(sio::http_response::json(202, R"({"later":true})"));
  auto later = pending.get();
  BOOST_TEST(later.status == 202);
  BOOST_TEST(later.body == R"({"later":true})");
  auto wrong = http_request(port, "DELETE", "/scores");
  BOOST_TEST(wrong.status == 405);
  BOOST_TEST(wrong.body == R"({"code":"MethodNotAllowed","message":"allowed: GET, POST"})");
  auto missing = http_request(port, "GET", "/nothing");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.body == R"({"code":"NotFound","message":"no such endpoint"})");
}

BOOST_AUTO_TEST_CASE(routes_are_added_before_start) {
  service_fixture f{[](sio::service&, caf::actor) {}};
  BOOST_CHECK_THROW(f.svc->route("GET", "/late", echo_route("late")), std::logic_error);
  BOOST_TEST(http_request(f.port(), "GET", "/late").status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
