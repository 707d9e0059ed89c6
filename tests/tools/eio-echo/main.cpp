// tests/tools/eio-echo: the Engine.IO layer alone, echoing every text and
// binary message. Proves the layers compose and lets the Engine.IO
// implementation be checked against any Engine.IO v4 client.
//
//   eio-echo --port 3000 --path /engine.io/ --ping-interval 25000
//     --ping-timeout 20000 --max-payload 1000000

#include "actors/gateway.hpp"
#include "actors/hub.hpp"
#include "actors/shutdown.hpp"
#include "actors/type_registry.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr uint16_t default_port = 3000;

constexpr const char* usage = R"(usage: eio-echo [--port N] [--path P] [--ping-interval MS] [--ping-timeout MS] [--max-payload BYTES]

Serves Engine.IO v4 (polling, WebSocket, upgrade) and echoes every message.

  --port N             listen port on 127.0.0.1 (default 3000; 0 = any)
  --path P             Engine.IO path (default /engine.io/)
  --ping-interval MS   heartbeat interval (default 25000)
  --ping-timeout MS    heartbeat timeout (default 20000)
  --max-payload BYTES  largest message / POST body (default 1000000)

example:
  eio-echo --port 3000 --path /engine.io/
)";

bool parse_number(const char* text, long min, long max, long& out) {
  char* end = nullptr;
  out = std::strtol(text, &end, 10);
  return *text != '\0' && *end == '\0' && out >= min && out <= max;
}

} // namespace

int main(int argc, char** argv) {
  long port = default_port, ping_interval = 25000, ping_timeout = 20000,
       max_payload = 1000000;
  std::string path = "/engine.io/";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << arg << " needs a value\n" << usage;
      return 1;
    }
    const char* v = argv[++i];
    bool ok = true;
    if (arg == "--port")
      ok = parse_number(v, 0, 65535, port);
    else if (arg == "--path")
      path = v;
    else if (arg == "--ping-interval")
      ok = parse_number(v, 10, 3600000, ping_interval);
    else if (arg == "--ping-timeout")
      ok = parse_number(v, 10, 3600000, ping_timeout);
    else if (arg == "--max-payload")
      ok = parse_number(v, 64, 100000000, max_payload);
    else
      ok = false;
    if (!ok || path.empty() || path[0] != '/') {
      std::cerr << "bad argument: " << arg << " " << v << "\n" << usage;
      return 1;
    }
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e [%l] %v");
  spdlog::flush_on(spdlog::level::info);

  caf::actor_system_config caf_cfg;
  sio::register_message_types(caf_cfg);
  caf_cfg.set("scheduler.max-threads", 2);
  caf_cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{caf_cfg};
  {
    asio::io_context io{1}; // one loop, run by io_thread below
    auto registry = std::make_shared<sio::session_registry>();
    sio::session_settings ss;
    ss.ping_interval = std::chrono::milliseconds{ping_interval};
    ss.ping_timeout = std::chrono::milliseconds{ping_timeout};
    ss.max_payload = static_cast<uint32_t>(max_payload);
    ss.engineio_echo = true;
    sio::hub_config hc;
    hc.name = "echo";
    hc.session = ss;
    hc.registry = registry;
    auto hub = sio::spawn_hub(sys, hc);
    sio::gateway_config gc;
    gc.http.host = "127.0.0.1";
    gc.http.port = static_cast<uint16_t>(port);
    gc.http.limits.max_body_size = static_cast<size_t>(max_payload);
    gc.ws.max_message_size = static_cast<size_t>(max_payload);
    sio::gateway gw{io, gc, registry};
    gw.add_endpoint({path, "echo", hub, true});
    try {
      gw.start();
    } catch (const std::exception& e) {
      std::cerr << "cannot start: " << e.what() << "\n";
      return 1;
    }
    std::cout << "listening on http://127.0.0.1:" << gw.port() << path
              << std::endl;
    std::thread io_thread{[&io] {
      auto work = asio::make_work_guard(io);
      io.run();
    }};
    int sig = 0;
    sigwait(&signals, &sig);
    gw.stop();
    // The sessions and the hub end before the io_context their sockets and
    // pending HTTP exchanges use goes away (bounded wait).
    caf::scoped_actor waiter{sys};
    std::vector<caf::actor> actors;
    for (auto& e : registry->snapshot())
      actors.push_back(caf::actor_cast<caf::actor>(e.session));
    actors.push_back(caf::actor_cast<caf::actor>(hub));
    sio::stop_and_await(waiter, actors,
                        std::chrono::steady_clock::now() + std::chrono::seconds{3});
    io.stop();
    io_thread.join();
  }
  return 0;
}
