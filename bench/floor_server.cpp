// bench/floor_server.cpp
// The echo scenario's floor on this machine: a server that does only what no
// Socket.IO server can skip for an acked event - read the WebSocket frame,
// find the ack id, write the ACK frame - on the library's HTTP server and
// WebSocket connection, with no actors, sessions, event handler, namespaces
// or validation of the event. Not a product and not a Socket.IO server: just
// enough Engine.IO for sio-bench-client (open packet, CONNECT answer for
// "/", `42<id>[...]` -> `43<id>[args after the name]`, pings never sent).
// scripts/bench runs it next to sio-server and Node so that BENCHMARKS.md
// shows how much of the box the kernel, the loopback and the load generator
// leave for any server.
//
// It is also the fan-out floor: POST /emit with a Socket.IO packet as its
// body (`42["b",T]`) writes that one frame to every connected socket, the
// way sio-server's hub writes a broadcast (one shared payload, queued on
// each connection with write_policy::batched), and answers 202: no REST
// authentication, no groups, no packet encoding.
//
//   sio-bench-floor [--port P] [--threads N]
// prints "listening <port>" once it accepts; stops on SIGINT/SIGTERM.

#include "lib/http/loop_pool.hpp"
#include "lib/http/server.hpp"
#include "lib/http/ws_connection.hpp"
#include "lib/http/ws_handshake.hpp"

#include <asio.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace http = sio::http;

namespace {

std::atomic<uint64_t> next_sid{0};

/// Every open connection, for the fan-out endpoint.
struct connection_set {
  std::mutex lock;
  std::unordered_set<std::shared_ptr<http::ws_connection>> all;

  void add(const std::shared_ptr<http::ws_connection>& c) {
    std::lock_guard<std::mutex> g(lock);
    all.insert(c);
  }
  void remove(const std::shared_ptr<http::ws_connection>& c) {
    std::lock_guard<std::mutex> g(lock);
    all.erase(c);
  }
  /// Queues the same frame on every connection. The set is copied under
  /// the lock and written outside it, so that a loop thread never waits
  /// there for another's broadcast.
  void broadcast(const std::shared_ptr<const std::string>& frame) {
    std::vector<std::shared_ptr<http::ws_connection>> targets;
    {
      std::lock_guard<std::mutex> g(lock);
      targets.assign(all.begin(), all.end());
    }
    for (auto& c : targets)
      c->send(frame, false, http::ws_connection::write_policy::batched);
  }
};
connection_set connections;

std::shared_ptr<const std::string> shared(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

/// The ACK for `42<id>[name,args...]`, or empty if the text is not an acked
/// event of the main namespace.
std::string ack_for(std::string_view m) {
  if (m.size() < 4 || m[0] != '4' || m[1] != '2')
    return {};
  size_t i = 2;
  while (i < m.size() && m[i] >= '0' && m[i] <= '9')
    ++i;
  if (i == 2 || i >= m.size() || m[i] != '[')
    return {};
  std::string out = "43";
  out.append(m.substr(2, i - 2));
  // Arguments after the event name: the bench's names hold no comma.
  auto comma = m.find(',', i);
  if (comma == std::string_view::npos) {
    out += "[]";
  } else {
    out += '[';
    out.append(m.substr(comma + 1));
  }
  return out;
}

void on_ws_message(const std::shared_ptr<http::ws_connection>& conn,
                   const std::string& sid, std::string&& m) {
  if (m == "40") {
    conn->send(shared("40{\"sid\":\"" + sid + "\"}"), false);
    return;
  }
  if (auto ack = ack_for(m); !ack.empty())
    conn->send(shared(std::move(ack)), false);
}

void handle(http::exchange ex) {
  if (ex.req().method == "POST" && ex.req().path() == "/emit") {
    connections.broadcast(shared(ex.req().body));
    ex.respond(http::response::text(202, ""));
    return;
  }
  auto check = http::validate_ws_upgrade(http::upgrade_headers_of(ex.req()));
  if (!check.ok) {
    ex.respond(http::response::json(400, R"({"error":"WebSocket upgrade expected"})"));
    return;
  }
  auto taken = ex.take_socket();
  if (!taken)
    return;
  auto head = http::make_ws_101_response(check.accept, {});
  asio::error_code ec;
  taken->socket.write(asio::buffer(head), ec);
  if (ec)
    return;
  auto conn = http::ws_connection::make(std::move(taken->socket), http::ws_limits{});
  auto sid = "floor" + std::to_string(next_sid.fetch_add(1));
  http::ws_connection::callbacks cbs;
  // The connection owns its callbacks and drops them when it closes, which
  // breaks the cycle through this capture.
  cbs.on_message = [conn, sid](std::string&& data, bool binary) {
    if (!binary)
      on_ws_message(conn, sid, std::move(data));
  };
  cbs.on_closed = [weak = std::weak_ptr<http::ws_connection>(conn)](uint16_t, std::string) {
    if (auto c = weak.lock())
      connections.remove(c);
  };
  connections.add(conn);
  conn->send(shared("0{\"sid\":\"" + sid
                    + "\",\"upgrades\":[],\"pingInterval\":600000,"
                      "\"pingTimeout\":600000,\"maxPayload\":1000000}"),
             false);
  conn->start(std::move(cbs), std::move(taken->leftover));
}

unsigned arg_uint(int argc, char** argv, const char* name, unsigned dflt) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0)
      return static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
  return dflt;
}

} // namespace

int main(int argc, char** argv) {
  unsigned threads = arg_uint(argc, argv, "--threads", 2);
  if (threads == 0)
    threads = 1;
  // As sio-server runs by default: one event loop per thread, connections
  // spread over them (http::server_settings::loops).
  http::loop_pool loops{threads};
  http::server_settings settings;
  settings.host = "127.0.0.1";
  settings.port = static_cast<uint16_t>(arg_uint(argc, argv, "--port", 0));
  settings.loops = loops.loops();
  http::server srv{loops.first(), settings, handle};
  srv.start();
  std::promise<void> stop_requested;
  asio::signal_set signals{loops.first(), SIGINT, SIGTERM};
  signals.async_wait([&](const asio::error_code&, int) { stop_requested.set_value(); });
  std::printf("listening %u\n", static_cast<unsigned>(srv.port()));
  std::fflush(stdout);
  loops.start();
  stop_requested.get_future().wait();
  srv.stop();
  loops.stop();
  return 0;
}
