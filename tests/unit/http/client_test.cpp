// Tests for lib/http/client.hpp against a tiny Asio server in this file on
// 127.0.0.1: keep-alive reuse, timeouts, the response size limit, an
// upstream that closes idle connections, the wait queue bound, URL errors.
// Every wait is bounded; client and server run on their own threads.
#include "lib/http/client.hpp"

#include <boost/test/unit_test.hpp>

#include <asio.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace sio::http;
using namespace std::chrono_literals;

namespace {

constexpr auto wait_limit = 10s;

/// What the test server does with one request.
struct reply_plan {
  std::string response;                    ///< raw bytes to write
  std::chrono::milliseconds delay{0};      ///< before writing
  bool close_after = false;                ///< close right after writing
  std::chrono::milliseconds close_idle{-1};  ///< close this long after writing
  bool never = false;                      ///< never answer
};

std::string ok(const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size())
         + "\r\n" + extra + "\r\n" + body;
}

/// A tiny HTTP/1.1 server: reads head + Content-Length body, answers with
/// whatever `plan` says. Counts accepted connections and requests.
class test_server {
public:
  explicit test_server(std::function<reply_plan(const std::string&)> plan)
    : plan_(std::move(plan)),
      acceptor_(io_, asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread{[this] { io_.run(); }};
  }
  ~test_server() {
    asio::post(io_, [this] {
      asio::error_code ec;
      acceptor_.close(ec);
      for (auto& s : sockets_)
        s->close(ec);
    });
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& path = "/x") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
  int accepted() const { return accepted_; }
  int requests() const { return requests_; }
  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> g{mtx_};
    return seen_;
  }

private:
  using socket_ptr = std::shared_ptr<asio::ip::tcp::socket>;
  struct conn_state {
    socket_ptr sock;
    std::string buf;
    std::array<char, 4096> chunk;
  };

  void accept() {
    acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket s) {
      if (ec)
        return;
      ++accepted_;
      auto c = std::make_shared<conn_state>();
      c->sock = std::make_shared<asio::ip::tcp::socket>(std::move(s));
      sockets_.push_back(c->sock);
      read(c);
      accept();
    });
  }

  void read(std::shared_ptr<conn_state> c) {
    // A complete request in the buffer?
    auto head_end = c->buf.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t len = 0;
      auto cl = c->buf.find("Content-Length: ");
      if (cl != std::string::npos && cl < head_end)
        len = std::stoul(c->buf.substr(cl + 16));
      if (c->buf.size() >= head_end + 4 + len) {
        auto req = c->buf.substr(0, head_end + 4 + len);
        c->buf.erase(0, head_end + 4 + len);
        ++requests_;
        {
          std::lock_guard<std::mutex> g{mtx_};
          seen_.push_back(req);
        }
        answer(c, plan_(req));
        return;
      }
    }
    c->sock->async_read_some(asio::buffer(c->chunk),
                             [this, c](asio::error_code ec, size_t n) {
                               if (ec)
                                 return;
                               c->buf.append(c->chunk.data(), n);
                               read(c);
                             });
  }

  void answer(std::shared_ptr<conn_state> c, reply_plan p) {
    if (p.never) {
      read(c);
      return;
    }
    auto t = std::make_shared<asio::steady_timer>(io_, p.delay);
    t->async_wait([this, c, p, t](asio::error_code) {
      auto data = std::make_shared<std::string>(p.response);
      asio::async_write(*c->sock, asio::buffer(*data),
                        [this, c, p, data](asio::error_code ec, size_t) {
                          if (ec)
                            return;
                          asio::error_code ignored;
                          if (p.close_after) {
                            c->sock->close(ignored);
                            return;
                          }
                          if (p.close_idle.count() >= 0) {
                            auto t2 = std::make_shared<asio::steady_timer>(io_, p.close_idle);
                            t2->async_wait([c, t2](asio::error_code) {
                              asio::error_code ignored2;
                              c->sock->close(ignored2);
                            });
                          }
                          read(c);
                        });
    });
  }

  std::function<reply_plan(const std::string&)> plan_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<socket_ptr> sockets_;
  std::thread thread_;
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::mutex mtx_;
  std::vector<std::string> seen_;
};

/// The client side: its own io_context on a thread.
struct client_fixture {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{
    io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  std::unique_ptr<client> cl;

  explicit client_fixture(client_settings s = {}) {
    cl = std::make_unique<client>(io, s);
  }
  ~client_fixture() {
    cl.reset();
    work.reset();
    // The client's close jobs run and its I/O ends: run() returns by
    // itself (bounded: stopped by force after 2 s).
    auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!io.stopped() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    io.stop();
    thread.join();
  }

  std::future<client_result> send(client_request req) {
    auto p = std::make_shared<std::promise<client_result>>();
    auto f = p->get_future();
    cl->send(std::move(req), [p](client_result r) { p->set_value(std::move(r)); });
    return f;
  }

  client_result call(client_request req) {
    auto f = send(std::move(req));
    BOOST_REQUIRE(f.wait_for(wait_limit) == std::future_status::ready);
    return f.get();
  }
};

client_request post(const std::string& url, std::string body = "hi") {
  client_request r;
  r.method = "POST";
  r.url = url;
  r.headers = {{"Content-Type", "text/plain"}, {"ce-id", "1"}};
  r.body = std::move(body);
  return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(client_test)

BOOST_AUTO_TEST_CASE(parse_url_splits_and_rejects) {
  auto u = parse_url("http://127.0.0.1:7071/api/{x}?code=1");
  BOOST_REQUIRE(u);
  BOOST_TEST(u->host == "127.0.0.1");
  BOOST_TEST(u->port == 7071);
  BOOST_TEST(u->target == "/api/{x}?code=1");
  BOOST_TEST(u->origin() == "127.0.0.1:7071");
  auto d = parse_url("HTTP://Example.com");
  BOOST_REQUIRE(d);
  BOOST_TEST(d->port == 80);
  BOOST_TEST(d->target == "/");
  auto v6 = parse_url("http://[::1]:8080/a");
  BOOST_REQUIRE(v6);
  BOOST_TEST(v6->host == "::1");
  BOOST_TEST(v6->origin() == "[::1]:8080");
  BOOST_TEST(!parse_url("ftp://x/"));
  BOOST_TEST(!parse_url("http://u:p@x/"));
  BOOST_TEST(!parse_url("http://x:99999/"));
  BOOST_TEST(!parse_url("http://x/a b"));
  BOOST_TEST(!parse_url("/relative"));
  BOOST_TEST(!parse_url("http://x/#frag"));
}

BOOST_AUTO_TEST_CASE(sends_headers_and_body_and_reads_the_response) {
  test_server srv{[](const std::string&) {
    return reply_plan{"HTTP/1.1 201 Created\r\nX-A: 1\r\nx-a:  2 \r\n"
                      "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"};
  }};
  client_fixture c;
  auto r = c.call(post(srv.url("/p?q=1"), "payload"));
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.status == 201);
  BOOST_TEST(r.body == "abc");
  BOOST_REQUIRE(r.headers.size() == 3u);
  BOOST_TEST(r.headers[1].second == "2");
  BOOST_REQUIRE(r.find_header("x-a"));
  BOOST_TEST(*r.find_header("x-a") == "1");
  auto seen = srv.seen();
  BOOST_REQUIRE(seen.size() == 1u);
  auto expected = "POST /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:"
                  + std::to_string(srv.port())
                  + "\r\nContent-Type: text/plain\r\nce-id: 1\r\n"
                    "Content-Length: 7\r\n\r\npayload";
  BOOST_TEST(seen[0] == expected);
}

BOOST_AUTO_TEST_CASE(writes_only_headers_that_cannot_split_the_request) {
  test_server srv{[](const std::string&) { return reply_plan{ok("x")}; }};
  client_fixture c;
  auto req = post(srv.url("/h"), "b");
  req.headers = {{"Host", "evil"},
                 {"content-length", "99"},
                 {"TRANSFER-ENCODING", "chunked"},
                 {"Connection", "close"},
                 {"X-Split", "a\r\nInjected: 1"},
                 {"Bad Name", "x"},
                 {"", "x"},
                 {"X-Ok", "fine"}};
  BOOST_TEST(c.call(std::move(req)).status == 200);
  auto seen = srv.seen();
  BOOST_REQUIRE(seen.size() == 1u);
  BOOST_TEST(seen[0]
             == "POST /h HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(srv.port())
                  + "\r\nX-Ok: fine\r\nContent-Length: 1\r\n\r\nb");
}

BOOST_AUTO_TEST_CASE(refuses_a_method_that_is_not_a_token) {
  test_server srv{[](const std::string&) { return reply_plan{ok("x")}; }};
  client_fixture c;
  for (std::string m : {"", "PO ST", "GET\r\nX: y"}) {
    auto req = post(srv.url());
    req.method = m;
    auto r = c.call(std::move(req));
    BOOST_TEST(r.status == 0);
    BOOST_TEST(static_cast<int>(r.code) == static_cast<int>(client_error::bad_url));
  }
  BOOST_TEST(srv.accepted() == 0);
}

BOOST_AUTO_TEST_CASE(urls_of_one_origin_share_its_pool_each_with_its_own_target) {
  // Routes are worked out once per URL: repeated and interleaved URLs must
  // keep their own path and query, and one origin's URLs one connection.
  test_server srv{[](const std::string&) { return reply_plan{ok("x")}; }};
  client_fixture c;
  std::vector<std::string> paths{"/a", "/b?x=1", "/a", "/c/%20", "/b?x=1"};
  for (auto& path : paths)
    BOOST_TEST(c.call(post(srv.url(path), "")).status == 200);
  auto seen = srv.seen();
  BOOST_REQUIRE(seen.size() == paths.size());
  for (size_t i = 0; i < paths.size(); ++i)
    BOOST_TEST(seen[i].rfind("POST " + paths[i] + " HTTP/1.1\r\n", 0) == 0u);
  BOOST_TEST(srv.accepted() == 1);
}

BOOST_AUTO_TEST_CASE(reuses_a_keep_alive_connection) {
  test_server srv{[](const std::string& req) {
    return reply_plan{ok(req.substr(req.size() - 2))};
  }};
  client_fixture c;
  for (int i = 0; i < 5; ++i) {
    auto r = c.call(post(srv.url(), "n" + std::to_string(i)));
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.body == "n" + std::to_string(i));
  }
  BOOST_TEST(srv.accepted() == 1);
  BOOST_TEST(c.cl->stats().connections_opened == 1u);
}

BOOST_AUTO_TEST_CASE(parallel_requests_open_parallel_connections_up_to_the_bound) {
  test_server srv{[](const std::string&) {
    reply_plan p{ok("x")};
    p.delay = 100ms;
    return p;
  }};
  client_settings s;
  s.max_connections_per_origin = 3;
  client_fixture c{s};
  std::vector<std::future<client_result>> fs;
  for (int i = 0; i < 9; ++i)
    fs.push_back(c.send(post(srv.url())));
  for (auto& f : fs) {
    BOOST_REQUIRE(f.wait_for(wait_limit) == std::future_status::ready);
    BOOST_TEST(f.get().status == 200);
  }
  BOOST_TEST(srv.accepted() == 3);
}

BOOST_AUTO_TEST_CASE(times_out_a_silent_upstream) {
  test_server srv{[](const std::string&) { return reply_plan{"", 0ms, false, -1ms, true}; }};
  client_settings s;
  s.response_timeout = 200ms;
  client_fixture c{s};
  auto t0 = std::chrono::steady_clock::now();
  auto r = c.call(post(srv.url()));
  auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(r.status == 0);
  BOOST_TEST(static_cast<int>(r.code) == static_cast<int>(client_error::timeout));
  BOOST_TEST(r.error == "no response within 200 ms");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  BOOST_TEST(ms >= 190);
  BOOST_TEST(ms < 3000);
}

BOOST_AUTO_TEST_CASE(refuses_a_response_over_the_size_limit) {
  test_server srv{[](const std::string& req) {
    if (req.find("chunked") != std::string::npos) {
      std::string chunk(1000, 'c');
      std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (int i = 0; i < 20; ++i)
        out += "3e8\r\n" + chunk + "\r\n";
      out += "0\r\n\r\n";
      return reply_plan{out};
    }
    return reply_plan{ok(std::string(5000, 'x'))};
  }};
  client_settings s;
  s.max_response_size = 4096;
  client_fixture c{s};
  auto r = c.call(post(srv.url()));
  BOOST_TEST(r.status == 0);
  BOOST_TEST(static_cast<int>(r.code) == static_cast<int>(client_error::too_large));
  auto r2 = c.call(post(srv.url(), "chunked"));
  BOOST_TEST(r2.status == 0);
  BOOST_TEST(static_cast<int>(r2.code) == static_cast<int>(client_error::too_large));
}

BOOST_AUTO_TEST_CASE(survives_an_upstream_that_closes_idle_connections) {
  // Like Node's keepAliveTimeout: the upstream closes an idle connection
  // shortly after answering, without "Connection: close".
  test_server srv{[](const std::string&) {
    reply_plan p{ok("fine")};
    p.close_idle = 30ms;
    return p;
  }};
  client_fixture c;
  for (int i = 0; i < 4; ++i) {
    auto r = c.call(post(srv.url()));
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.error == "");
    std::this_thread::sleep_for(120ms);
  }
  BOOST_TEST(srv.accepted() == 4);
}

BOOST_AUTO_TEST_CASE(retries_once_when_the_kept_connection_died_before_sending) {
  // The upstream closes right after each answer: the close races the next
  // request, which must still succeed (detected before or at the write).
  test_server srv{[](const std::string&) {
    reply_plan p{ok("again")};
    p.close_after = true;
    return p;
  }};
  client_fixture c;
  for (int i = 0; i < 10; ++i) {
    auto r = c.call(post(srv.url()));
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.body == "again");
    std::this_thread::sleep_for(5ms);
  }
  BOOST_TEST(srv.requests() == 10);
}

BOOST_AUTO_TEST_CASE(reports_queue_full_beyond_the_bound) {
  test_server srv{[](const std::string&) {
    reply_plan p{ok("slow")};
    p.delay = 300ms;
    return p;
  }};
  client_settings s;
  s.max_connections_per_origin = 1;
  s.max_queued_requests = 2;
  client_fixture c{s};
  std::vector<std::future<client_result>> fs;
  for (int i = 0; i < 4; ++i)
    fs.push_back(c.send(post(srv.url())));
  // The 4th: 1 in flight + 2 queued before it.
  BOOST_REQUIRE(fs[3].wait_for(200ms) == std::future_status::ready);
  auto full = fs[3].get();
  BOOST_TEST(full.status == 0);
  BOOST_TEST(static_cast<int>(full.code) == static_cast<int>(client_error::queue_full));
  BOOST_TEST(full.error.rfind("queue full", 0) == 0u);
  for (int i = 0; i < 3; ++i) {
    BOOST_REQUIRE(fs[i].wait_for(wait_limit) == std::future_status::ready);
    BOOST_TEST(fs[i].get().status == 200);
  }
  BOOST_TEST(srv.accepted() == 1);
}

BOOST_AUTO_TEST_CASE(reports_unreachable_and_unsupported_upstreams) {
  client_fixture c;
  // A port nobody listens on: bind one, then close it.
  uint16_t port;
  {
    asio::io_context tmp;
    asio::ip::tcp::acceptor a{tmp, {asio::ip::make_address("127.0.0.1"), 0}};
    port = a.local_endpoint().port();
  }
  auto r = c.call(post("http://127.0.0.1:" + std::to_string(port) + "/"));
  BOOST_TEST(r.status == 0);
  BOOST_TEST(static_cast<int>(r.code) == static_cast<int>(client_error::unreachable));
  BOOST_TEST(r.error.find("cannot connect to 127.0.0.1:") == 0u);
  auto s = c.call(post("https://127.0.0.1/"));
  BOOST_TEST(s.error == "https upstreams not supported yet");
  auto b = c.call(post("not a url"));
  BOOST_TEST(static_cast<int>(b.code) == static_cast<int>(client_error::bad_url));
}

BOOST_AUTO_TEST_CASE(resolves_localhost_asynchronously) {
  test_server srv{[](const std::string&) { return reply_plan{ok("named")}; }};
  client_fixture c;
  auto r = c.call(post("http://localhost:" + std::to_string(srv.port()) + "/"));
  // localhost may resolve to ::1 first; async_connect tries every address.
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "named");
}

BOOST_AUTO_TEST_CASE(fails_pending_requests_when_destroyed) {
  test_server srv{[](const std::string&) { return reply_plan{"", 0ms, false, -1ms, true}; }};
  auto c = std::make_unique<client_fixture>();
  auto f = c->send(post(srv.url()));
  std::this_thread::sleep_for(100ms);
  c->cl.reset();
  BOOST_REQUIRE(f.wait_for(wait_limit) == std::future_status::ready);
  auto r = f.get();
  BOOST_TEST(static_cast<int>(r.code) == static_cast<int>(client_error::closed));
  c.reset();
}

BOOST_AUTO_TEST_CASE(outlives_its_io_context_safely) {
  // An owner (an actor) may destroy its client after the io_context is gone.
  test_server srv{[](const std::string&) { return reply_plan{ok("x")}; }};
  auto io = std::make_unique<asio::io_context>();
  auto cl = std::make_unique<client>(*io);
  std::promise<client_result> p;
  auto f = p.get_future();
  cl->send(post(srv.url()), [&p](client_result r) { p.set_value(std::move(r)); });
  std::thread t{[&io] {
    auto work = asio::make_work_guard(*io);
    io->run_for(std::chrono::milliseconds{500});
  }};
  BOOST_REQUIRE(f.wait_for(wait_limit) == std::future_status::ready);
  BOOST_TEST(f.get().status == 200);  // leaves an idle pooled connection
  t.join();
  io.reset();
  bool called = false;
  cl->send(post(srv.url()), [&called](client_result r) {
    called = r.code == client_error::closed;
  });
  BOOST_TEST(called);
  cl.reset();
}

BOOST_AUTO_TEST_SUITE_END()
