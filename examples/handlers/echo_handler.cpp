#include "examples/handlers/echo_handler.hpp"

#include <sio/emitter.hpp>
#include <sio/event.hpp>

#include <rapidjson/document.h>

#include <optional>
#include <string>

namespace sio::demo {

namespace {

/// The `deny` text of a CONNECT auth payload, if any.
std::optional<std::string> deny_reason(const std::string& auth) {
  if (auth.empty())
    return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(auth.data(), auth.size());
  if (doc.HasParseError() || !doc.IsObject())
    return std::nullopt;
  auto i = doc.FindMember("deny");
  if (i == doc.MemberEnd() || !i->value.IsString())
    return std::nullopt;
  return std::string{i->value.GetString(), i->value.GetStringLength()};
}

/// Stateless: safe to call from every session at once.
class echo_handler final : public inline_handler {
public:
  explicit echo_handler(hub_actor hub) : hub_(std::move(hub)) {}

  connect_verdict on_connect(const connect_event& ev) override {
    if (auto why = deny_reason(ev.auth))
      return sio::reject(*why);
    return connect_verdict::accept();
  }

  message_reply on_message(const message_event& ev) override {
    // The arguments exactly as they came (attachments included), sliced
    // from the packet rather than decoded: this is the bench's hot path.
    auto args = args_of(ev);
    if (!args)
      return {};
    if (ev.has_ack)
      return sio::ack(ev, *args);
    if (ev.event_name == "echo")
      return emit_back(ev, "echo", *args);
    if (ev.event_name == "broadcast")
      emitter{hub_, ev.socket.nsp}.emit("broadcast", *args);
    return {};
  }

private:
  hub_actor hub_;
};

} // namespace

inline_handler_ptr make_echo_handler(hub_actor hub) {
  return std::make_shared<echo_handler>(std::move(hub));
}

event_handler_actor spawn_echo_handler(caf::actor_system& sys, hub_actor hub) {
  return spawn_inline_handler_actor(sys, make_echo_handler(std::move(hub)));
}

} // namespace sio::demo
