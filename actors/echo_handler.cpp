#include "actors/echo_handler.hpp"

#include "actors/reply.hpp"
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

event_handler_actor::behavior_type echo_impl(event_handler_actor::pointer self,
                                             hub_actor hub) {
  return {
    [](const connect_event& ev) {
      if (auto why = deny_reason(ev.auth))
        return connect_verdict::reject(error_payload(*why));
      return connect_verdict::accept();
    },
    [](const connected_event&) {
      // nop
    },
    [](const disconnected_event&) {
      // nop
    },
    [self, hub](const message_event& ev) -> message_reply {
      auto parsed = parse_event(ev);
      if (!parsed)
        return {};
      if (ev.has_ack)
        return {ack_payload(*parsed, parsed->args)};
      if (ev.event_name == "echo")
        return {event_payload(*parsed, "echo", parsed->args)};
      if (ev.event_name == "broadcast") {
        auto packets = event_batch(*parsed, "broadcast", parsed->args);
        self->send(hub, send_command{
                          target::group(routing::namespace_group(ev.socket.nsp)),
                          std::move(packets)});
      }
      return {};
    },
  };
}

} // namespace

event_handler_actor spawn_echo_handler(caf::actor_system& sys, hub_actor hub) {
  return sys.spawn(echo_impl, std::move(hub));
}

} // namespace sio
