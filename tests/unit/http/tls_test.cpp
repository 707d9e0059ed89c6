// Tests for TLS in lib/http (stream.hpp, server.hpp, ws_connection.hpp) over
// real loopback sockets: a self-signed certificate made with the openssl CLI
// at test time, an asio::ssl client, and raw TCP clients for the hostile
// cases. Every wait is bounded; the server's io_context runs on its thread.
#include "lib/http/server.hpp"
#include "lib/http/stream.hpp"
#include "lib/http/ws_connection.hpp"
#include "lib/http/ws_handshake.hpp"

#include <boost/test/unit_test.hpp>

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace sio::http;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using tcp = asio::ip::tcp;

namespace {

constexpr milliseconds wait_limit{5000};

/// A temporary directory with cert.pem / key.pem (self-signed, CN=localhost),
/// made once per test run.
struct cert_dir {
  std::string dir;
  std::string cert;
  std::string key;

  cert_dir() {
    char tmpl[] = "/tmp/sio-tls-test-XXXXXX";
    if (!mkdtemp(tmpl))
      throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost"
                      " -days 1 -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
      throw std::runtime_error("openssl req failed (is the openssl CLI installed?)");
  }
  ~cert_dir() {
    std::remove(cert.c_str());
    std::remove(key.c_str());
    rmdir(dir.c_str());
  }
};

const cert_dir& certs() {
  static cert_dir d;
  return d;
}

/// Runs `io` until `done` or the limit; true if done.
bool run_until(asio::io_context& io, const bool& done, milliseconds limit = wait_limit) {
  io.restart();
  auto deadline = steady_clock::now() + limit;
  while (!done && steady_clock::now() < deadline) {
    io.run_one_for(20ms);
    if (io.stopped())
      io.restart();
  }
  return done;
}

/// A server with TLS on 127.0.0.1:0. GET /ws upgrades to a WebSocket that
/// echoes every message; every other request gets "hello <path>".
struct tls_server {
  asio::io_context io;
  std::unique_ptr<server> srv;
  std::thread thread;
  std::shared_ptr<ws_connection> ws;  // touched on the I/O thread only

  explicit tls_server(milliseconds request_timeout = milliseconds{10000}) {
    server_settings s;
    s.host = "127.0.0.1";
    s.port = 0;
    s.request_timeout = request_timeout;
    s.tls = {certs().cert, certs().key};
    srv = std::make_unique<server>(io, s, [this](exchange ex) { handle(ex); });
    srv->start();
    thread = std::thread{[this] { io.run(); }};
  }
  ~tls_server() {
    asio::post(io, [this] {
      srv->stop();
      if (ws)
        ws->close(1001, "bye");
      ws.reset();
    });
    // Connections die with their peers; stop() after a moment regardless.
    std::this_thread::sleep_for(50ms);
    io.stop();
    thread.join();
  }
  uint16_t port() const { return srv->port(); }

  void handle(const exchange& ex) {
    if (ex.req().path() != "/ws") {
      ex.respond(response::text(200, "hello " + std::string{ex.req().path()}));
      return;
    }
    auto* key = ex.req().find_header("Sec-WebSocket-Key");
    auto taken = ex.take_socket();
    if (!taken || !key)
      return;
    auto head = make_ws_101_response(ws_accept_key(*key), {});
    asio::error_code ec;
    taken->socket.write(asio::buffer(head), ec);
    if (ec)
      return;
    ws = ws_connection::make(std::move(taken->socket), ws_limits{});
    std::weak_ptr<ws_connection> weak = ws;
    ws->start({[weak](std::string&& data, bool binary) {
                 if (auto c = weak.lock())
                   c->send(std::make_shared<const std::string>(std::move(data)), binary);
               },
               [](uint16_t, std::string) {}},
              std::move(taken->leftover));
  }
};

/// A client on its own io_context; every operation is bounded.
template <class Stream>
struct client_base {
  /// Writes all of `data`.
  static bool send(asio::io_context& io, Stream& s, const std::string& data) {
    bool done = false;
    asio::error_code e;
    asio::async_write(s, asio::buffer(data), [&](asio::error_code ec, size_t) {
      e = ec;
      done = true;
    });
    return run_until(io, done) && !e;
  }

  /// Reads once, appending to `out`; `e` is the read's error. False on timeout.
  static bool read_some_more(asio::io_context& io, Stream& s, std::string& out,
                             asio::error_code& e) {
    bool done = false;
    std::array<char, 4096> buf;
    s.async_read_some(asio::buffer(buf), [&](asio::error_code ec, size_t n) {
      out.append(buf.data(), n);
      e = ec;
      done = true;
    });
    return run_until(io, done);
  }

  /// Reads until `out` contains `what`; false on timeout or end of stream.
  static bool read_until(asio::io_context& io, Stream& s, std::string& out,
                         const std::string& what) {
    asio::error_code e;
    while (out.find(what) == std::string::npos) {
      if (!read_some_more(io, s, out, e) || e)
        return false;
    }
    return true;
  }

  /// Reads until the stream ends; false on timeout.
  static bool read_to_end(asio::io_context& io, Stream& s, std::string& out) {
    asio::error_code e;
    while (!e)
      if (!read_some_more(io, s, out, e))
        return false;
    return true;
  }
};

struct tls_client : client_base<asio::ssl::stream<tcp::socket>> {
  asio::io_context io;
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  asio::ssl::stream<tcp::socket> s{io, ctx};

  /// Connects and completes the TLS handshake (the certificate is not
  /// checked: it is self-signed).
  bool connect(uint16_t port) {
    asio::error_code e;
    s.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port}, e);
    if (e)
      return false;
    bool done = false;
    s.async_handshake(asio::ssl::stream_base::client, [&](asio::error_code ec) {
      e = ec;
      done = true;
    });
    return run_until(io, done) && !e;
  }
  bool send(const std::string& d) { return client_base::send(io, s, d); }
  bool read_until(std::string& out, const std::string& what) {
    return client_base::read_until(io, s, out, what);
  }
  bool read_to_end(std::string& out) { return client_base::read_to_end(io, s, out); }
};

struct tcp_client : client_base<tcp::socket> {
  asio::io_context io;
  tcp::socket s{io};

  bool connect(uint16_t port) {
    asio::error_code e;
    s.connect({asio::ip::make_address("127.0.0.1"), port}, e);
    return !e;
  }
  bool send(const std::string& d) { return client_base::send(io, s, d); }
  bool read_to_end(std::string& out) { return client_base::read_to_end(io, s, out); }
};

/// One masked client frame (payload < 64 KiB uses the 16-bit length).
std::string masked_frame(uint8_t opcode, const std::string& payload) {
  const uint8_t key[4] = {0x0A, 0x1B, 0x2C, 0x3D};
  std::string out;
  out.push_back(static_cast<char>(0x80 | opcode));
  size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int sh = 56; sh >= 0; sh -= 8)
      out.push_back(static_cast<char>((static_cast<uint64_t>(n) >> sh) & 0xFF));
  }
  out.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < n; ++i)
    out.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  return out;
}

/// Parses one unmasked server frame at the front of `buf`; false if incomplete.
bool take_frame(std::string& buf, uint8_t& opcode, std::string& payload) {
  if (buf.size() < 2)
    return false;
  auto b = [&](size_t i) { return static_cast<uint8_t>(buf[i]); };
  size_t len = b(1) & 0x7F;
  size_t at = 2;
  if (len == 126) {
    if (buf.size() < 4)
      return false;
    len = (size_t{b(2)} << 8) | b(3);
    at = 4;
  } else if (len == 127) {
    if (buf.size() < 10)
      return false;
    len = 0;
    for (size_t i = 2; i < 10; ++i)
      len = (len << 8) | b(i);
    at = 10;
  }
  if (buf.size() < at + len)
    return false;
  opcode = b(0) & 0x0F;
  payload = buf.substr(at, len);
  buf.erase(0, at + len);
  return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(an_https_request_on_a_kept_alive_tls_connection_is_answered) {
  tls_server srv;
  tls_client c;
  BOOST_REQUIRE(c.connect(srv.port()));
  std::string got;
  BOOST_REQUIRE(c.send("GET /one HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  BOOST_REQUIRE(c.read_until(got, "hello /one"));
  BOOST_CHECK_EQUAL(got.rfind("HTTP/1.1 200", 0), 0u);
  got.clear();
  BOOST_REQUIRE(c.send("GET /two HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  BOOST_REQUIRE(c.read_to_end(got));
  BOOST_CHECK_EQUAL(got.rfind("HTTP/1.1 200", 0), 0u);
  BOOST_CHECK_NE(got.find("hello /two"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bad_request_over_tls_gets_its_400_before_the_close) {
  tls_server srv;
  tls_client c;
  BOOST_REQUIRE(c.connect(srv.port()));
  BOOST_REQUIRE(c.send("GARBAGE\x01\x02 / HTTP/1.1\r\n\r\n"));
  std::string got;
  BOOST_REQUIRE(c.read_to_end(got));
  BOOST_CHECK_EQUAL(got.rfind("HTTP/1.1 400", 0), 0u);
  BOOST_CHECK_NE(got.find("BadRequest"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(plain_http_on_the_tls_port_gets_a_plain_400_and_the_server_goes_on) {
  tls_server srv;
  {
    tcp_client p;
    BOOST_REQUIRE(p.connect(srv.port()));
    BOOST_REQUIRE(p.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    std::string got;
    BOOST_REQUIRE(p.read_to_end(got));
    BOOST_CHECK_EQUAL(got.rfind("HTTP/1.1 400", 0), 0u);
    BOOST_CHECK_NE(got.find("TLS port"), std::string::npos);
  }
  tls_client c;
  BOOST_REQUIRE(c.connect(srv.port()));
  std::string got;
  BOOST_REQUIRE(c.send("GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  BOOST_REQUIRE(c.read_until(got, "hello /after"));
}

BOOST_AUTO_TEST_CASE(a_peer_that_never_finishes_the_handshake_is_dropped_after_the_request_timeout) {
  tls_server srv{milliseconds{300}};
  tcp_client stalled;
  BOOST_REQUIRE(stalled.connect(srv.port()));
  BOOST_REQUIRE(stalled.send("\x16\x03\x01")); // the start of a record, then nothing
  auto t0 = steady_clock::now();
  // Another client is served meanwhile.
  tls_client c;
  BOOST_REQUIRE(c.connect(srv.port()));
  std::string got;
  BOOST_REQUIRE(c.send("GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  BOOST_REQUIRE(c.read_until(got, "hello /other"));
  std::string rest;
  BOOST_REQUIRE(stalled.read_to_end(rest));
  auto waited = steady_clock::now() - t0;
  BOOST_CHECK(rest.empty());
  BOOST_CHECK(waited >= 250ms);
  BOOST_CHECK(waited < 3s);
}

BOOST_AUTO_TEST_CASE(a_websocket_over_tls_echoes_small_and_large_messages) {
  tls_server srv;
  tls_client c;
  BOOST_REQUIRE(c.connect(srv.port()));
  // The first frame rides in the same write as the request head: it reaches
  // the WebSocket as the taken stream's leftover bytes.
  BOOST_REQUIRE(c.send("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
                       + masked_frame(0x1, "first")));
  std::string buf;
  BOOST_REQUIRE(c.read_until(buf, "\r\n\r\n"));
  BOOST_CHECK_EQUAL(buf.rfind("HTTP/1.1 101", 0), 0u);
  BOOST_CHECK_NE(buf.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos);
  buf.erase(0, buf.find("\r\n\r\n") + 4);
  std::string big(200000, 'x');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  BOOST_REQUIRE(c.send(masked_frame(0x1, "second") + masked_frame(0x2, big)));
  std::vector<std::pair<uint8_t, std::string>> frames;
  auto deadline = steady_clock::now() + wait_limit;
  while (frames.size() < 3 && steady_clock::now() < deadline) {
    uint8_t op = 0;
    std::string payload;
    while (take_frame(buf, op, payload))
      frames.emplace_back(op, std::move(payload));
    if (frames.size() >= 3)
      break;
    asio::error_code e;
    BOOST_REQUIRE(client_base<asio::ssl::stream<tcp::socket>>::read_some_more(c.io, c.s, buf, e));
    BOOST_REQUIRE(!e);
  }
  BOOST_REQUIRE_EQUAL(frames.size(), 3u);
  BOOST_CHECK_EQUAL(frames[0].first, 0x1);
  BOOST_CHECK_EQUAL(frames[0].second, "first");
  BOOST_CHECK_EQUAL(frames[1].second, "second");
  BOOST_CHECK_EQUAL(frames[2].first, 0x2);
  BOOST_CHECK(frames[2].second == big);
  // A close frame is answered with a close frame, then the end of stream.
  BOOST_REQUIRE(c.send(masked_frame(0x8, std::string{"\x03\xe8", 2})));
  std::string rest = buf;
  BOOST_REQUIRE(c.read_to_end(rest));
  uint8_t op = 0;
  std::string payload;
  BOOST_REQUIRE(take_frame(rest, op, payload));
  BOOST_CHECK_EQUAL(op, 0x8);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_over_tls_gets_close_1007_then_the_end_of_stream) {
  tls_server srv;
  tls_client c;
  BOOST_REQUIRE(c.connect(srv.port()));
  BOOST_REQUIRE(c.send("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
  std::string buf;
  BOOST_REQUIRE(c.read_until(buf, "\r\n\r\n"));
  buf.erase(0, buf.find("\r\n\r\n") + 4);
  // The server closes first: its close frame, then a half-close (EOF), which
  // the client's reads see without waiting for the 5 s close timeout.
  auto t0 = steady_clock::now();
  BOOST_REQUIRE(c.send(masked_frame(0x1, "bad \xc3\x28 utf-8")));
  BOOST_REQUIRE(c.read_to_end(buf));
  BOOST_CHECK(steady_clock::now() - t0 < 3s);
  uint8_t op = 0;
  std::string payload;
  BOOST_REQUIRE(take_frame(buf, op, payload));
  BOOST_CHECK_EQUAL(op, 0x8);
  BOOST_REQUIRE_GE(payload.size(), 2u);
  BOOST_CHECK_EQUAL((static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]), 1007);
}

BOOST_AUTO_TEST_CASE(a_missing_certificate_file_stops_start_naming_the_file) {
  asio::io_context io;
  server_settings s;
  s.host = "127.0.0.1";
  s.port = 0;
  s.tls = {"/nonexistent/sio-cert.pem", certs().key};
  server srv{io, s, [](exchange) {}};
  try {
    srv.start();
    BOOST_FAIL("start() did not throw");
  } catch (const std::runtime_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_CHECK_NE(std::string{e.what()}.find("/nonexistent/sio-cert.pem"), std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_key_or_a_wrong_key_stops_start_naming_the_file) {
  std::string junk = certs().dir + "/junk.pem";
  {
    std::ofstream out{junk};
    out << "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n";
  }
  try {
    make_tls_server_context({certs().cert, junk});
    BOOST_FAIL("no error for a junk key");
  } catch (const std::runtime_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_CHECK_NE(std::string{e.what()}.find(junk), std::string::npos);
  }
  try {
    make_tls_server_context({junk, certs().key});
    BOOST_FAIL("no error for a junk certificate");
  } catch (const std::runtime_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_CHECK_NE(std::string{e.what()}.find(junk), std::string::npos);
  }
  std::remove(junk.c_str());
  // A valid key that belongs to another certificate.
  std::string other = certs().dir + "/other.pem";
  std::string cmd = "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "
                    + other + " >/dev/null 2>&1";
  BOOST_REQUIRE_EQUAL(std::system(cmd.c_str()), 0);
  try {
    make_tls_server_context({certs().cert, other});
    BOOST_FAIL("no error for a key of another certificate");
  } catch (const std::runtime_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_CHECK_NE(std::string{e.what()}.find("does not match"), std::string::npos);
  }
  std::remove(other.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
