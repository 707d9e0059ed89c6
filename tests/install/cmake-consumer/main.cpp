// An application built against the installed library only (<sio/sio.hpp>):
// makes a service from a config written in code, starts it on a free port
// of 127.0.0.1, asks GET /health over a real socket and stops. Exit code 0
// when the answer is 200. tests/install builds it with CMake
// (find_package) and with pkg-config.
#include <sio/sio.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

namespace {

/// The whole answer to one HTTP/1.1 request with `Connection: close`, or ""
/// when the connection fails. Reads are bounded by a generous timeout: the
/// check is that the service answers, not how fast.
std::string http_get(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return {};
  timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path
                                + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Connection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL)
        == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
        answer.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

} // namespace

int main() {
  sio::config::service_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = 0;
  sio::config::hub_setting hub;
  hub.name = "consumer";
  hub.allow_anonymous = true;
  cfg.hubs.push_back(hub);
  try {
    sio::service svc{cfg};
    svc.start();
    const uint16_t port = svc.port();
    const std::string answer = http_get(port, "/health");
    svc.stop();
    const std::string status_line = answer.substr(0, answer.find("\r\n"));
    std::cout << "GET /health on port " << port << ": "
              << (status_line.empty() ? "no answer" : status_line) << '\n';
    return status_line.rfind("HTTP/1.1 200 ", 0) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "consumer: " << e.what() << '\n';
    return 1;
  }
}
