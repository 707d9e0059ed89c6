// examples/embed: a backend service of its own that embeds the library.
// It shows what an application does with the public API only (<sio/...>):
// start a Socket.IO hub inside its own process with sio::service, plug in
// its own inline event handler (sum_handler below: accepts sockets, acks
// `add` with the sum of its arguments, rejects the namespace /admin; a
// sio::handler would do the same one message hop further away) and serve
// its own HTTP route next to the Engine.IO endpoint (GET /status answers
// from the hub actor's counters).
// It builds in-tree and against the installed library (README.md here).
//
//   sio-embed --port 8090

#include <sio/sio.hpp>

#include <caf/all.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace {

constexpr uint16_t default_port = 8090;
constexpr const char* hub_name = "embed";
/// How long GET /status waits for the hub's counters.
constexpr auto status_timeout = std::chrono::seconds(2);

constexpr const char* usage = R"(usage: sio-embed [--port N]

A backend that embeds the sio-serverless library: hub "embed" at
/clients/socketio/hubs/embed (anonymous clients allowed), event `add` acked
with the sum of its arguments, namespace /admin rejected, and
GET /status.

  --port N   listen port on 127.0.0.1 (default 8090; 0 = any free port)
  --help     this text
)";

// -- the application's event handler ----------------------------------------

/// The JSON text of the sum of an array of numbers, or nullopt when an
/// argument is not a number. Integers stay integers (no "3.0").
std::optional<std::string> sum_of(const rapidjson::Value& args) {
  bool all_int = true;
  int64_t isum = 0;
  double dsum = 0;
  for (auto& v : args.GetArray()) {
    if (!v.IsNumber())
      return std::nullopt;
    // Stay exact while every argument is a small integer (no overflow).
    if (all_int && v.IsInt64() && v.GetInt64() > -(int64_t{1} << 52)
        && v.GetInt64() < (int64_t{1} << 52))
      isum += v.GetInt64();
    else
      all_int = false;
    dsum += v.GetDouble();
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  if (all_int)
    w.Int64(isum);
  else if (!w.Double(dsum)) // inf/NaN are not JSON
    return std::nullopt;
  return std::string{buf.GetString(), buf.GetSize()};
}

/// Prints one line in one write: sessions on different threads call the
/// handler at the same time.
void print_line(const std::string& line) {
  std::cout << line + "\n" << std::flush;
}

/// The example's own handler. It answers from each event alone, so it is
/// an inline handler: the sessions call it directly on their own threads
/// (<sio/inline_handler.hpp>), which is why it keeps no mutable state.
/// Sockets asking for `closed_nsp` are turned away.
class sum_handler final : public sio::inline_handler {
public:
  explicit sum_handler(std::string closed_nsp) : closed_nsp_(std::move(closed_nsp)) {}

  sio::connect_verdict on_connect(const sio::connect_event& ev) override {
    // The verdict is the CONNECT_ERROR the client's connect_error gets.
    if (ev.socket.nsp == closed_nsp_)
      return sio::reject("the /admin namespace is not open to clients");
    return sio::connect_verdict::accept();
  }

  void on_connected(const sio::connected_event& ev) override {
    print_line("connected " + ev.socket.socket_id + " on " + ev.socket.nsp);
  }

  void on_disconnected(const sio::disconnected_event& ev) override {
    print_line("disconnected " + ev.socket.socket_id + " ("
               + (ev.reason.empty() ? "client" : ev.reason) + ")");
  }

  sio::message_reply on_message(const sio::message_event& ev) override {
    auto event = sio::event::read(ev);
    if (!event || event->name() != "add")
      return {};
    auto sum = sum_of(event->args());
    sio::raw_json answer{sum ? *sum : R"({"error":"add takes finite numbers"})"};
    // With an ack the sum is the ack; without one it comes back as `sum`.
    if (ev.has_ack)
      return sio::ack(ev, answer);
    return sio::emit_back(ev, "sum", sio::args{answer});
  }

private:
  const std::string closed_nsp_;
};

// -- the application's own HTTP route ----------------------------------------

/// GET /status: asks the hub actor for its counters from a short-lived
/// actor, so the I/O thread never blocks; the responder answers from
/// whichever thread the reply arrives on.
void status_request(caf::event_based_actor* self, sio::hub_actor hub,
                    uint16_t port, sio::http_responder respond) {
  self->request(hub, status_timeout, sio::stats_atom::value)
    .then(
      [respond, port](const sio::hub_stats& s) {
        respond(sio::http_response::json(
          200, std::string{R"({"hub":")"} + hub_name + R"(","port":)"
                 + std::to_string(port) + R"(,"connections":)"
                 + std::to_string(s.connections) + R"(,"groups":)"
                 + std::to_string(s.groups) + "}"));
      },
      [respond](const caf::error&) {
        respond(sio::http_response::error(503, "Unavailable", "hub did not answer"));
      });
}

bool parse_port(const char* text, uint16_t& out) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < 0 || v > 65535)
    return false;
  out = static_cast<uint16_t>(v);
  return true;
}

} // namespace

int main(int argc, char** argv) {
  uint16_t port = default_port;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    } else if (arg == "--port" && i + 1 < argc && parse_port(argv[i + 1], port)) {
      ++i;
    } else {
      std::cerr << "bad argument: " << arg << "\n" << usage;
      return 1;
    }
  }

  // The configuration is built in code; a file would go through
  // sio::config::parse_service_config like sio-server does.
  sio::config::service_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = port;
  sio::config::hub_setting hub;
  hub.name = hub_name;
  hub.allow_anonymous = true;
  cfg.hubs.push_back(hub);

  sio::service svc{std::move(cfg)};
  svc.set_inline_handler(hub_name, [](caf::actor_system&, sio::hub_actor) {
    return std::make_shared<sum_handler>("/admin");
  });
  svc.route("GET", "/status", [&svc](const sio::http_request&, sio::http_responder respond) {
    svc.system().spawn(status_request, svc.hub(hub_name), svc.port(), std::move(respond));
  });
  return sio::run_until_signal(svc, "server shutting down");
}
