// tests/actors/service_fixture.hpp
// A real service (actor system, hub, sessions, gateway on 127.0.0.1) for
// the actor tests, driven with raw Engine.IO long-polling requests.
#pragma once

#include "actors/asio_scheduler.hpp"
#include <sio/service.hpp>
#include "actors/type_registry.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>

#include <asio.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <thread>

namespace sio_test {

using namespace std::chrono_literals;

struct http_reply {
  int status = 0;
  std::string body;
};

/// One blocking HTTP/1.1 request with `Connection: close`.
inline http_reply http_request(uint16_t port, const std::string& method,
                        const std::string& target,
                        const std::string& body = {}) {
  asio::io_context io;
  asio::ip::tcp::socket sock{io};
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  // A server that never answers fails the test here instead of hanging it.
  timeval limit{10, 0};
  ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit,
               sizeof limit);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: close\r\nContent-Type: text/plain\r\n"
                    + "Content-Length: " + std::to_string(body.size())
                    + "\r\n\r\n" + body;
  asio::write(sock, asio::buffer(req));
  std::string raw;
  asio::error_code ec;
  char buf[4096];
  for (;;) {
    auto n = sock.read_some(asio::buffer(buf), ec);
    raw.append(buf, n);
    if (ec)
      break;
  }
  http_reply r;
  if (raw.size() > 12)
    r.status = std::stoi(raw.substr(9, 3));
  auto pos = raw.find("\r\n\r\n");
  if (pos != std::string::npos)
    r.body = raw.substr(pos + 4);
  return r;
}

/// A started service with one hub, "test" (anonymous clients allowed),
/// whose handler `install` sets up; `observer` receives what the handler
/// reports.
struct service_fixture {
  /// Sets the hub's handler on the service before it starts.
  using installer = std::function<void(sio::service&, caf::actor observer)>;

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> observer;
  std::unique_ptr<sio::service> svc;
  std::string path = "/clients/socketio/hubs/test/";

  /// Clients here never answer pings: only the ping timeout test uses an
  /// interval short enough to matter, so that a slow (sanitized, loaded)
  /// run of the other tests does not lose its session midway.
  explicit service_fixture(const installer& install, uint32_t ping_ms = 5000) {
    sio::register_message_types(cfg);
    // tests/actors/meson.build runs this suite a second time with actors on
    // the network loop's threads, as sio-server runs them by default.
    if (auto* s = std::getenv("SIO_TEST_SCHEDULER"); s && std::string_view{s} == "asio")
      sio::use_asio_scheduler(cfg, 2);
    else
      cfg.set("scheduler.max-threads", 2);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    observer = std::make_unique<caf::scoped_actor>(*sys);
    sio::config::service_config sc;
    sc.host = "127.0.0.1";
    sc.port = 0;
    sc.ping_interval = ping_ms;
    sc.ping_timeout = ping_ms;
    // The handler's connect verdicts may take 0.1 + 0.1 + 5 s.
    sc.webhook.connect_timeout = 100;
    sc.webhook.response_timeout = 100;
    sio::config::hub_setting hub;
    hub.name = "test";
    hub.allow_anonymous = true;
    sc.hubs.push_back(hub);
    svc = std::make_unique<sio::service>(*sys, sc);
    install(*svc, caf::actor_cast<caf::actor>(*observer));
    svc->start();
  }

  ~service_fixture() {
    svc->stop();
    svc.reset();
    observer.reset();
  }

  uint16_t port() const { return svc->port(); }

  std::string handshake() {
    auto r = http_request(port(), "GET", path + "?EIO=4&transport=polling");
    BOOST_REQUIRE_EQUAL(r.status, 200);
    std::smatch m;
    BOOST_REQUIRE(std::regex_search(r.body, m, std::regex{R"re("sid":"([^"]+)")re"}));
    return m[1];
  }

  http_reply post(const std::string& sid, const std::string& body) {
    return http_request(port(), "POST",
                        path + "?EIO=4&transport=polling&sid=" + sid, body);
  }

  http_reply poll(const std::string& sid) {
    return http_request(port(), "GET",
                        path + "?EIO=4&transport=polling&sid=" + sid);
  }

  template <class T>
  T expect(std::chrono::milliseconds timeout = 3s) {
    T result;
    bool got = false;
    (*observer)->receive(
      [&](T& x) {
        result = std::move(x);
        got = true;
      },
      caf::after(timeout) >> [] {});
    BOOST_REQUIRE_MESSAGE(got, "handler event did not arrive in time");
    return result;
  }

  /// A polling session with the default namespace joined: the handler
  /// has seen its connect and connected events.
  std::string connected_session() {
    auto sid = handshake();
    post(sid, "40");
    expect<sio::connect_event>();
    poll(sid);
    expect<sio::connected_event>();
    return sid;
  }

  /// Polls (at most five times) until the bodies hold `what`; returns them.
  std::string poll_for(const std::string& sid, const std::string& what) {
    std::string got;
    for (int i = 0; i < 5 && got.find(what) == std::string::npos; ++i)
      got += poll(sid).body;
    return got;
  }

  /// A polling session with "/" and "/b" joined: the handler has seen
  /// both connects and both connected events.
  std::string two_namespace_session() {
    auto sid = handshake();
    post(sid, "40\x1e" "40/b,");
    expect<sio::connect_event>();
    expect<sio::connect_event>();
    poll_for(sid, "40/b,");
    expect<sio::connected_event>();
    expect<sio::connected_event>();
    return sid;
  }

  /// The hub learns of a close right after the handler does: waits
  /// (bounded) until it holds no connection and no group.
  void expect_hub_empty() {
    auto s = stats();
    for (int i = 0; i < 100 && (s.connections != 0 || s.groups != 0); ++i) {
      std::this_thread::sleep_for(20ms);
      s = stats();
    }
    BOOST_CHECK_EQUAL(s.connections, 0u);
    BOOST_CHECK_EQUAL(s.groups, 0u);
  }

  sio::hub_stats stats() {
    sio::hub_stats out;
    (*observer)
      ->request(svc->hub("test"), 2s, sio::stats_atom::value)
      .receive([&](sio::hub_stats& s) { out = s; },
               [](caf::error&) { BOOST_FAIL("hub did not answer"); });
    return out;
  }
};

} // namespace sio_test
