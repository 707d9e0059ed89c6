#include "actors/hub.hpp"

#include "lib/routing/group_index.hpp"
#include "lib/routing/group_name.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>
#include <unordered_map>

namespace sio {

namespace {

/// A connection's id and session; the id's bytes back the map key.
struct connection_entry {
  std::string id;
  client_session_actor session;
};

struct hub_state {
  hub_config cfg;
  /// connection id -> its session; keyed by views so that fan-out looks
  /// members up without building a string per recipient.
  std::unordered_map<std::string_view, std::unique_ptr<connection_entry>>
    sessions;
  routing::group_index groups;

  static inline const char* name = "hub";
};

using self_ptr = hub_actor::stateful_pointer<hub_state>;

void deliver(self_ptr self, const client_session_actor& s,
             const wire_batch& packets) {
  self->send(s, deliver_atom::value, packets);
}

hub_actor::behavior_type hub_impl(self_ptr self, hub_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [self](open_session& open) {
      auto& st = self->state;
      session_config sc;
      sc.hub_name = st.cfg.name;
      sc.connection_id = open.connection_id;
      sc.settings = st.cfg.session;
      sc.info = open.info;
      sc.hub = self;
      sc.handler = st.cfg.handler;
      sc.registry = st.cfg.registry;
      auto id = open.connection_id;
      auto session = spawn_client_session(self->system(), std::move(sc),
                                          std::move(open));
      // Registered before the handshake reply can reach the client, so the
      // client's next request finds it.
      st.cfg.registry->add(id, {st.cfg.name, session});
      auto entry = std::make_unique<connection_entry>(
        connection_entry{std::move(id), std::move(session)});
      std::string_view key = entry->id;
      st.sessions.erase(key); // ids are random; never reuse a stale key
      st.sessions.emplace(key, std::move(entry));
    },
    [self](socket_joined& j) {
      auto& st = self->state;
      st.groups.join(j.connection_id, routing::namespace_group(j.nsp));
      st.groups.join(j.connection_id, routing::room_group(j.nsp, j.socket_id));
    },
    [self](socket_left& l) {
      self->state.groups.leave_prefix(l.connection_id,
                                      routing::namespace_group(l.nsp));
    },
    [self](closed_atom, std::string& connection_id) {
      auto& st = self->state;
      st.groups.leave_all(connection_id);
      st.sessions.erase(connection_id);
    },
    [self](send_to_group& cmd) {
      auto& st = self->state;
      auto* members = st.groups.members(cmd.group);
      if (!members)
        return;
      for (auto conn : *members) {
        bool skip = false;
        for (auto& ex : cmd.excluded)
          if (ex == conn) {
            skip = true;
            break;
          }
        if (skip)
          continue;
        auto i = st.sessions.find(conn);
        if (i != st.sessions.end())
          deliver(self, i->second->session, cmd.packets);
      }
    },
    [self](stats_atom) {
      auto& st = self->state;
      return hub_stats{st.sessions.size(), st.groups.group_count()};
    },
    [self](handler_atom, event_handler_actor& handler) {
      self->state.cfg.handler = std::move(handler);
    },
  };
}

} // namespace

hub_actor spawn_hub(caf::actor_system& sys, hub_config cfg) {
  return sys.spawn(hub_impl, std::move(cfg));
}

} // namespace sio
