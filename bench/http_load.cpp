// bench/http_load.cpp
// sio-bench-http: drives an HTTP/1.1 server with C keep-alive connections,
// each POSTing the same webhook event in a closed loop (the next request
// when the previous response is complete) for MS milliseconds. scripts/bench
// measures the webhook upstream alone with it: one thread on its own epoll
// loop costs a fraction of the upstream's CPU per request, so the upstream,
// not the client, sets the rate.
//
//   sio-bench-http --port P [--conns 32] [--ms 5000] [--path /api/bench/message]
// prints one JSON line {"reqs","errors","secs","p50","p99","cpu_ms"}
// (latencies in microseconds).

#include "cpu_time.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
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
#include <string>
#include <vector>

namespace {

using steady = std::chrono::steady_clock;

using bench::cpu_ms;

struct connection {
  int fd = -1;
  std::string in;        ///< response bytes not consumed yet
  std::string out;       ///< request bytes the socket did not take yet
  steady::time_point sent_at;
  bool waiting = false;  ///< a request is out and its response not complete
};

struct load {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  sockaddr_in to{};
  std::string request;
  steady::time_point end;
  bool running = true;
  uint64_t reqs = 0, errors = 0;
  std::vector<int64_t> lat;

  void open(connection& c) {
    c = connection{};
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0
        && errno != EINPROGRESS) {
      std::perror("sio-bench-http: connect");
      std::exit(1);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &c;
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    c.out = request;
    c.waiting = true;
    c.sent_at = steady::now();
  }

  /// A failed connection counts as an error and is replaced.
  void reopen(connection& c) {
    ++errors;
    ::close(c.fd);
    open(c);
  }

  /// The peer closed or the socket failed: replaced while the run lasts.
  void lost(connection& c) {
    if (running) {
      reopen(c);
    } else if (c.waiting) {
      ++errors;
      c.waiting = false;
    }
  }

  void flush(connection& c) {
    while (!c.out.empty()) {
      ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          reopen(c);
        return;
      }
      c.out.erase(0, static_cast<size_t>(n));
    }
  }

  /// Where the response at the start of `in` ends (past its body), or 0
  /// while it is incomplete. Bodies are framed by Content-Length or chunked
  /// (node:http chunks a body whose length it did not know at writeHead).
  static size_t response_end(const std::string& in) {
    auto head_end = in.find("\r\n\r\n");
    if (head_end == std::string::npos)
      return 0;
    size_t length = 0;
    bool chunked = false;
    for (size_t at = in.find("\r\n") + 2; at < head_end;) {
      auto eol = in.find("\r\n", at);
      if (strncasecmp(in.c_str() + at, "content-length:", 15) == 0)
        length = std::strtoul(in.c_str() + at + 15, nullptr, 10);
      else if (strncasecmp(in.c_str() + at, "transfer-encoding:", 18) == 0)
        chunked = in.find("chunked", at) < eol;
      at = eol + 2;
    }
    size_t body = head_end + 4;
    if (!chunked)
      return in.size() >= body + length ? body + length : 0;
    for (size_t at = body;;) {  // size CRLF data CRLF ... 0 CRLF CRLF
      auto eol = in.find("\r\n", at);
      if (eol == std::string::npos)
        return 0;
      size_t size = std::strtoul(in.c_str() + at, nullptr, 16);
      if (size == 0)
        return in.size() >= eol + 4 ? eol + 4 : 0;
      at = eol + 2 + size + 2;
      if (at > in.size())
        return 0;
    }
  }

  /// Consumes complete responses and sends the next request on the same
  /// connection while the run lasts.
  void consume(connection& c) {
    for (size_t end_at; (end_at = response_end(c.in)) != 0;) {
      bool ok = c.in.compare(0, 12, "HTTP/1.1 200") == 0;
      c.in.erase(0, end_at);
      auto now = steady::now();
      if (ok) {
        ++reqs;
        lat.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent_at).count());
      } else {
        ++errors;
      }
      c.waiting = now < end;
      if (c.waiting) {
        c.sent_at = now;
        c.out = request;
        flush(c);
      }
    }
  }

  void on_ready(connection& c, uint32_t events) {
    if (events & (EPOLLERR | EPOLLHUP)) {
      lost(c);
      return;
    }
    if (events & EPOLLOUT)
      flush(c);
    if ((events & (EPOLLIN | EPOLLRDHUP)) == 0)
      return;
    std::array<char, 16384> buf;
    for (;;) {
      ssize_t n = ::recv(c.fd, buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          lost(c);
        return;
      }
      if (n == 0) {
        lost(c);
        return;
      }
      c.in.append(buf.data(), static_cast<size_t>(n));
      consume(c);
      if (static_cast<size_t>(n) < buf.size())
        return;
    }
  }
};

const char* arg(int argc, char** argv, const char* name, const char* dflt) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0)
      return argv[i + 1];
  return dflt;
}

} // namespace

int main(int argc, char** argv) {
  int port = std::atoi(arg(argc, argv, "--port", "0"));
  size_t conns = std::strtoul(arg(argc, argv, "--conns", "32"), nullptr, 10);
  long ms = std::atol(arg(argc, argv, "--ms", "5000"));
  std::string path = arg(argc, argv, "--path", "/api/bench/message");
  if (port <= 0 || conns == 0 || ms <= 0) {
    std::fprintf(stderr, "usage: sio-bench-http --port P [--conns C] [--ms MS] [--path P]\n");
    return 2;
  }
  static load l;
  l.to.sin_family = AF_INET;
  l.to.sin_port = htons(static_cast<uint16_t>(port));
  l.to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // The body and headers a webhook dispatcher sends for a user event.
  const std::string body = R"(420["e",1,"hello"])";
  l.request = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port)
              + "\r\nContent-Type: text/plain\r\nce-type: azure.webpubsub.user.message\r\n"
                "ce-eventName: message\r\nContent-Length: " + std::to_string(body.size())
              + "\r\n\r\n" + body;
  int64_t cpu0 = cpu_ms();
  auto t0 = steady::now();
  l.end = t0 + std::chrono::milliseconds(ms);
  std::vector<connection> all(conns);
  for (auto& c : all)
    l.open(c);
  std::array<epoll_event, 256> evs;
  for (;;) {
    auto now = steady::now();
    if (now >= l.end) {
      l.running = false;
      // Stop once every connection has its last response (or after 5 s).
      bool idle = std::all_of(all.begin(), all.end(), [](const connection& c) {
        return !c.waiting;
      });
      if (idle || now >= l.end + std::chrono::seconds(5))
        break;
    }
    int n = epoll_wait(l.ep, evs.data(), static_cast<int>(evs.size()), 10);
    for (int i = 0; i < n; ++i)
      l.on_ready(*static_cast<connection*>(evs[i].data.ptr), evs[i].events);
  }
  double secs = std::chrono::duration<double>(steady::now() - t0).count();
  auto pct = [&](double p) -> long long {
    if (l.lat.empty())
      return -1;
    size_t k = std::min(l.lat.size() - 1, static_cast<size_t>(p * l.lat.size()));
    std::nth_element(l.lat.begin(), l.lat.begin() + k, l.lat.end());
    return l.lat[k];
  };
  long long p50 = pct(0.5), p99 = pct(0.99);
  std::printf(R"({"reqs":%llu,"errors":%llu,"secs":%.3f,"p50":%lld,"p99":%lld,"cpu_ms":%lld})" "\n",
              static_cast<unsigned long long>(l.reqs), static_cast<unsigned long long>(l.errors),
              secs, p50, p99, static_cast<long long>(cpu_ms() - cpu0));
  for (auto& c : all)
    ::close(c.fd);
  return 0;
}
