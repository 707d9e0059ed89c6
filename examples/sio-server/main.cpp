// examples/sio-server: the service executable. Reads the config file of
// ../shared/docs/config.md (or runs an embedded demo hub when none is
// given), prints the connection string and client URLs, serves until
// SIGINT/SIGTERM.
//
//   sio-server --config service.json
//   sio-server --port 8080            # demo hub "chat" and its page at /

#include "examples/handlers/chat_handler.hpp"
#include "examples/handlers/echo_handler.hpp"
#include "examples/sio-server/static_files.hpp"

#include <sio/sio.hpp>

#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

constexpr const char* usage = R"(usage: sio-server [--config FILE] [--host HOST] [--port PORT]
                  [--tls-cert FILE --tls-key FILE]

Runs the Socket.IO serverless service.

  --config FILE   service configuration (JSON); without it a demo hub
                  "chat" with the in-process chat handler is served, and
                  its browser page at /
  --host HOST     listen address (overrides listen.host)
  --port PORT     listen port, 0 = any free port (overrides listen.port)
  --tls-cert FILE, --tls-key FILE
                  serve HTTPS/WSS with this PEM certificate chain and
                  private key (overrides tls.certFile / tls.keyFile)
  --dev-negotiate serve GET /negotiate?hub=H&userId=U returning
                  {endpoint, path, token} to anyone (development only; on
                  by default for the embedded demo)
  --static-dir DIR  serve the chat page from DIR/index.html and
                  DIR/socket.io.min.js (default without --config: the
                  repository's examples/chat/ and node_modules/)
  --help          this text

Environment: SIO_PORT (listen port), SIO_ACCESS_KEY (primary access key),
SPDLOG_LEVEL (log level: debug logs every event, warn only trouble; default info).
Flags override the environment, which overrides the file.

examples:
  sio-server --config service.json
  sio-server --port 8080
)";

constexpr const char* demo_config = R"({
  "listen": { "host": "127.0.0.1", "port": 8080 },
  "hubs": { "chat": { "anonymousConnectPolicy": "allow", "inProcessHandler": "chat" } }
})";

bool parse_port(const std::string& text, uint16_t& out) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 0 || v > 65535)
    return false;
  out = static_cast<uint16_t>(v);
  return true;
}

/// GET /negotiate?hub=H&userId=U: the initialization step of the client
/// workflow ({endpoint, path, token}); a real backend authenticates the
/// user first and uses service::negotiate the same way.
void serve_negotiate(const sio::service& svc, const sio::http_request& req,
                     const sio::http_responder& respond) {
  auto hub = req.query_param("hub").value_or("");
  std::optional<std::string> user = req.query_param("userId");
  if (user && user->empty())
    user.reset();
  if (hub.empty() && svc.config().hubs.size() == 1)
    hub = svc.config().hubs.front().name;
  bool known = false;
  for (auto& h : svc.config().hubs)
    known = known || h.name == hub;
  if (!known) {
    respond(sio::http_response::error(400, "InvalidHub", "hub is missing or unknown"));
    return;
  }
  auto r = sio::http_response::json(200, svc.negotiate(hub, user.value_or("")));
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  respond(std::move(r));
}

} // namespace

int main(int argc, char** argv) {
  std::string config_path, host, static_dir, tls_cert, tls_key;
  std::optional<uint16_t> port;
  bool dev_negotiate = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc)
        return std::nullopt;
      return std::string{argv[++i]};
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    } else if (arg == "--config") {
      auto v = next();
      if (!v) {
        std::cerr << "--config needs a file\n" << usage;
        return 1;
      }
      config_path = *v;
    } else if (arg == "--static-dir") {
      auto v = next();
      if (!v) {
        std::cerr << "--static-dir needs a directory\n" << usage;
        return 1;
      }
      static_dir = *v;
    } else if (arg == "--dev-negotiate") {
      dev_negotiate = true;
    } else if (arg == "--tls-cert" || arg == "--tls-key") {
      auto v = next();
      if (!v || v->empty()) {
        std::cerr << arg << " needs a file\n" << usage;
        return 1;
      }
      (arg == "--tls-cert" ? tls_cert : tls_key) = *v;
    } else if (arg == "--host") {
      auto v = next();
      if (!v) {
        std::cerr << "--host needs a value\n" << usage;
        return 1;
      }
      host = *v;
    } else if (arg == "--port") {
      auto v = next();
      uint16_t p = 0;
      if (!v || !parse_port(*v, p)) {
        std::cerr << "--port needs a number 0-65535\n" << usage;
        return 1;
      }
      port = p;
    } else {
      std::cerr << "unknown argument: " << arg << "\n" << usage;
      return 1;
    }
  }

  if (tls_cert.empty() != tls_key.empty()) {
    std::cerr << "--tls-cert and --tls-key go together\n" << usage;
    return 1;
  }

  std::string text = demo_config;
  if (config_path.empty())
    dev_negotiate = true;
  if (!config_path.empty()) {
    std::ifstream in{config_path};
    if (!in) {
      std::cerr << "cannot read config file " << config_path << "\n";
      return 1;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  auto cfg = sio::config::parse_service_config(text);
  if (!cfg) {
    std::cerr << "invalid config"
              << (config_path.empty() ? "" : " " + config_path) << ": "
              << cfg.error() << "\n";
    return 1;
  }
  if (auto* env = std::getenv("SIO_PORT")) {
    uint16_t p = 0;
    if (!parse_port(env, p)) {
      std::cerr << "SIO_PORT: must be a number 0-65535\n";
      return 1;
    }
    cfg->port = p;
  }
  if (auto* env = std::getenv("SIO_ACCESS_KEY"); env && *env)
    cfg->primary_key = env;
  if (port)
    cfg->port = *port;
  if (!host.empty())
    cfg->host = host;
  if (!tls_cert.empty())
    cfg->tls = {tls_cert, tls_key};

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e [%l] %v");
  spdlog::flush_on(spdlog::level::info);
  // SPDLOG_LEVEL=debug logs every message; =warn keeps only trouble.
  spdlog::cfg::load_env_levels();

  // The actor system follows the config (scheduler, workerThreads,
  // ioThreads): sio::configure_actor_system.
  sio::service svc{std::move(*cfg)};
  // The demo handlers a config names with "inProcessHandler".
  svc.register_in_process_handler("echo", [](caf::actor_system&, sio::hub_actor hub) {
    return sio::demo::make_echo_handler(std::move(hub));
  });
  svc.register_in_process_handler("chat", [](caf::actor_system& sys, sio::hub_actor hub) {
    return sio::demo::spawn_chat_handler(sys, std::move(hub));
  });
  // The chat page: for the embedded demo, or wherever --static-dir says.
  std::optional<sio::demo::static_files> page;
  if (config_path.empty() || !static_dir.empty()) {
    page = sio::demo::static_files::locate(static_dir);
    page->log_status();
  }
  if (page)
    for (auto& path : page->paths())
      svc.route("GET", path, [page](const sio::http_request& req, sio::http_responder respond) {
        respond(page->serve(req.path));
      });
  if (dev_negotiate)
    svc.route("GET", "/negotiate", [&svc](const sio::http_request& req, sio::http_responder respond) {
      serve_negotiate(svc, req, respond);
    });
  return sio::run_until_signal(svc, "server shutting down");
}
