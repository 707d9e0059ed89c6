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

#include <sio/sio.hpp>

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
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

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// Stage 1: only clients that know the application token get a socket.
class auth_stage : public sio::stage {
public:
  explicit auth_stage(std::string token) : token_(std::move(token)) {}

  std::optional<sio::connect_verdict> on_connect(sio::connect_event& ev) override {
    if (auth_token(ev.auth) == token_)
      return std::nullopt; // on to the next stage
    spdlog::info("auth stage rejected socket on {} of connection {}", ev.socket.nsp,
                 ev.socket.connection_id);
    return sio::reject("invalid auth.token");
  }

private:
  std::string token_;
};

/// Stage 2: events with a banned word never reach the upstream.
class moderation_stage : public sio::stage {
public:
  explicit moderation_stage(std::vector<std::string> banned) : banned_(std::move(banned)) {}

  std::optional<sio::message_reply> on_message(sio::message_event& ev) override {
    auto text = lowered(ev.packet);
    for (auto& word : banned_) {
      if (text.find(word) == std::string::npos)
        continue;
      spdlog::info("moderation stage blocked an event of socket {}", ev.socket.socket_id);
      return sio::ack(ev, sio::raw_json{R"({"error":"message blocked"})"});
    }
    return std::nullopt; // on to the configured handler
  }

private:
  std::vector<std::string> banned_;
};

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
      banned.push_back(lowered(v));
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

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e [%l] %v");
  spdlog::flush_on(spdlog::level::info);

  sio::service svc{std::move(*cfg)};
  // Outermost first, as Node's io.use(): auth, then moderation, then the
  // hub's configured handler (the webhook dispatcher).
  for (auto& hub : svc.config().hubs) {
    svc.use<auth_stage>(hub.name, token);
    svc.use<moderation_stage>(hub.name, banned);
  }
  return sio::run_until_signal(svc);
}
