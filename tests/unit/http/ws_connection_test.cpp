// Tests for lib/http/ws_connection.hpp over real loopback sockets: a raw
// client writes masked frames by hand and reads the server's frames. Every
// wait is bounded; the server's io_context runs on a thread of its own.
#include "lib/http/ws_connection.hpp"

#include <boost/test/unit_test.hpp>

#include <asio.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace sio::http;
using namespace std::chrono_literals;
using namespace std::string_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

constexpr auto wait_limit = 5s;

// -- a client written by hand, independent of lib/http's encoder --------------

/// One masked client frame; `len_override` lets a test lie about the length.
std::string client_frame(uint8_t opcode, std::string_view payload, bool fin = true,
                         bool masked = true) {
  const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  uint8_t m = masked ? 0x80 : 0;
  size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(m | n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(m | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(m | 127));
    for (int s = 56; s >= 0; s -= 8)
      out.push_back(static_cast<char>((static_cast<uint64_t>(n) >> s) & 0xFF));
  }
  if (masked)
    out.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < n; ++i)
    out.push_back(static_cast<char>(payload[i] ^ (masked ? key[i % 4] : 0)));
  return out;
}

std::string close_body(uint16_t code, std::string_view reason = {}) {
  std::string out{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  out.append(reason);
  return out;
}

struct server_frame {
  uint8_t opcode = 0;
  bool fin = false;
  std::string payload;
  uint16_t close_code() const {
    return payload.size() >= 2 ? static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8)
                                                        | static_cast<uint8_t>(payload[1]))
                               : 0;
  }
  std::string close_reason() const { return payload.size() > 2 ? payload.substr(2) : ""; }
};

/// Blocking POSIX client with poll()-bounded reads.
class raw_client {
 public:
  explicit raw_client(uint16_t port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_TEST_REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~raw_client() { close(); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

  /// Aborts the connection with an RST.
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close();
  }

  bool write(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  /// Reads exactly n bytes; false on EOF, error or timeout.
  bool read_exact(std::string& out, size_t n, milliseconds timeout = wait_limit) {
    auto deadline = steady_clock::now() + timeout;
    out.resize(n);
    size_t got = 0;
    while (got < n) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return false;
      auto r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0)
        return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }

  std::optional<server_frame> read_frame(milliseconds timeout = wait_limit) {
    std::string h;
    if (!read_exact(h, 2, timeout))
      return std::nullopt;
    server_frame f;
    auto b0 = static_cast<uint8_t>(h[0]);
    auto b1 = static_cast<uint8_t>(h[1]);
    f.fin = (b0 & 0x80) != 0;
    f.opcode = b0 & 0x0F;
    BOOST_TEST((b0 & 0x70) == 0);
    BOOST_TEST((b1 & 0x80) == 0, "server frames are never masked");
    uint64_t len = b1 & 0x7F;
    if (len >= 126) {
      std::string ext;
      if (!read_exact(ext, len == 126 ? 2 : 8, timeout))
        return std::nullopt;
      len = 0;
      for (char c : ext)
        len = (len << 8) | static_cast<uint8_t>(c);
    }
    if (!read_exact(f.payload, static_cast<size_t>(len), timeout))
      return std::nullopt;
    return f;
  }

  /// True once the server closed its side (recv returns 0 or an error).
  bool wait_eof(milliseconds timeout = wait_limit) {
    auto deadline = steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return false;
      if (::recv(fd_, buf, sizeof buf, 0) <= 0)
        return true;
    }
  }

 private:
  int fd_ = -1;
};

// -- server side ----------------------------------------------------------------

/// What the callbacks saw, with bounded waits.
struct recorder {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<std::string, bool>> messages;
  int closed_count = 0;
  uint16_t code = 0;
  std::string reason;
  bool message_after_close = false;

  ws_connection::callbacks callbacks(std::weak_ptr<ws_connection> echo_to = {}) {
    ws_connection::callbacks cbs;
    cbs.on_message = [this, echo_to](std::string&& data, bool binary) {
      if (auto c = echo_to.lock())
        c->send(std::make_shared<const std::string>(data), binary);
      std::lock_guard<std::mutex> g{m};
      message_after_close = message_after_close || closed_count > 0;
      messages.emplace_back(std::move(data), binary);
      cv.notify_all();
    };
    cbs.on_closed = [this](uint16_t c, std::string r) {
      std::lock_guard<std::mutex> g{m};
      ++closed_count;
      code = c;
      reason = std::move(r);
      cv.notify_all();
    };
    return cbs;
  }

  bool wait_messages(size_t n, milliseconds timeout = wait_limit) {
    std::unique_lock<std::mutex> g{m};
    return cv.wait_for(g, timeout, [&] { return messages.size() >= n; });
  }

  bool wait_closed(milliseconds timeout = wait_limit) {
    std::unique_lock<std::mutex> g{m};
    return cv.wait_for(g, timeout, [&] { return closed_count > 0; });
  }

  bool is_closed() {
    std::lock_guard<std::mutex> g{m};
    return closed_count > 0;
  }
};

/// Current resident set size of this process in KiB.
long vm_rss_kib() {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

/// An event loop on its own thread (as the server runs them: one thread
/// per io_context, which serialises each connection's handlers) plus a
/// loopback acceptor.
struct server_fixture {
  recorder rec; // declared first: outlives every handler that refers to it
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  std::thread thread{[this] { io.run(); }};

  ~server_fixture() {
    work.reset();
    io.stop();
    thread.join();
  }

  uint16_t port() const { return acceptor.local_endpoint().port(); }

  /// Occupies the I/O thread (all I/O) until the returned
  /// promise is set or destroyed (a failed check still frees it).
  std::promise<void> hold_io_thread() {
    std::promise<void> release;
    auto released = release.get_future().share();
    asio::post(io, [released] { released.wait(); });
    return release;
  }

  /// Accepts the client's connection and starts an echoing ws_connection.
  std::shared_ptr<ws_connection> accept(ws_limits limits = {}, bool echo = true,
                                        std::string initial = {}) {
    auto conn = ws_connection::make(acceptor.accept(), limits);
    conn->start(rec.callbacks(echo ? conn : std::weak_ptr<ws_connection>{}), std::move(initial));
    return conn;
  }
};

/// Named apart for the tests that hold the loop's only thread.
using single_thread_fixture = server_fixture;

/// Expects a close frame with `code`, answers it, and expects EOF.
void expect_close(raw_client& client, uint16_t code) {
  for (;;) {
    auto f = client.read_frame();
    BOOST_TEST_REQUIRE(f.has_value());
    if (f->opcode != 0x8)
      continue; // echoes or pongs sent before the close
    BOOST_TEST(f->close_code() == code);
    client.write(client_frame(0x8, f->payload.substr(0, 2)));
    break;
  }
  BOOST_TEST(client.wait_eof());
  client.close(); // as browsers do once the server's FIN arrived
}

} // namespace

BOOST_AUTO_TEST_SUITE(ws_connection_test)

BOOST_FIXTURE_TEST_CASE(text_and_binary_messages_are_echoed, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  std::string all_bytes;
  for (int i = 0; i < 256; ++i)
    all_bytes.push_back(static_cast<char>(i));
  std::string big(200000, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 7);
  client.write(client_frame(0x1, "Hello") + client_frame(0x2, all_bytes));
  client.write(client_frame(0x2, big));

  auto f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->opcode == 0x1);
  BOOST_TEST(f->fin);
  BOOST_TEST(f->payload == "Hello");
  f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->opcode == 0x2);
  BOOST_TEST(f->payload == all_bytes);
  f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->opcode == 0x2);
  BOOST_TEST(f->payload.size() == big.size());
  BOOST_TEST((f->payload == big));

  BOOST_TEST_REQUIRE(rec.wait_messages(3));
  BOOST_TEST(rec.messages[0].first == "Hello");
  BOOST_TEST(!rec.messages[0].second);
  BOOST_TEST(rec.messages[1].second);
}

BOOST_FIXTURE_TEST_CASE(fragmented_message_is_reassembled_around_a_ping, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  // "€" is split across the fragments: validation must run across them.
  client.write(client_frame(0x1, "Hel", false) + client_frame(0x9, "mid") +
               client_frame(0x0, "lo \xE2\x82", false));
  client.write(client_frame(0x0, "\xAC", true));
  auto pong = client.read_frame();
  BOOST_TEST_REQUIRE(pong.has_value());
  BOOST_TEST(pong->opcode == 0xA);
  BOOST_TEST(pong->payload == "mid");
  auto echo = client.read_frame();
  BOOST_TEST_REQUIRE(echo.has_value());
  BOOST_TEST(echo->payload == "Hello \xE2\x82\xAC");
  BOOST_TEST_REQUIRE(rec.wait_messages(1));
  BOOST_TEST(rec.messages.size() == 1u);
  BOOST_TEST(rec.messages[0].first == "Hello \xE2\x82\xAC");
}

BOOST_FIXTURE_TEST_CASE(ping_is_answered_with_a_pong_carrying_the_same_payload, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  client.write(client_frame(0x9, "") + client_frame(0x9, std::string(125, 'p')));
  auto p1 = client.read_frame();
  auto p2 = client.read_frame();
  BOOST_TEST_REQUIRE((p1 && p2));
  BOOST_TEST(p1->opcode == 0xA);
  BOOST_TEST(p1->payload.empty());
  BOOST_TEST(p2->opcode == 0xA);
  BOOST_TEST(p2->payload == std::string(125, 'p'));
  BOOST_TEST(rec.messages.empty());
}

BOOST_FIXTURE_TEST_CASE(client_close_is_echoed_and_reported, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  client.write(client_frame(0x8, close_body(1000, "bye")));
  auto f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->opcode == 0x8);
  BOOST_TEST(f->close_code() == 1000);
  BOOST_TEST(client.wait_eof());
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1000);
  BOOST_TEST(rec.reason == "bye");
}

BOOST_FIXTURE_TEST_CASE(empty_client_close_is_echoed_empty_and_reported_as_1005, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  client.write(client_frame(0x8, ""));
  auto f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->opcode == 0x8);
  BOOST_TEST(f->payload.empty());
  BOOST_TEST(client.wait_eof());
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1005);
}

BOOST_FIXTURE_TEST_CASE(server_close_follows_queued_frames_and_waits_for_the_echo,
                        server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  conn->send(std::make_shared<const std::string>("last words"), false);
  conn->close(1001, "going away");
  conn->send(std::make_shared<const std::string>("too late"), false);
  auto f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->payload == "last words");
  f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->opcode == 0x8);
  BOOST_TEST(f->close_code() == 1001);
  BOOST_TEST(f->close_reason() == "going away");
  BOOST_TEST(!rec.is_closed()); // still waiting for our echo
  client.write(client_frame(0x8, close_body(1001)));
  BOOST_TEST(client.wait_eof());
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1001);
  BOOST_TEST(rec.reason == "going away");
}

BOOST_FIXTURE_TEST_CASE(close_without_an_answer_times_out, server_fixture) {
  raw_client client{port()};
  ws_limits limits;
  limits.close_timeout = 200ms;
  auto conn = accept(limits);
  auto t0 = steady_clock::now();
  conn->close(1000, "");
  auto f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->close_code() == 1000);
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1000);
  BOOST_TEST((steady_clock::now() - t0 >= 150ms));
}

BOOST_FIXTURE_TEST_CASE(one_giant_frame_header_closes_1009_without_allocating, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  long before = vm_rss_kib();
  // 14 bytes claiming 1 GiB of masked binary payload.
  client.write("\x82\xFF\x00\x00\x00\x00\x40\x00\x00\x00\x12\x34\x56\x78"s);
  expect_close(client, 1009);
  BOOST_TEST_REQUIRE(rec.wait_closed());
  long after = vm_rss_kib();
  BOOST_TEST(rec.code == 1009);
  BOOST_TEST_REQUIRE(before > 0);
  BOOST_TEST(after - before < 10 * 1024, "VmRSS grew by " << (after - before) << " KiB");
}

BOOST_FIXTURE_TEST_CASE(fragments_over_the_limit_close_1009, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  std::string part(600000, 'x');
  // Written from another thread: the server must keep draining after failing.
  auto writer = std::async(std::launch::async, [&] {
    return client.write(client_frame(0x1, part, false) + client_frame(0x0, part, true));
  });
  expect_close(client, 1009);
  BOOST_TEST(writer.get());
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1009);
  BOOST_TEST(rec.messages.empty());
}

BOOST_FIXTURE_TEST_CASE(a_message_of_exactly_the_limit_is_delivered, server_fixture) {
  raw_client client{port()};
  ws_limits limits;
  limits.max_message_size = 100000;
  auto conn = accept(limits, false);
  std::string part(50000, 'y');
  client.write(client_frame(0x2, part, false) + client_frame(0x0, part, true));
  BOOST_TEST_REQUIRE(rec.wait_messages(1));
  BOOST_TEST(rec.messages[0].first.size() == 100000u);
  client.write(client_frame(0x2, part + part + "!"));
  expect_close(client, 1009);
}

BOOST_FIXTURE_TEST_CASE(too_many_fragments_close_1009, server_fixture) {
  raw_client client{port()};
  ws_limits limits;
  limits.max_fragments = 4;
  auto conn = accept(limits);
  std::string wire = client_frame(0x1, "a", false);
  for (int i = 0; i < 4; ++i)
    wire += client_frame(0x0, "a", false);
  client.write(wire);
  expect_close(client, 1009);
}

BOOST_FIXTURE_TEST_CASE(unmasked_frame_closes_1002, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  client.write(client_frame(0x1, "Hello", true, false));
  expect_close(client, 1002);
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1002);
  BOOST_TEST(rec.reason == "client frame is not masked");
}

BOOST_FIXTURE_TEST_CASE(reserved_opcode_closes_1002, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  client.write(client_frame(0x3, "x"));
  expect_close(client, 1002);
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1002);
}

BOOST_FIXTURE_TEST_CASE(one_byte_close_payload_closes_1002, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  client.write(client_frame(0x8, "\x03"));
  auto f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->close_code() == 1002);
  BOOST_TEST(client.wait_eof());
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1002);
}

BOOST_FIXTURE_TEST_CASE(invalid_utf8_text_closes_1007, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  client.write(client_frame(0x1, "ok"));
  auto echo = client.read_frame();
  BOOST_TEST_REQUIRE(echo.has_value());
  BOOST_TEST(echo->payload == "ok");
  client.write(client_frame(0x1, "bad \xED\xA0\x80 surrogate"));
  expect_close(client, 1007);
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1007);
  BOOST_TEST(rec.messages.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(text_ending_inside_a_code_point_closes_1007, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  client.write(client_frame(0x1, "cut \xE2\x82"));
  expect_close(client, 1007);
}

BOOST_FIXTURE_TEST_CASE(slow_consumer_is_closed_with_1008, server_fixture) {
  raw_client client{port(), 4096}; // never reads
  ws_limits limits;
  limits.max_write_queue_bytes = 256 * 1024;
  limits.close_timeout = 200ms;
  auto conn = accept(limits);
  auto chunk = std::make_shared<const std::string>(16 * 1024, 'z');
  auto deadline = steady_clock::now() + wait_limit;
  size_t sent = 0;
  while (!rec.is_closed() && steady_clock::now() < deadline) {
    conn->send(chunk, true);
    if (++sent % 64 == 0)
      std::this_thread::sleep_for(1ms);
  }
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1008);
  BOOST_TEST(rec.reason == "write queue full");
  BOOST_TEST(rec.closed_count == 1);
  BOOST_TEST(conn->queued_bytes() == 0u);
}

BOOST_FIXTURE_TEST_CASE(ping_flood_from_a_non_reader_is_bounded, server_fixture) {
  raw_client client{port(), 4096};
  ws_limits limits;
  limits.max_write_queue_bytes = 64 * 1024;
  limits.close_timeout = 200ms;
  auto conn = accept(limits);
  std::string ping = client_frame(0x9, std::string(125, 'f'));
  std::string burst;
  for (int i = 0; i < 200; ++i)
    burst += ping;
  auto deadline = steady_clock::now() + wait_limit;
  while (!rec.is_closed() && steady_clock::now() < deadline)
    if (!client.write(burst))
      break;
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1008);
}

BOOST_FIXTURE_TEST_CASE(send_from_other_threads_keeps_per_thread_order, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  constexpr int n_threads = 4;
  constexpr int per_thread = 250;
  std::vector<std::thread> senders;
  for (int t = 0; t < n_threads; ++t)
    senders.emplace_back([&conn, t] {
      for (int k = 0; k < per_thread; ++k)
        conn->send(std::make_shared<const std::string>(std::to_string(t) + ":" + std::to_string(k)),
                   false);
    });
  for (auto& s : senders)
    s.join();
  std::vector<int> next(n_threads, 0);
  for (int i = 0; i < n_threads * per_thread; ++i) {
    auto f = client.read_frame();
    BOOST_TEST_REQUIRE(f.has_value());
    auto colon = f->payload.find(':');
    int t = std::stoi(f->payload.substr(0, colon));
    int k = std::stoi(f->payload.substr(colon + 1));
    BOOST_TEST_REQUIRE(k == next[static_cast<size_t>(t)]);
    ++next[static_cast<size_t>(t)];
  }
}

BOOST_FIXTURE_TEST_CASE(queued_sends_leave_in_one_gather_write, single_thread_fixture) {
  raw_client client{port()};
  // Hold the only io thread before the connection starts, so that every
  // send below is queued (a started, idle connection would write each one
  // directly).
  auto release = hold_io_thread();
  auto conn = accept();
  auto payload = std::make_shared<const std::string>("batched");
  for (int i = 0; i < 1000; ++i)
    conn->send(payload, i % 2 == 1);
  release.set_value();
  for (int i = 0; i < 1000; ++i) {
    auto f = client.read_frame();
    BOOST_TEST_REQUIRE(f.has_value());
    BOOST_TEST_REQUIRE(f->opcode == (i % 2 == 1 ? 0x2 : 0x1));
    BOOST_TEST_REQUIRE(f->payload == "batched");
  }
  // All 1000 leave in one gather write (two if the first was cut short).
  BOOST_TEST(conn->write_calls() <= 2u);
  // The bytes can reach the client before the write's completion handler ran.
  auto deadline = steady_clock::now() + wait_limit;
  while (conn->queued_bytes() != 0 && steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  BOOST_TEST(conn->queued_bytes() == 0u);
}

BOOST_FIXTURE_TEST_CASE(send_on_an_idle_connection_is_written_without_the_io_thread,
                        single_thread_fixture) {
  raw_client client{port()};
  auto conn = accept();
  // A round trip first, so that the connection has started.
  BOOST_TEST_REQUIRE(client.write(client_frame(0x1, "hi")));
  auto echo = client.read_frame();
  BOOST_TEST_REQUIRE(echo.has_value());
  // The echo's bytes can arrive before its writer counted the write.
  auto deadline = steady_clock::now() + wait_limit;
  while (conn->write_calls() == 0 && steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  // Hold the only io thread: a send that needed it would not arrive.
  auto release = hold_io_thread();
  auto calls = conn->write_calls();
  conn->send(std::make_shared<const std::string>("direct"), false);
  auto f = client.read_frame(2000ms);
  release.set_value();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->payload == "direct");
  BOOST_TEST(conn->write_calls() == calls + 1);
  BOOST_TEST(conn->queued_bytes() == 0u);
}

BOOST_FIXTURE_TEST_CASE(batched_sends_on_a_started_connection_leave_together,
                        single_thread_fixture) {
  raw_client client{port()};
  auto conn = accept();
  BOOST_TEST_REQUIRE(client.write(client_frame(0x1, "hi")));
  BOOST_TEST_REQUIRE(client.read_frame().has_value());
  auto deadline = steady_clock::now() + wait_limit;
  while (conn->write_calls() == 0 && steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  auto calls = conn->write_calls();
  auto release = hold_io_thread();
  auto payload = std::make_shared<const std::string>("fan-out");
  for (int i = 0; i < 100; ++i)
    conn->send(payload, false, ws_connection::write_policy::batched);
  // Batched frames wait for the I/O thread...
  BOOST_TEST(!client.read_frame(200ms).has_value());
  release.set_value();
  // ...and then leave in one gather write.
  for (int i = 0; i < 100; ++i) {
    auto f = client.read_frame();
    BOOST_TEST_REQUIRE(f.has_value());
    BOOST_TEST_REQUIRE(f->payload == "fan-out");
  }
  BOOST_TEST(conn->write_calls() == calls + 1);
}

BOOST_FIXTURE_TEST_CASE(a_direct_write_cut_short_is_finished_before_later_frames,
                        server_fixture) {
  raw_client client{port(), 4096}; // reads only after everything is sent
  ws_limits limits;
  limits.max_write_queue_bytes = 64 << 20;
  auto conn = accept(limits);
  BOOST_TEST_REQUIRE(client.write(client_frame(0x1, "hi")));
  BOOST_TEST_REQUIRE(client.read_frame().has_value());
  // Far more than the socket buffers hold: the direct write stops part
  // way, and the rest must leave before the frames sent after it.
  std::string big(8 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096)
    big[i] = static_cast<char>('a' + (i / 4096) % 26);
  conn->send(std::make_shared<const std::string>(big), true);
  BOOST_TEST(conn->queued_bytes() > 0u);
  for (int k = 0; k < 50; ++k)
    conn->send(std::make_shared<const std::string>("after " + std::to_string(k)), false);
  auto f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST(f->opcode == 0x2);
  BOOST_TEST_REQUIRE(f->payload.size() == big.size());
  BOOST_TEST((f->payload == big));
  for (int k = 0; k < 50; ++k) {
    f = client.read_frame();
    BOOST_TEST_REQUIRE(f.has_value());
    BOOST_TEST_REQUIRE(f->payload == "after " + std::to_string(k));
  }
}

BOOST_FIXTURE_TEST_CASE(initial_bytes_are_parsed_before_the_socket, server_fixture) {
  raw_client client{port()};
  std::string wire = client_frame(0x1, "first") + client_frame(0x1, "second");
  auto conn = accept({}, true, wire.substr(0, 12)); // "first" + 1 byte of the next header
  client.write(wire.substr(12));
  BOOST_TEST_REQUIRE(rec.wait_messages(2));
  BOOST_TEST(rec.messages[0].first == "first");
  BOOST_TEST(rec.messages[1].first == "second");
}

BOOST_FIXTURE_TEST_CASE(peer_reset_reports_1006_exactly_once, server_fixture) {
  auto client = std::make_unique<raw_client>(port());
  auto conn = accept();
  client->write(client_frame(0x1, "hi"));
  BOOST_TEST_REQUIRE(rec.wait_messages(1));
  client->reset();
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1006);
  conn->close(1000, "after the fact");
  conn->send(std::make_shared<const std::string>("nobody listens"), false);
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(rec.closed_count == 1);
  BOOST_TEST(!rec.message_after_close);
}

BOOST_FIXTURE_TEST_CASE(dropping_all_references_keeps_it_alive_until_closed, server_fixture) {
  raw_client client{port()};
  std::weak_ptr<ws_connection> weak;
  {
    auto conn = accept({}, false);
    weak = conn;
  }
  client.write(client_frame(0x1, "still here"));
  BOOST_TEST_REQUIRE(rec.wait_messages(1));
  BOOST_TEST(!weak.expired());
  client.close();
  BOOST_TEST_REQUIRE(rec.wait_closed());
  BOOST_TEST(rec.code == 1006);
  auto deadline = steady_clock::now() + wait_limit;
  while (!weak.expired() && steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  BOOST_TEST(weak.expired()); // no handler left holding it
}

BOOST_FIXTURE_TEST_CASE(set_callbacks_redirects_later_messages, server_fixture) {
  raw_client client{port()};
  auto conn = accept({}, false);
  client.write(client_frame(0x1, "one"));
  BOOST_TEST_REQUIRE(rec.wait_messages(1));
  recorder other;
  conn->set_callbacks(other.callbacks());
  client.write(client_frame(0x1, "two"));
  BOOST_TEST_REQUIRE(other.wait_messages(1));
  BOOST_TEST(other.messages[0].first == "two");
  BOOST_TEST(rec.messages.size() == 1u);
  client.write(client_frame(0x8, close_body(1000)));
  BOOST_TEST_REQUIRE(other.wait_closed());
  BOOST_TEST(!rec.is_closed());
}

/// Sends `text` and expects it echoed.
void round_trip(raw_client& client, const std::string& text) {
  BOOST_TEST_REQUIRE(client.write(client_frame(0x1, text)));
  auto f = client.read_frame();
  BOOST_TEST_REQUIRE(f.has_value());
  BOOST_TEST_REQUIRE(f->payload == text);
}

/// Waits until the connection has started more than `n` readiness waits.
bool waits_exceed(const ws_connection& conn, uint32_t n) {
  auto deadline = steady_clock::now() + wait_limit;
  while (conn.readiness_waits() <= n && steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  return conn.readiness_waits() > n;
}

BOOST_FIXTURE_TEST_CASE(only_a_busy_connection_reads_without_readiness_waits, server_fixture) {
  raw_client client{port()};
  auto conn = accept();
  // Messages further apart than the busy gap: every read waits first (and
  // the connection holds no read buffer between them).
  for (int i = 0; i < 3; ++i) {
    auto before = conn->readiness_waits();
    std::this_thread::sleep_for(150ms);
    round_trip(client, "slow " + std::to_string(i));
    BOOST_TEST(waits_exceed(*conn, before), "slow message " << i);
  }
  // Back-to-back round trips: after the first, reads go into the
  // connection's own buffer with no wait in between (20 would be 20 waits).
  auto before = conn->readiness_waits();
  for (int i = 0; i < 20; ++i)
    round_trip(client, "busy " + std::to_string(i));
  BOOST_TEST(conn->readiness_waits() - before <= 2u);
  // A quiet gap: the next read gives the buffer back and waits again...
  std::this_thread::sleep_for(1200ms);
  before = conn->readiness_waits();
  round_trip(client, "after a pause");
  BOOST_TEST(waits_exceed(*conn, before));
  // ...until it is busy again.
  before = conn->readiness_waits();
  for (int i = 0; i < 20; ++i)
    round_trip(client, "busy again " + std::to_string(i));
  BOOST_TEST(conn->readiness_waits() - before <= 2u);
  // Bursts larger than the busy buffer, frames split across its end.
  std::string wire;
  std::vector<std::string> sent;
  for (int i = 0; i < 200; ++i) {
    sent.push_back("burst " + std::to_string(i) + std::string(static_cast<size_t>(i % 40), 'x'));
    wire += client_frame(0x1, sent.back());
  }
  BOOST_TEST_REQUIRE(wire.size() > 4 * 1024u);
  BOOST_TEST_REQUIRE(client.write(wire));
  for (const auto& text : sent) {
    auto f = client.read_frame();
    BOOST_TEST_REQUIRE(f.has_value());
    BOOST_TEST_REQUIRE(f->payload == text);
  }
}

BOOST_FIXTURE_TEST_CASE(random_sizes_in_random_pieces_round_trip, server_fixture) {
  // Crosses every boundary: headers split between reads, payloads that fit
  // the inline buffer or go straight into the message, 16- and 64-bit lengths.
  raw_client client{port()};
  auto conn = accept();
  std::minstd_rand rng{12345};
  const size_t sizes[] = {0, 1, 125, 126, 255, 256, 257, 65535, 65536, 70001};
  std::vector<std::string> sent;
  std::string wire;
  for (int i = 0; i < 120; ++i) {
    size_t size = sizes[rng() % std::size(sizes)] + rng() % 3;
    std::string payload(size, '\0');
    for (auto& c : payload)
      c = static_cast<char>('a' + rng() % 26);
    if (i % 3 == 0 && size > 4) { // some as two fragments with a ping between
      size_t cut = size / 2;
      wire += client_frame(0x1, std::string_view{payload}.substr(0, cut), false);
      wire += client_frame(0x9, "p");
      wire += client_frame(0x0, std::string_view{payload}.substr(cut), true);
    } else {
      wire += client_frame(i % 2 ? 0x2 : 0x1, payload);
    }
    sent.push_back(std::move(payload));
  }
  auto writer = std::async(std::launch::async, [&] {
    std::minstd_rand wrng{777};
    for (size_t pos = 0; pos < wire.size();) {
      size_t n = std::min<size_t>(wire.size() - pos, 1 + wrng() % 3000);
      if (!client.write(std::string_view{wire}.substr(pos, n)))
        return false;
      pos += n;
    }
    return true;
  });
  size_t got = 0;
  while (got < sent.size()) {
    auto f = client.read_frame();
    BOOST_TEST_REQUIRE(f.has_value());
    if (f->opcode == 0xA)
      continue;
    BOOST_TEST_REQUIRE(f->payload == sent[got], "message " << got);
    ++got;
  }
  BOOST_TEST(writer.get());
  // The reads went straight into the busy connection's own buffer: one
  // wait before the first (~60 if every read waited; a quiet second in a
  // slow run would cost one more).
  BOOST_TEST(conn->readiness_waits() <= 10u);
}

BOOST_AUTO_TEST_SUITE_END()
