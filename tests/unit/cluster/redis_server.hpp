// tests/unit/cluster/redis_server.hpp
// A real redis-server for one test: a free 127.0.0.1 port, a temporary
// directory, no persistence, stopped by PID (SIGKILL + waitpid) in the
// destructor even when the test fails. stop()/start() kill and restart it on
// the same port (the reconnect tests).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sio::cluster::testing {

class redis_server {
public:
  /// Starts redis-server; `password` empty = no --requirepass.
  explicit redis_server(std::string password = {})
    : password_(std::move(password)) {
    std::string tmpl
      = (std::filesystem::temp_directory_path() / "sio-redis-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = free_port();
    start();
  }

  ~redis_server() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  uint16_t port() const {
    return port_;
  }

  bool running() const {
    return pid_ > 0;
  }

  /// Starts it (again) on the same port; waits (at most 10 s) until it
  /// accepts connections.
  void start() {
    if (pid_ > 0)
      return;
    std::vector<std::string> args{"redis-server",
                                  "--port", std::to_string(port_),
                                  "--bind", "127.0.0.1",
                                  "--save", "",
                                  "--appendonly", "no",
                                  "--daemonize", "no",
                                  "--dir", dir_,
                                  "--logfile", dir_ + "/redis.log"};
    if (!password_.empty()) {
      args.push_back("--requirepass");
      args.push_back(password_);
    }
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    // fork + exec rather than posix_spawn: the child dies with the test
    // (PR_SET_PDEATHSIG) even when the test crashes, and writes nowhere
    // (the test's stdout may be a pipe someone waits on).
    pid_t pid = fork();
    if (pid < 0)
      throw std::runtime_error("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      int null = open("/dev/null", O_RDWR);
      if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
      }
      execvp("redis-server", argv.data());
      _exit(127);
    }
    pid_ = pid;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts()) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start (port "
                                 + std::to_string(port_)
                                 + "; is redis-server installed?)");
      }
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        throw std::runtime_error("redis-server does not accept connections");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  /// Kills it (SIGKILL: no goodbye to the clients) and reaps it.
  void stop() {
    if (pid_ <= 0)
      return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

private:
  static uint16_t free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
      throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
        || getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      close(fd);
      throw std::runtime_error("cannot find a free port");
    }
    close(fd);
    return ntohs(addr.sin_port);
  }

  bool accepts() const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
      return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    return ok;
  }

  std::string password_;
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

} // namespace sio::cluster::testing
