// bench/load_client.cpp
// sio-bench-client: a light Socket.IO v4 load generator for scripts/bench.
// Thousands of raw WebSocket clients (Engine.IO v4, transport=websocket) in
// one single-threaded Asio process, framed with the library's own
// lib/http/ws_frame. Driven by line commands on stdin; answers JSON lines.
//
//   sio-bench-client --port P --path /clients/socketio/hubs/bench/ --base 0
//
// Commands (one per line):
//   connect N CONC   open N more clients, at most CONC handshakes in flight
//   join             every client emits ["join","r<(base+i)/10>"] with ack
//   sids             print the Engine.IO session ids (REST connection ids)
//   reset            zero the receive counter and latency samples
//   stats            print counters, latency percentiles and own CPU time
//   wait N MS        print stats once N events arrived (or after MS)
//   echo K MS        K clients emit ["e",t] with ack in a closed loop for MS
//   quit
//
// Received events must carry a CLOCK_REALTIME microsecond timestamp as their
// first argument (42["ev",T,...]); latency = receipt time - T.

#include "lib/http/ws_frame.hpp"

#include <asio.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using asio::ip::tcp;
namespace http = sio::http;

/// Wall-clock microseconds (comparable across processes on one machine).
int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// Own user+system CPU time in milliseconds (is the generator a bottleneck?).
int64_t cpu_ms() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/// Latency samples in microseconds; percentiles on demand.
struct samples {
  std::vector<int64_t> v;
  int64_t pct(double p) {
    if (v.empty())
      return -1;
    size_t k = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
    std::nth_element(v.begin(), v.begin() + k, v.end());
    return v[k];
  }
  int64_t max() const {
    return v.empty() ? -1 : *std::max_element(v.begin(), v.end());
  }
};

struct app;

/// One WebSocket Socket.IO client.
struct client {
  enum class phase { connecting, upgrading, opening, joined, closed };
  client(app& a, asio::io_context& io, size_t idx) : owner(a), sock(io), index(idx) {}
  app& owner;
  tcp::socket sock;
  size_t index;
  phase state = phase::connecting;
  std::string sid;           ///< Engine.IO sid (REST connection id)
  std::string hs;            ///< HTTP response bytes until the header end
  http::ws_frame_parser parser{http::ws_parser_limits{16u << 20, 1024, false}};
  bool in_payload = false;
  uint64_t remaining = 0;
  std::string payload;       ///< current frame payload
  std::string message;       ///< current (possibly fragmented) message
  std::array<char, 2048> ibuf{}; ///< what one readiness reads first
  std::string outq;          ///< frames waiting for the current write
  std::string inflight;      ///< frames being written
  bool writing = false;
  // closed-loop ack emitter (echo / join)
  bool echoing = false;
  uint32_t next_ack = 0;
  std::chrono::steady_clock::time_point sent_at;

  void start(const tcp::endpoint& ep);
  void read_more();
  void on_bytes(const char* data, size_t len);
  void on_frame();
  void on_message(const std::string& m);
  void send_text(std::string_view text);
  void send_control(http::ws_opcode op, std::string_view payload);
  void flush();
  void fail();
  void emit_echo();
};

struct app {
  // One thread does all socket I/O: the reactor needs no locks (the stdin
  // thread only posts, which keeps the scheduler's lock).
  asio::io_context io{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  tcp::endpoint ep;
  std::string host = "127.0.0.1";
  std::string path = "/clients/socketio/hubs/bench/";
  size_t base = 0;
  std::vector<std::unique_ptr<client>> clients;
  std::array<uint8_t, 4> mask{{0x37, 0xfa, 0x21, 0x3d}};
  std::vector<char> rbuf = std::vector<char>(1 << 16);

  // connect bookkeeping
  size_t to_start = 0, in_flight = 0, conc = 1, finished_target = 0;
  size_t ok = 0, failed = 0, closed = 0;
  int64_t connect_t0 = 0;
  bool connect_pending = false;

  // receive accounting
  uint64_t recv = 0;
  int64_t last_us = 0;
  samples lat;

  // echo accounting
  bool echo_on = false;
  uint64_t acks = 0;
  samples ack_lat;
  size_t join_pending = 0;
  bool joining = false;

  asio::steady_timer timer{io};

  void out(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  void launch_some() {
    while (to_start > 0 && in_flight < conc) {
      --to_start;
      ++in_flight;
      clients.push_back(std::make_unique<client>(*this, io, clients.size()));
      clients.back()->start(ep);
    }
  }

  /// A client finished its handshake (ok) or failed before it.
  void handshake_done(bool success) {
    --in_flight;
    (success ? ok : failed) += 1;
    launch_some();
    if (connect_pending && ok + failed >= finished_target) {
      connect_pending = false;
      char b[200];
      std::snprintf(b, sizeof b,
                    R"({"ev":"connected","ok":%zu,"failed":%zu,"ms":%.1f,"cpu_ms":%lld})",
                    ok, failed, (now_us() - connect_t0) / 1000.0,
                    static_cast<long long>(cpu_ms()));
      out(b);
    }
  }

  std::string stats_json(const char* ev) {
    size_t live = 0;
    for (auto& c : clients)
      live += c->state == client::phase::joined;
    char b[400];
    std::snprintf(b, sizeof b,
                  R"({"ev":"%s","live":%zu,"closed":%zu,"recv":%llu,"p50":%lld,"p99":%lld,"max":%lld,"last_us":%lld,"cpu_ms":%lld})",
                  ev, live, closed, static_cast<unsigned long long>(recv),
                  static_cast<long long>(lat.pct(0.5)),
                  static_cast<long long>(lat.pct(0.99)),
                  static_cast<long long>(lat.max()),
                  static_cast<long long>(last_us),
                  static_cast<long long>(cpu_ms()));
    return b;
  }

  void wait_for(uint64_t n, std::chrono::steady_clock::time_point deadline) {
    if (recv >= n || std::chrono::steady_clock::now() >= deadline) {
      out(stats_json("wait"));
      return;
    }
    timer.expires_after(std::chrono::milliseconds(2));
    timer.async_wait([this, n, deadline](const asio::error_code&) {
      wait_for(n, deadline);
    });
  }

  void command(const std::string& line) {
    char cmd[32] = {0};
    unsigned long long a = 0, b = 0;
    int n = std::sscanf(line.c_str(), "%31s %llu %llu", cmd, &a, &b);
    if (n < 1)
      return;
    std::string c = cmd;
    if (c == "connect" && n == 3) {
      connect_t0 = now_us();
      if (a == 0) {
        out(R"({"ev":"connected","ok":0,"failed":0,"ms":0})");
        return;
      }
      to_start += a;
      conc = std::max<size_t>(1, b);
      finished_target = ok + failed + to_start + in_flight;
      connect_pending = true;
      launch_some();
    } else if (c == "join") {
      joining = true;
      join_pending = 0;
      for (auto& cl : clients)
        if (cl->state == client::phase::joined) {
          ++join_pending;
          char m[64];
          std::snprintf(m, sizeof m, R"(42%u["join","r%zu"])", ++cl->next_ack,
                        (base + cl->index) / 10);
          cl->send_text(m);
        }
      if (join_pending == 0) {
        joining = false;
        out(R"({"ev":"joined","n":0})");
      }
    } else if (c == "sids") {
      std::string s = R"({"ev":"sids","sids":[)";
      for (size_t i = 0; i < clients.size(); ++i) {
        if (i)
          s += ',';
        s += '"';
        s += clients[i]->state == client::phase::joined ? clients[i]->sid : "";
        s += '"';
      }
      s += "]}";
      out(s);
    } else if (c == "reset") {
      recv = 0;
      last_us = 0;
      lat.v.clear();
      out(R"({"ev":"reset"})");
    } else if (c == "stats") {
      out(stats_json("stats"));
    } else if (c == "wait" && n == 3) {
      wait_for(a, std::chrono::steady_clock::now() + std::chrono::milliseconds(b));
    } else if (c == "echo" && n == 3) {
      acks = 0;
      ack_lat.v.clear();
      echo_on = true;
      size_t k = 0;
      for (auto& cl : clients) {
        if (k >= a)
          break;
        if (cl->state != client::phase::joined)
          continue;
        cl->echoing = true;
        cl->emit_echo();
        ++k;
      }
      int64_t t0 = now_us();
      int64_t c0 = cpu_ms();
      timer.expires_after(std::chrono::milliseconds(b));
      timer.async_wait([this, k, t0, c0](const asio::error_code&) {
        echo_on = false;
        for (auto& cl : clients)
          cl->echoing = false;
        double secs = (now_us() - t0) / 1e6;
        char buf[300];
        std::snprintf(buf, sizeof buf,
                      R"({"ev":"echo","clients":%zu,"acks":%llu,"secs":%.3f,"p50":%lld,"p99":%lld,"max":%lld,"cpu_ms":%lld})",
                      k, static_cast<unsigned long long>(acks), secs,
                      static_cast<long long>(ack_lat.pct(0.5)),
                      static_cast<long long>(ack_lat.pct(0.99)),
                      static_cast<long long>(ack_lat.max()),
                      static_cast<long long>(cpu_ms() - c0));
        out(buf);
      });
    } else if (c == "quit") {
      std::fflush(stdout);
      std::_Exit(0);
    } else {
      out(R"({"ev":"error","what":"unknown command"})");
    }
  }
};

void client::start(const tcp::endpoint& ep) {
  sock.async_connect(ep, [this](const asio::error_code& ec) {
    if (ec) {
      fail();
      return;
    }
    asio::error_code ig;
    sock.set_option(tcp::no_delay(true), ig);
    sock.non_blocking(true, ig);
    state = phase::upgrading;
    std::string req = "GET " + owner.path
                      + "?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + owner.host
                      + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n";
    outq += req;
    flush();
    read_more();
  });
}

void client::read_more() {
  // async_read_some, not async_wait: Asio re-arms epoll (epoll_ctl) for
  // every wait, while a pending read stays registered (edge-triggered).
  // That system call was 7 % of the generator's time in the echo scenario,
  // and the generator shares the 2 cores with the server it measures.
  sock.async_read_some(asio::buffer(ibuf), [this](const asio::error_code& ec, size_t n) {
    if (state == phase::closed)
      return;
    if (ec || n == 0) {
      fail();
      return;
    }
    on_bytes(ibuf.data(), n);
    // A full buffer: drain the rest without waiting again.
    for (bool more = n == ibuf.size(); more && state != phase::closed;) {
      asio::error_code rec;
      n = sock.read_some(asio::buffer(owner.rbuf), rec);
      if (rec == asio::error::would_block || rec == asio::error::try_again)
        break;
      if (rec || n == 0) {
        fail();
        return;
      }
      on_bytes(owner.rbuf.data(), n);
      more = n == owner.rbuf.size();
    }
    if (state != phase::closed)
      read_more();
  });
}

void client::on_bytes(const char* data, size_t len) {
  if (state == phase::upgrading) {
    hs.append(data, len);
    auto end = hs.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (hs.size() > 8192)
        fail();
      return;
    }
    if (hs.compare(0, 12, "HTTP/1.1 101") != 0) {
      fail();
      return;
    }
    state = phase::opening;
    std::string rest = hs.substr(end + 4);
    hs.clear();
    hs.shrink_to_fit();
    if (!rest.empty())
      on_bytes(rest.data(), rest.size());
    return;
  }
  while (len > 0 && state != phase::closed) {
    if (!in_payload) {
      auto r = parser.parse_header({data, len});
      data += r.consumed;
      len -= r.consumed;
      if (r.status == http::ws_parse_status::need_more)
        return;
      if (r.status == http::ws_parse_status::invalid) {
        fail();
        return;
      }
      in_payload = true;
      remaining = parser.header().payload_size;
      payload.clear();
    } else {
      size_t take = static_cast<size_t>(std::min<uint64_t>(remaining, len));
      payload.append(data, take);
      data += take;
      len -= take;
      remaining -= take;
    }
    if (in_payload && remaining == 0) {
      in_payload = false;
      on_frame();
    }
  }
}

void client::on_frame() {
  auto op = parser.header().opcode;
  if (op == http::ws_opcode::ping) {
    send_control(http::ws_opcode::pong, payload);
    return;
  }
  if (op == http::ws_opcode::pong)
    return;
  if (op == http::ws_opcode::close) {
    fail();
    return;
  }
  message += payload;
  if (!parser.ends_message())
    return;
  if (parser.message_opcode() == http::ws_opcode::text)
    on_message(message);
  message.clear();
}

void client::on_message(const std::string& m) {
  if (m.empty())
    return;
  switch (m[0]) {
    case '0': {  // Engine.IO open: remember the sid, join namespace "/"
      auto p = m.find("\"sid\":\"");
      if (p != std::string::npos) {
        auto e = m.find('"', p + 7);
        if (e != std::string::npos)
          sid = m.substr(p + 7, e - p - 7);
      }
      send_text("40");
      return;
    }
    case '2':  // ping
      if (m.size() == 1)
        send_text("3");
      return;
    case '1':
      fail();
      return;
    case '4':
      break;
    default:
      return;
  }
  if (m.size() < 2)
    return;
  if (m[1] == '0') {  // Socket.IO CONNECT answer
    if (state == phase::opening) {
      state = phase::joined;
      owner.handshake_done(true);
    }
  } else if (m[1] == '2') {  // EVENT ["name",T,...]
    ++owner.recv;
    int64_t now = now_us();
    owner.last_us = now;
    auto comma = m.find(',');
    if (comma != std::string::npos) {
      long long t = std::strtoll(m.c_str() + comma + 1, nullptr, 10);
      if (t > 0)
        owner.lat.v.push_back(now - t);
    }
  } else if (m[1] == '3') {  // ACK
    if (owner.joining) {
      if (owner.join_pending > 0 && --owner.join_pending == 0) {
        owner.joining = false;
        owner.out(R"({"ev":"joined"})");
      }
      return;
    }
    if (echoing || owner.echo_on) {
      ++owner.acks;
      owner.ack_lat.v.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - sent_at)
          .count());
      if (echoing)
        emit_echo();
    }
  } else if (m[1] == '4') {  // CONNECT_ERROR
    fail();
  }
}

void client::emit_echo() {
  sent_at = std::chrono::steady_clock::now();
  char m[80];
  std::snprintf(m, sizeof m, R"(42%u["e",%lld,"hello"])", ++next_ack,
                static_cast<long long>(now_us()));
  send_text(m);
}

void client::send_text(std::string_view text) {
  send_control(http::ws_opcode::text, text);
}

void client::send_control(http::ws_opcode op, std::string_view data) {
  if (state == phase::closed)
    return;
  auto h = http::encode_ws_frame_header(op, data.size(), true, &owner.mask);
  outq.append(h.data.data(), h.size);
  size_t at = outq.size();
  outq.append(data.data(), data.size());
  http::ws_apply_mask(outq.data() + at, data.size(), owner.mask);
  flush();
}

void client::flush() {
  if (writing || outq.empty() || state == phase::closed)
    return;
  writing = true;
  inflight.swap(outq);
  outq.clear();
  asio::async_write(sock, asio::buffer(inflight),
                    [this](const asio::error_code& ec, size_t) {
                      writing = false;
                      inflight.clear();
                      if (ec) {
                        fail();
                        return;
                      }
                      flush();
                    });
}

void client::fail() {
  if (state == phase::closed)
    return;
  bool before_join = state != phase::joined;
  state = phase::closed;
  asio::error_code ig;
  sock.close(ig);
  if (before_join)
    owner.handshake_done(false);
  else
    ++owner.closed;
}

} // namespace

int main(int argc, char** argv) {
  app a;
  uint16_t port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      port = static_cast<uint16_t>(std::atoi(v.c_str()));
    else if (k == "--path")
      a.path = v;
    else if (k == "--base")
      a.base = static_cast<size_t>(std::atoll(v.c_str()));
  }
  if (port == 0) {
    std::fprintf(stderr, "usage: sio-bench-client --port P [--path P] [--base N]\n");
    return 2;
  }
  a.ep = tcp::endpoint(asio::ip::make_address("127.0.0.1"), port);
  // stdin is read on its own thread; commands run on the I/O thread.
  std::thread([&a] {
    std::string line;
    while (std::getline(std::cin, line))
      asio::post(a.io, [&a, line] { a.command(line); });
    asio::post(a.io, [] { std::_Exit(0); });
  }).detach();
  auto guard = asio::make_work_guard(a.io);
  a.out(R"({"ev":"ready"})");
  a.io.run();
  return 0;
}
