#include "examples/handlers/echo_handler.hpp"

#include "actors/event_payloads.hpp"
#include "lib/routing/group_name.hpp"

#include <caf/all.hpp>
#include <rapidjson/document.h>

namespace sio {

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
      return connect_verdict::reject(error_payload(*why));
    return connect_verdict::accept();
  }

  message_reply on_message(const message_event& ev) override {
    if (ev.has_ack) {
      // The ack needs only the arguments: no parsed_event to fill.
      auto args = event_args(ev);
      if (!args)
        return {};
      return {ack_payload(ev, *args)};
    }
    auto parsed = parse_event(ev);
    if (!parsed)
      return {};
    if (ev.event_name == "echo")
      return {event_payload(*parsed, "echo", parsed->args)};
    if (ev.event_name == "broadcast") {
      auto packets = event_batch(*parsed, "broadcast", parsed->args);
      caf::anon_send(hub_, send_command{
                             target::group(routing::namespace_group(ev.socket.nsp)),
                             std::move(packets)});
    }
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

} // namespace sio
