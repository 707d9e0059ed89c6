// examples/custom-pipeline: application actors in front of the webhook
// dispatcher. Each stage speaks the same typed event_handler interface, so
// a stage either answers itself or delegates to the next one:
//
//   client -> hub -> [auth] -> [moderation] -> [webhook dispatcher] -> upstream
//
// - auth rejects a namespace CONNECT whose auth payload lacks the right
//   `token` (CONNECT_ERROR "invalid auth.token"); the upstream never sees it;
// - moderation drops an event containing a banned word and answers its ack
//   itself ([{"error":"message blocked"}]);
// - everything else goes to the handler the config file selects (the
//   hub's eventHandlers: the webhook dispatcher).
//
//   custom-pipeline --config service.json --app-token s3cret --ban spam

#include "actors/event_payloads.hpp"
#include <sio/service.hpp>
#include "actors/type_registry.hpp"
#include <sio/config.hpp>
#include "lib/protocol/ascii.hpp"

#include <caf/all.hpp>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

namespace {

constexpr const char* usage = R"(usage: custom-pipeline --config FILE [--app-token T] [--ban WORD]...

Runs the service with an auth stage and a moderation stage in front of
every hub's configured event handler.

  --config FILE    service configuration (JSON, as sio-server's)
  --app-token T    the auth.token clients must send (default: let-me-in)
  --ban WORD       a word that blocks an event (repeatable; default: spam)
)";

/// The `token` member of a CONNECT auth payload.
std::string auth_token(const std::string& auth) {
  rapidjson::Document doc;
  doc.Parse(auth.data(), auth.size());
  if (doc.HasParseError() || !doc.IsObject())
    return {};
  auto i = doc.FindMember("token");
  if (i == doc.MemberEnd() || !i->value.IsString())
    return {};
  return {i->value.GetString(), i->value.GetStringLength()};
}

/// Stage 1: only clients that know the application token get a socket.
sio::event_handler_actor::behavior_type
auth_stage(sio::event_handler_actor::pointer self, sio::event_handler_actor next,
           std::string token) {
  if (next)
    self->link_to(next);
  return {
    [self, next, token](sio::connect_event& ev)
      -> caf::result<sio::connect_verdict> {
      if (auth_token(ev.auth) != token) {
        spdlog::info("auth stage rejected socket on {} of connection {}",
                     ev.socket.nsp, ev.socket.connection_id);
        return sio::connect_verdict::reject(
          sio::error_payload("invalid auth.token"));
      }
      if (!next)
        return sio::connect_verdict::accept();
      return self->delegate(next, std::move(ev));
    },
    [next](sio::connected_event& ev) {
      if (next)
        caf::anon_send(next, std::move(ev));
    },
    [next](sio::disconnected_event& ev) {
      if (next)
        caf::anon_send(next, std::move(ev));
    },
    [self, next](sio::message_event& ev) -> caf::result<sio::message_reply> {
      if (!next)
        return sio::message_reply{};
      return self->delegate(next, std::move(ev));
    },
  };
}

/// Stage 2: events with a banned word never reach the upstream.
sio::event_handler_actor::behavior_type
moderation_stage(sio::event_handler_actor::pointer self,
                 sio::event_handler_actor next, std::vector<std::string> banned) {
  if (next)
    self->link_to(next);
  return {
    [self, next](sio::connect_event& ev) -> caf::result<sio::connect_verdict> {
      if (!next)
        return sio::connect_verdict::accept();
      return self->delegate(next, std::move(ev));
    },
    [next](sio::connected_event& ev) {
      if (next)
        caf::anon_send(next, std::move(ev));
    },
    [next](sio::disconnected_event& ev) {
      if (next)
        caf::anon_send(next, std::move(ev));
    },
    [self, next, banned](sio::message_event& ev)
      -> caf::result<sio::message_reply> {
      auto text = sio::protocol::ascii_lowered(ev.packet);
      for (auto& word : banned) {
        if (text.find(word) == std::string::npos)
          continue;
        spdlog::info("moderation stage blocked an event of socket {}",
                     ev.socket.socket_id);
        auto parsed = sio::parse_event(ev);
        if (ev.has_ack && parsed)
          return sio::message_reply{
            sio::ack_payload(*parsed, R"([{"error":"message blocked"}])")};
        return sio::message_reply{};
      }
      if (!next)
        return sio::message_reply{};
      return self->delegate(next, std::move(ev));
    },
  };
}

} // namespace

int main(int argc, char** argv) {
  std::string config_path, token = "let-me-in";
  std::vector<std::string> banned;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help") {
      std::cout << usage;
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << arg << " needs a value\n" << usage;
      return 1;
    }
    std::string v = argv[++i];
    if (arg == "--config")
      config_path = v;
    else if (arg == "--app-token")
      token = v;
    else if (arg == "--ban")
      banned.push_back(sio::protocol::ascii_lowered(v));
    else {
      std::cerr << "unknown argument: " << arg << "\n" << usage;
      return 1;
    }
  }
  if (banned.empty())
    banned.push_back("spam");
  std::ifstream in{config_path};
  if (config_path.empty() || !in) {
    std::cerr << "cannot read config file '" << config_path << "'\n" << usage;
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto cfg = sio::config::parse_service_config(text.str());
  if (!cfg) {
    std::cerr << "invalid config " << config_path << ": " << cfg.error() << "\n";
    return 1;
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
    sio::service svc{sys, std::move(*cfg)};
    for (auto& hub : svc.config().hubs)
      svc.add_stage(hub.name, [token, banned](caf::actor_system& s,
                                                 sio::hub_actor,
                                                 sio::event_handler_actor next) {
        auto moderation = s.spawn(moderation_stage, next, banned);
        return s.spawn(auth_stage, moderation, token);
      });
    try {
      svc.start();
    } catch (const std::exception& e) {
      std::cerr << "cannot start: " << e.what() << "\n";
      return 1;
    }
    std::cout << "connection string: " << svc.connection_string() << "\n";
    for (auto& hub : svc.config().hubs)
      std::cout << "client url (hub " << hub.name
                << "): " << svc.client_url(hub.name) << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    svc.stop();
  }
  return 0;
}
