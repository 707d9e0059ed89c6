// Tests for lib/http/server.hpp over real loopback sockets: what a peer gets
// when a handler answers, forgets to answer, or hands the exchange to
// another thread that drops it (an actor that ended with the message in its
// mailbox). Every wait is bounded; the server's io_context runs on its thread.
#include "lib/http/loop_pool.hpp"
#include "lib/http/server.hpp"

#include <boost/test/unit_test.hpp>

#include <asio.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace sio::http;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

namespace {

constexpr auto wait_limit = 5s;

/// A server on 127.0.0.1 whose handler is the test's; one I/O thread.
struct running_server {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<server> srv;
  std::thread thread;

  explicit running_server(request_handler handler) {
    server_settings s;
    s.host = "127.0.0.1";
    s.port = 0;
    srv = std::make_unique<server>(io, s, std::move(handler));
    srv->start();
    work.emplace(io.get_executor());
    thread = std::thread{[this] { io.run(); }};
  }

  ~running_server() {
    asio::post(io, [this] { srv->stop(); });
    work.reset();
    io.stop();
    thread.join();
  }
};

/// Sends raw bytes and reads until `responses` complete responses (by
/// Content-Length) arrived, the peer closed, or wait_limit passed.
std::string exchange_raw(uint16_t port, const std::string& bytes,
                         size_t responses = 1) {
  asio::io_context io;
  tcp::socket sock{io};
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(sock, asio::buffer(bytes));
  std::string raw;
  auto complete = [&] {
    size_t pos = 0;
    for (size_t n = 0; n < responses; ++n) {
      auto head_end = raw.find("\r\n\r\n", pos);
      if (head_end == std::string::npos)
        return false;
      auto cl = raw.find("Content-Length: ", pos);
      size_t len = 0;
      if (cl != std::string::npos && cl < head_end)
        len = std::stoul(raw.substr(cl + 16));
      if (raw.size() < head_end + 4 + len)
        return false;
      pos = head_end + 4 + len;
    }
    return true;
  };
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + wait_limit;
  sock.non_blocking(true);
  while (!complete() && std::chrono::steady_clock::now() < deadline) {
    asio::error_code ec;
    auto n = sock.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) {
      std::this_thread::sleep_for(5ms);
      continue;
    }
    raw.append(buf, n);
    if (ec)
      break;
  }
  return raw;
}

std::string get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

/// The executors of `n` connections whose streams the handler takes over,
/// on a server without loops; empty if not all of them arrived in time.
/// `io` is the server's io_context.
std::vector<stream::executor_type> taken_executors(size_t n, asio::io_context** io) {
  std::mutex mtx;
  std::vector<stream::executor_type> executors;
  running_server s{[&](exchange ex) {
    if (auto taken = ex.take_socket()) {
      std::lock_guard<std::mutex> guard{mtx};
      executors.push_back(taken->socket.get_executor());
    }
  }};
  *io = &s.io;
  asio::io_context client_io;
  std::vector<tcp::socket> peers;
  for (size_t i = 0; i < n; ++i) {
    peers.emplace_back(client_io);
    peers.back().connect({asio::ip::make_address("127.0.0.1"), s.srv->port()});
    asio::write(peers.back(), asio::buffer(get("/take")));
  }
  auto deadline = std::chrono::steady_clock::now() + wait_limit;
  for (;;) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (executors.size() >= n)
        return executors;
      if (std::chrono::steady_clock::now() > deadline)
        return {};
    }
    std::this_thread::sleep_for(5ms);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_server)

BOOST_AUTO_TEST_CASE(without_loops_every_connection_is_on_the_servers_io_context) {
  asio::io_context* io = nullptr;
  auto executors = taken_executors(4, &io);
  BOOST_TEST_REQUIRE(executors.size() == 4u);
  // Plain executors compare equal when they name the same io_context (the
  // io_context is gone here: only its address is compared).
  for (auto& ex : executors)
    BOOST_TEST((&ex.context() == io));
}

BOOST_AUTO_TEST_CASE(connections_are_dealt_out_over_the_given_loops) {
  // Three event loops, each run by a thread of its own: the acceptor on the
  // first, the connections dealt out over the other two. Every request is
  // handled on a loop thread, both loops take connections in turn, and the
  // acceptor's thread takes none.
  // Declared first, destroyed last: sockets of these loops may sit in the
  // acceptor's handlers until its loop goes.
  loop_pool pool{3};
  std::mutex mtx;
  std::vector<std::thread::id> handled_on;
  std::atomic<int> on_loop{0};
  server_settings st;
  st.host = "127.0.0.1";
  st.port = 0;
  st.loops = {&pool[1], &pool[2]};
  server* srv_ptr = nullptr;
  auto srv = std::make_unique<server>(pool[0], st, [&](exchange ex) {
    on_loop += srv_ptr->on_loop_thread() ? 1 : 0;
    {
      std::lock_guard<std::mutex> guard{mtx};
      handled_on.push_back(std::this_thread::get_id());
    }
    ex.respond(response::text(200, "ok"));
  });
  srv_ptr = srv.get();
  srv->start();
  pool.start();
  std::vector<std::thread::id> loop_ids(3);
  for (size_t i = 0; i < 3; ++i) {
    std::promise<std::thread::id> id;
    asio::post(pool[i], [&id] { id.set_value(std::this_thread::get_id()); });
    loop_ids[i] = id.get_future().get();
  }
  BOOST_TEST(!srv->on_loop_thread());
  for (int i = 0; i < 6; ++i)
    BOOST_TEST(exchange_raw(srv->port(), get("/x")).rfind("HTTP/1.1 200", 0) == 0);
  {
    std::lock_guard<std::mutex> guard{mtx};
    BOOST_TEST(handled_on.size() == 6u);
    BOOST_TEST(std::count(handled_on.begin(), handled_on.end(), loop_ids[0]) == 0);
    for (size_t i = 1; i < 3; ++i)
      BOOST_TEST(std::count(handled_on.begin(), handled_on.end(), loop_ids[i]) == 3);
  }
  BOOST_TEST(on_loop.load() == 6);
  std::promise<void> stopped;
  asio::post(pool.first(), [&] {
    srv->stop();
    stopped.set_value();
  });
  stopped.get_future().wait();
  pool.stop();
  srv.reset();
}

BOOST_AUTO_TEST_CASE(a_loop_pool_runs_each_loop_on_a_thread_of_its_own) {
  loop_pool pool{3};
  BOOST_TEST(pool.size() == 3u);
  BOOST_TEST(pool.loops().size() == 3u);
  BOOST_TEST(&pool.first() == pool.loops()[0]);
  // Work posted before start() waits for it.
  std::atomic<int> early{0};
  for (size_t i = 0; i < 3; ++i)
    asio::post(pool[i], [&early] { ++early; });
  std::atomic<int> bodies{0};
  pool.start([&bodies](asio::io_context& loop) {
    ++bodies;
    loop.run();
  });
  // Each loop runs on one thread (ten handlers each, always the same one),
  // the threads differ, and loops without work keep running.
  std::this_thread::sleep_for(std::chrono::milliseconds{20});
  std::set<std::thread::id> threads;
  for (size_t i = 0; i < 3; ++i) {
    std::set<std::thread::id> seen;
    for (int k = 0; k < 10; ++k) {
      std::promise<std::thread::id> id;
      asio::post(pool[i], [&id] { id.set_value(std::this_thread::get_id()); });
      auto f = id.get_future();
      BOOST_TEST_REQUIRE((f.wait_for(std::chrono::seconds{5}) == std::future_status::ready));
      seen.insert(f.get());
    }
    BOOST_TEST(seen.size() == 1u);
    BOOST_TEST((*seen.begin() != std::this_thread::get_id()));
    threads.insert(*seen.begin());
  }
  BOOST_TEST(threads.size() == 3u);
  BOOST_TEST(early.load() == 3);
  BOOST_TEST(bodies.load() == 3);
  // stop() joins the threads: nothing runs after it returns.
  pool.stop();
  std::atomic<int> late{0};
  asio::post(pool.first(), [&late] { ++late; });
  std::this_thread::sleep_for(std::chrono::milliseconds{20});
  BOOST_TEST(late.load() == 0);
  pool.stop(); // idempotent
  pool.release();
  BOOST_TEST(pool.size() == 0u);
}

BOOST_AUTO_TEST_CASE(answers_what_the_handler_responds) {
  running_server s{[](exchange ex) {
    ex.respond(response::text(200, "hello " + std::string{ex.req().path()}));
  }};
  auto raw = exchange_raw(s.srv->port(), get("/a"));
  BOOST_CHECK(raw.rfind("HTTP/1.1 200", 0) == 0);
  BOOST_CHECK(raw.find("hello /a") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(connects_wait_in_the_backlog_between_listen_and_accept) {
  // sio::service binds, finishes its set-up, then accepts, while the
  // io_context may already run: a client in between is served afterwards.
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread loop{[&] { io.run(); }};
  server_settings st;
  st.host = "127.0.0.1";
  st.port = 0;
  std::atomic<int> served{0};
  server srv{io, st, [&](exchange ex) {
    ++served;
    ex.respond(response::text(200, "late"));
  }};
  srv.listen();
  std::string raw;
  std::thread client{[&] { raw = exchange_raw(srv.port(), get("/x")); }};
  std::this_thread::sleep_for(200ms);
  BOOST_CHECK_EQUAL(served.load(), 0); // listening, not accepting
  srv.accept();
  client.join();
  BOOST_CHECK_EQUAL(served.load(), 1);
  BOOST_CHECK(raw.find("late") != std::string::npos);
  srv.stop();
  // Stopped: the port refuses new connects at once.
  asio::io_context cio;
  tcp::socket sock{cio};
  asio::error_code ec;
  sock.connect({asio::ip::make_address("127.0.0.1"), srv.port()}, ec);
  BOOST_CHECK(ec == asio::error::connection_refused);
  work.reset();
  loop.join();
}

BOOST_AUTO_TEST_CASE(an_exchange_dropped_unanswered_gets_503_not_silence) {
  running_server s{[](exchange) {}};
  auto raw = exchange_raw(s.srv->port(), get("/forgotten"));
  BOOST_CHECK_MESSAGE(raw.rfind("HTTP/1.1 503", 0) == 0, raw);
  BOOST_CHECK(raw.find(R"("code":"ServiceUnavailable")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_last_copy_dropped_on_another_thread_answers) {
  // Like a message holding the exchange that an ended actor discards.
  std::mutex mtx;
  std::vector<std::thread> droppers;
  {
    running_server s{[&](exchange ex) {
      ex.set_unanswered_response(std::make_shared<const response>(
        response::json(400, R"({"code":1,"message":"Session ID unknown"})")));
      std::lock_guard<std::mutex> g{mtx};
      droppers.emplace_back([copy = ex]() mutable {
        std::this_thread::sleep_for(50ms);
        copy = exchange{};
      });
    }};
    auto raw = exchange_raw(s.srv->port(), get("/late"));
    BOOST_CHECK_MESSAGE(raw.rfind("HTTP/1.1 400", 0) == 0, raw);
    BOOST_CHECK(raw.find("Session ID unknown") != std::string::npos);
    std::lock_guard<std::mutex> g{mtx};
    for (auto& t : droppers)
      t.join();
    droppers.clear();
  }
}

BOOST_AUTO_TEST_CASE(an_answered_exchange_sends_exactly_one_response) {
  // Keep-alive: the second request gets its own answer, and no fallback of
  // the first (answered, then dropped) exchange slips in between.
  running_server s{[](exchange ex) {
    auto copy = ex;
    ex.respond(response::text(200, "for " + std::string{ex.req().path()}));
  }};
  auto raw = exchange_raw(s.srv->port(), get("/one") + get("/two"), 2);
  BOOST_CHECK_MESSAGE(raw.find("HTTP/1.1 200", 1) != std::string::npos, raw);
  BOOST_CHECK(raw.find("for /one") < raw.find("for /two"));
  BOOST_CHECK(raw.find("HTTP/1.1 503") == std::string::npos);
  BOOST_CHECK_EQUAL(raw.find("for /two") + 8, raw.size());
}

BOOST_AUTO_TEST_SUITE_END()
