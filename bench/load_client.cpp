// bench/load_client.cpp
// sio-bench-client: a light Socket.IO v4 load generator for scripts/bench.
// Thousands of raw WebSocket clients (Engine.IO v4, transport=websocket) in
// one single-threaded process on its own epoll loop, framed with the
// library's own lib/http/ws_frame. Driven by line commands on stdin; answers
// JSON lines.
//
//   sio-bench-client --port P --path /clients/socketio/hubs/bench/ --base 0
//
// Commands (one per line):
//   connect N CONC   open N more clients, at most CONC handshakes in flight;
//                    a handshake not done in 20 s (socket.io-client's default
//                    connect timeout) counts as failed and is closed
//   join             every client emits ["join","r<(base+i)/10>"] with ack
//   sids             print the Engine.IO session ids (REST connection ids)
//   reset            zero the receive counter and latency samples
//   stats            print counters, latency percentiles and own CPU time
//   wait N MS        print stats once N events arrived (or after MS)
//   echo K MS        K clients emit ["e",t] with ack in a closed loop for MS
//   sched batch|normal  this process's scheduling policy (SCHED_BATCH or
//                    SCHED_OTHER; see below); starts at normal
//   quit
//
// Received events must carry a CLOCK_REALTIME microsecond timestamp as their
// first argument (42["ev",T,...]); latency = receipt time - T. An event with
// an ack id (an acked send) is answered at once with 43<id>["ok"].
//
// Why raw epoll and not Asio: the generator shares the machine's cores with
// the server it measures, so its CPU per ack bounds what the echo scenario
// can show. Asio 1.22 follows every
// read with another read attempt (its speculative read when the next read is
// started finds nothing: the answer has not arrived yet), a third system
// call per round trip. Here each socket is registered once, edge-triggered,
// and a read shorter than the buffer ends the reading until the next edge
// (the kernel signals every arrival), so a round trip costs one recv and one
// send.
//
// Why `sched batch`: the generator shares the 2 cores with the server it
// measures, which real clients (on other machines) never do. At the normal
// policy every wake-up of the generator (an ack arrived while it slept)
// preempts a server thread that is busy: in a 6 s echo, ~120k involuntary
// switches of ours' two loop threads for ~750k acks. A SCHED_BATCH task is not
// allowed to preempt on wake-up (it still gets its fair share of CPU, at the
// next tick or when the server waits), so the server is charged for its own
// work. Node's single thread has a core of its own and is hardly preempted
// either way. scripts/bench reports the echo at both policies.

#include "cpu_time.hpp"

#include "lib/http/ws_frame.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace http = sio::http;
using steady = std::chrono::steady_clock;

/// Wall-clock microseconds (comparable across processes on one machine).
int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch())
    .count();
}

using bench::cpu_ms;

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
  client(app& a, size_t idx) : owner(a), index(idx) {}
  app& owner;
  int fd = -1;
  size_t index;
  phase state = phase::connecting;
  std::string sid;           ///< Engine.IO sid (REST connection id)
  steady::time_point started;  ///< when the handshake began
  std::string hs;            ///< HTTP response bytes until the header end
  http::ws_frame_parser parser{http::ws_parser_limits{16u << 20, 1024, false}};
  bool in_payload = false;
  uint64_t remaining = 0;
  std::string payload;       ///< current frame payload
  std::string message;       ///< current (possibly fragmented) message
  std::string outq;          ///< bytes the socket did not take yet
  size_t out_at = 0;         ///< how much of outq was sent
  // closed-loop ack emitter (echo / join)
  bool echoing = false;
  uint32_t next_ack = 0;
  steady::time_point sent_at;

  void start(const sockaddr_in& to);
  void on_ready(uint32_t events);
  void read_all();
  void on_bytes(const char* data, size_t len);
  void on_frame();
  void on_message(const std::string& m);
  void send_text(std::string_view text);
  void send_control(http::ws_opcode op, std::string_view payload);
  void flush();
  bool retry_after_error();
  void fail();
  void emit_echo();
};

/// A one-shot timer of the loop.
struct timer_entry {
  steady::time_point at;
  std::function<void()> fire;
};

struct app {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  // Commands arrive on a reader thread (stdin may be anything, epoll takes
  // only pipes and sockets) and wake the loop through an eventfd.
  int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::mutex inbox_lock;
  std::deque<std::string> inbox;
  bool stdin_closed = false;
  std::vector<timer_entry> timers;

  sockaddr_in to{};
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

  void out(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  void after(std::chrono::milliseconds d, std::function<void()> f) {
    timers.push_back({steady::now() + d, std::move(f)});
  }

  void launch_some() {
    while (to_start > 0 && in_flight < conc) {
      --to_start;
      ++in_flight;
      clients.push_back(std::make_unique<client>(*this, clients.size()));
      clients.back()->start(to);
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

  /// Fails the handshakes older than the connect timeout, once a second
  /// while a connect command is pending.
  void expire_handshakes() {
    auto limit = steady::now() - std::chrono::seconds(20);
    for (size_t i = 0; i < clients.size(); ++i) {  // fail() may add clients
      auto& c = *clients[i];
      bool handshaking = c.state != client::phase::joined && c.state != client::phase::closed;
      if (handshaking && c.started < limit)
        c.fail();
    }
    if (connect_pending)
      after(std::chrono::seconds(1), [this] { expire_handshakes(); });
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

  void wait_for(uint64_t n, steady::time_point deadline) {
    if (recv >= n || steady::now() >= deadline) {
      out(stats_json("wait"));
      return;
    }
    after(std::chrono::milliseconds(2), [this, n, deadline] { wait_for(n, deadline); });
  }

  void command(const std::string& line) {
    char cmd[32] = {0};
    unsigned long long a = 0, b = 0;
    int n = std::sscanf(line.c_str(), "%31s %llu %llu", cmd, &a, &b);
    if (n < 1)
      return;
    std::string c = cmd;
    if (c == "sched") {
      char name[16] = {0};
      std::sscanf(line.c_str(), "%*31s %15s", name);
      set_policy(name);
    } else if (c == "connect" && n == 3) {
      connect_t0 = now_us();
      if (a == 0) {
        out(R"({"ev":"connected","ok":0,"failed":0,"ms":0})");
        return;
      }
      to_start += a;
      conc = std::max<size_t>(1, b);
      finished_target = ok + failed + to_start + in_flight;
      if (!connect_pending)
        after(std::chrono::seconds(1), [this] { expire_handshakes(); });
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
      wait_for(a, steady::now() + std::chrono::milliseconds(b));
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
      after(std::chrono::milliseconds(b), [this, k, t0, c0] {
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

  /// `sched batch|normal`: the calling (event loop) thread's policy.
  void set_policy(std::string_view name) {
    int policy = name == "batch" ? SCHED_BATCH : name == "normal" ? SCHED_OTHER : -1;
    sched_param none{};
    if (policy < 0) {
      out(R"({"ev":"error","what":"sched: batch or normal"})");
    } else if (sched_setscheduler(0, policy, &none) != 0) {
      out(R"({"ev":"error","what":"sched: sched_setscheduler failed"})");
    } else {
      out(policy == SCHED_BATCH ? R"({"ev":"sched","policy":"batch"})"
                                : R"({"ev":"sched","policy":"normal"})");
    }
  }

  /// Runs the commands the reader thread queued.
  void take_commands() {
    uint64_t ignored;
    while (::read(wake, &ignored, sizeof ignored) > 0) {
    }
    std::deque<std::string> lines;
    bool eof;
    {
      std::lock_guard<std::mutex> g(inbox_lock);
      lines.swap(inbox);
      eof = stdin_closed;
    }
    for (auto& l : lines)
      command(l);
    if (eof) {
      std::fflush(stdout);
      std::_Exit(0);
    }
  }

  /// Fires the timers that are due; returns the epoll timeout to the next.
  int run_timers() {
    auto now = steady::now();
    for (size_t i = 0; i < timers.size();) {
      if (timers[i].at <= now) {
        auto f = std::move(timers[i].fire);
        if (i + 1 != timers.size())
          timers[i] = std::move(timers.back());
        timers.pop_back();
        f();  // may add timers
        now = steady::now();
      } else {
        ++i;
      }
    }
    if (timers.empty())
      return -1;
    auto next = timers.front().at;
    for (auto& t : timers)
      next = std::min(next, t.at);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    return static_cast<int>(std::max<int64_t>(0, ms + 1));
  }

  [[noreturn]] void run() {
    epoll_event wev{};
    wev.events = EPOLLIN;
    wev.data.ptr = nullptr;  // the command eventfd
    epoll_ctl(ep, EPOLL_CTL_ADD, wake, &wev);
    std::array<epoll_event, 256> evs;
    for (;;) {
      int timeout = run_timers();
      int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), timeout);
      for (int i = 0; i < n; ++i) {
        if (evs[i].data.ptr == nullptr)
          take_commands();
        else
          static_cast<client*>(evs[i].data.ptr)->on_ready(evs[i].events);
      }
    }
  }
};

void client::start(const sockaddr_in& to) {
  // A failure reported from here would start the next client from inside
  // this one (launch_some): reported on the loop's next turn instead, so
  // that a burst of failures (out of descriptors) cannot nest thousands deep.
  auto fail_later = [this] { owner.after(std::chrono::milliseconds(0), [this] { fail(); }); };
  started = steady::now();
  fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail_later();
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0
      && errno != EINPROGRESS) {
    fail_later();
    return;
  }
  // Registered once for the socket's life, edge-triggered: no re-arming.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = this;
  if (epoll_ctl(owner.ep, EPOLL_CTL_ADD, fd, &ev) != 0)
    fail_later();
}

void client::on_ready(uint32_t events) {
  if (state == phase::closed)
    return;
  if (state == phase::connecting) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0)
      return;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      fail();
      return;
    }
    state = phase::upgrading;
    outq += "GET " + owner.path + "?EIO=4&transport=websocket HTTP/1.1\r\nHost: "
            + owner.host
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n";
  }
  flush();  // nothing queued: returns at once
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) != 0)
    read_all();
}

void client::read_all() {
  auto& buf = owner.rbuf;
  while (state != phase::closed) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (retry_after_error())
        continue;
      return;
    }
    if (n == 0) {
      fail();
      return;
    }
    on_bytes(buf.data(), static_cast<size_t>(n));
    // Shorter than the buffer: the socket is drained; the next arrival
    // raises a new edge.
    if (static_cast<size_t>(n) < buf.size())
      return;
  }
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
  } else if (m[1] == '2') {  // EVENT ["name",T,...], or 42<id>[...] asking an ack
    // An acked send asks for an answer: ACK with the same id at once.
    size_t digits = 2;
    while (digits < m.size() && m[digits] >= '0' && m[digits] <= '9')
      ++digits;
    if (digits > 2) {
      std::string ack = "43";
      ack.append(m, 2, digits - 2);
      ack += R"(["ok"])";
      send_text(ack);
    }
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
  sent_at = steady::now();
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
  if (state != phase::connecting)
    flush();
}

/// Writes what the socket takes now; the rest waits for the next EPOLLOUT
/// edge (a full send buffer raises one when it drains).
void client::flush() {
  while (out_at < outq.size() && state != phase::closed) {
    ssize_t n = ::send(fd, outq.data() + out_at, outq.size() - out_at, MSG_NOSIGNAL);
    if (n < 0) {
      if (retry_after_error())
        continue;
      return;
    }
    out_at += static_cast<size_t>(n);
  }
  if (out_at == outq.size()) {
    outq.clear();
    out_at = 0;
  }
}

/// After a recv or send gave -1: true to try again (interrupted); else it
/// fails the client unless the socket just has no more for now (EAGAIN).
bool client::retry_after_error() {
  if (errno == EINTR)
    return true;
  if (errno != EAGAIN && errno != EWOULDBLOCK)
    fail();
  return false;
}

void client::fail() {
  if (state == phase::closed)
    return;
  bool before_join = state != phase::joined;
  state = phase::closed;
  if (fd >= 0)
    ::close(fd);  // also leaves the epoll set
  fd = -1;
  outq.clear();
  out_at = 0;
  if (before_join)
    owner.handshake_done(false);
  else
    ++owner.closed;
}

} // namespace

int main(int argc, char** argv) {
  static app a;
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
  if (a.ep < 0 || a.wake < 0) {
    std::perror("sio-bench-client: epoll");
    return 1;
  }
  a.to.sin_family = AF_INET;
  a.to.sin_port = htons(port);
  a.to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::thread([] {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::lock_guard<std::mutex> g(a.inbox_lock);
      a.inbox.push_back(line);
      uint64_t one = 1;
      (void)!::write(a.wake, &one, sizeof one);
    }
    std::lock_guard<std::mutex> g(a.inbox_lock);
    a.stdin_closed = true;
    uint64_t one = 1;
    (void)!::write(a.wake, &one, sizeof one);
  }).detach();
  a.out(R"({"ev":"ready"})");
  a.run();
}
