#include "actors/adapter_peer.hpp"

#include "actors/cluster_frames.hpp"
#include "actors/cluster_hub.hpp"
#include "actors/cluster_link.hpp"
#include "actors/dropped_messages.hpp"
#include "actors/packed_handshake.hpp"
#include "lib/cluster/adapter_channels.hpp"
#include "lib/cluster/adapter_codec.hpp"
#include "lib/cluster/adapter_encoders.hpp"
#include "lib/cluster/adapter_requests.hpp"
#include "lib/metrics/metrics.hpp"
#include "lib/routing/group_name.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

namespace sio {

namespace {

struct peer_state {
  adapter_peer_config cfg;
  std::string uid_prefix;  ///< "<channelPrefix>:": adapter uids of our nodes
  std::chrono::milliseconds request_timeout{5000};
  /// "<key>-request#<nsp>#" -> nsp, for the namespaces subscribed.
  std::unordered_map<std::string, std::string> request_channels;
  std::unordered_set<std::string> namespaces;
  dropped_messages drops;
  static inline const char* name = "adapter_peer";
};

using peer_actor = adapter_peer_actor::stateful_pointer<peer_state>;

void dropped(peer_actor self, const std::string& channel, const std::string& why) {
  auto& st = self->state;
  st.drops.drop(st.cfg.metrics, "adapter peer " + st.cfg.hub, channel, why);
}

/// Subscribes the request and response channels of `nsp` (once).
void join_namespace(peer_actor self, const std::string& nsp) {
  auto& st = self->state;
  if (st.namespaces.count(nsp))
    return;
  if (st.namespaces.size() >= adapter_peer_max_namespaces) {
    spdlog::warn("adapter peer {}: more than {} namespaces, {} not joined",
                 st.cfg.hub, adapter_peer_max_namespaces, nsp);
    return;
  }
  st.namespaces.insert(nsp);
  auto me = caf::actor_cast<caf::actor>(self);
  auto req = cluster::request_channel(st.cfg.adapter_key, nsp);
  st.request_channels.emplace(req, nsp);
  st.cfg.link->add_route(std::move(req), me);
  st.cfg.link->add_route(cluster::response_channel(st.cfg.adapter_key, nsp), me);
}

/// The target of the adapter's {rooms, except} in `nsp`.
target target_of(const std::string& nsp, const std::vector<std::string>& rooms,
                 const std::vector<std::string>& except) {
  target to;
  if (rooms.empty()) {
    to = target::group(routing::namespace_group(nsp));
  } else {
    to = target::group(routing::room_group(nsp, rooms.front()));
    for (size_t i = 1; i < rooms.size(); ++i)
      to.extra_groups.push_back(routing::room_group(nsp, rooms[i]));
  }
  for (auto& e : except)
    to.excluded_groups.push_back(routing::room_group(nsp, e));
  return to;
}


/// A broadcast of a Node.js server or emitter: the same fan-out to this
/// node's sockets as one of ours.
void on_broadcast(peer_actor self, const std::string& channel, const std::string& payload) {
  auto b = cluster::decode_broadcast(payload);
  if (!b) {
    dropped(self, channel, b.error());
    return;
  }
  if (b->uid.rfind(self->state.uid_prefix, 0) == 0 || b->opts.flags.is_local())
    return; // ours, delivered by our own bus
  self->send(self->state.cfg.local,
             send_command{target_of(b->nsp, b->opts.rooms, b->opts.except),
                          batch_of(b->frames)});
}

void publish_response(peer_actor self, const std::string& nsp, std::string payload) {
  self->state.cfg.link->publish(cluster::response_channel(self->state.cfg.adapter_key, nsp),
                                std::move(payload), [](bool, const std::string&) {});
}

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// Node's socket.handshake from what the hub kept of the connection.
std::string handshake_of(const std::string& hub, const socket_facts& s) {
  if (!s.handshake)
    return "{}";
  cluster::handshake_info h;
  connect_event ev;
  unpack_handshake(s.handshake->packed, ev);
  for (auto& [name, values] : ev.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "authorization")
      continue; // a client token, like the query's access_token: not shown
    std::string joined;
    for (auto& v : values)
      joined += (joined.empty() ? "" : ", ") + v;
    h.headers.emplace_back(std::move(lower), std::move(joined));
  }
  // The URL as the client asked for it, minus access_token (not kept).
  h.url = "/clients/socketio/hubs/" + hub + "/";
  char sep = '?';
  for (auto& [name, values] : ev.query)
    for (auto& v : values) {
      h.url += sep;
      h.url += percent_encode(name) + "=" + percent_encode(v);
      sep = '&';
      if (h.query.end() == std::find_if(h.query.begin(), h.query.end(),
                                        [&](auto& p) { return p.first == name; }))
        h.query.emplace_back(name, v);
    }
  h.issued_ms = s.handshake->issued_ms;
  h.address = s.handshake->remote_address;
  return cluster::handshake_json(h);
}

/// Asks the hub for the sockets and publishes `answer(sockets)`; a hub
/// that does not answer in time gets an empty list answered, so the Node
/// requester still completes.
template <class Answer>
void with_sockets(peer_actor self, sockets_query q, Answer answer) {
  self->request(self->state.cfg.local, self->state.request_timeout, std::move(q))
    .then([answer](sockets_answer& a) mutable { answer(a.sockets); },
          [self, answer](caf::error& err) mutable {
            spdlog::warn("adapter peer {}: hub query failed: {}", self->state.cfg.hub,
                         self->system().render(err));
            std::vector<socket_facts> none;
            answer(none);
          });
}

void on_request(peer_actor self, const std::string& nsp, const std::string& payload) {
  auto& st = self->state;
  auto r = cluster::decode_request(payload);
  if (!r) {
    dropped(self, cluster::request_channel(st.cfg.adapter_key, nsp), r.error());
    return;
  }
  // Our own nodes' requests (none today) are served by our own bus.
  if (!r->uid.empty() && r->uid.rfind(st.uid_prefix, 0) == 0)
    return;
  using cluster::request_type;
  auto rooms = r->opts ? r->opts->rooms : r->rooms;
  auto except = r->opts ? r->opts->except : std::vector<std::string>{};
  switch (static_cast<request_type>(r->type)) {
    case request_type::sockets:
      if (!r->request_id)
        return;
      with_sockets(self, {nsp, std::move(rooms), std::move(except)},
                   [self, nsp, id = *r->request_id](std::vector<socket_facts>& list) {
                     std::vector<std::string> ids;
                     for (auto& s : list)
                       ids.push_back(std::move(s.socket_id));
                     publish_response(self, nsp, cluster::encode_sockets_response(id, ids));
                   });
      return;
    case request_type::all_rooms:
      if (!r->request_id)
        return;
      with_sockets(self, {nsp, {}, {}},
                   [self, nsp, id = *r->request_id](std::vector<socket_facts>& list) {
                     std::vector<std::string> all;
                     std::unordered_set<std::string> seen;
                     for (auto& s : list)
                       for (auto& room : s.rooms)
                         if (seen.insert(room).second)
                           all.push_back(room);
                     publish_response(self, nsp, cluster::encode_all_rooms_response(id, all));
                   });
      return;
    case request_type::remote_fetch:
      if (!r->request_id)
        return;
      with_sockets(self, {nsp, std::move(rooms), std::move(except)},
                   [self, nsp, id = *r->request_id](std::vector<socket_facts>& list) {
                     std::vector<cluster::fetched_socket> out;
                     out.reserve(list.size());
                     for (auto& s : list) {
                       cluster::fetched_socket f;
                       f.id = s.socket_id;
                       f.handshake_json = handshake_of(self->state.cfg.hub, s);
                       f.rooms = std::move(s.rooms);
                       out.push_back(std::move(f));
                     }
                     publish_response(self, nsp, cluster::encode_fetch_response(id, out));
                   });
      return;
    case request_type::remote_join:
    case request_type::remote_leave: {
      bool add = r->type == static_cast<int>(request_type::remote_join);
      membership_command c;
      c.add = add;
      if (r->opts) {
        c.to = target_of(nsp, r->opts->rooms, r->opts->except);
        for (auto& room : r->rooms)
          c.groups.push_back(routing::room_group(nsp, room));
      } else if (!r->sid.empty() && !r->room.empty()) {
        // The pre-8 single-socket form.
        c.to = target::group(routing::room_group(nsp, r->sid));
        c.groups.push_back(routing::room_group(nsp, r->room));
      }
      if (c.groups.empty())
        return; // nothing to join or leave; "leave all" is not a thing here
      // A request (the hub answers a count): still in order with sends.
      self->request(st.cfg.local, st.request_timeout, std::move(c))
        .then([](uint64_t) {}, [](caf::error&) {});
      return;
    }
    case request_type::remote_disconnect:
      if (r->opts)
        self->send(st.cfg.local,
                   disconnect_command{target_of(nsp, r->opts->rooms, r->opts->except), nsp,
                                      r->close});
      else if (!r->sid.empty())
        self->send(st.cfg.local,
                   disconnect_command{target::group(routing::room_group(nsp, r->sid)), nsp,
                                      r->close});
      return;
    case request_type::server_side_emit:
      // No application listener here: answer at once so the requester
      // does not wait out its timeout.
      if (r->request_id)
        publish_response(self, nsp,
                         cluster::encode_server_side_emit_response(*r->request_id, "null"));
      return;
    case request_type::broadcast: {
      if (!r->broadcast || !r->request_id)
        return;
      auto& b = *r->broadcast;
      // Our clients get it without an ack id: their acks are not collected,
      // so this node reports 0 clients waiting.
      self->send(st.cfg.local,
                 send_command{target_of(nsp, b.opts.rooms, b.opts.except),
                              batch_of(b.frames)});
      publish_response(self, nsp, cluster::encode_client_count(*r->request_id, 0));
      return;
    }
    default:
      return; // unknown or answer types: Node ignores them too
  }
}

adapter_peer_actor::behavior_type peer(peer_actor self, adapter_peer_config cfg) {
  self->state.uid_prefix = cfg.link->settings().channel_prefix + ":";
  self->state.request_timeout = std::chrono::milliseconds{cfg.link->settings().request_timeout};
  self->state.cfg = std::move(cfg);
  return {
    [self](bus_atom, std::string& channel, std::string& payload) {
      auto& st = self->state;
      auto kind = cluster::classify_channel(st.cfg.adapter_key, channel).kind;
      if (kind == cluster::channel_kind::broadcast) {
        on_broadcast(self, channel, payload);
      } else if (kind == cluster::channel_kind::request) {
        auto it = st.request_channels.find(channel);
        if (it != st.request_channels.end())
          on_request(self, it->second, payload);
      }
      // Responses: we send no requests, so there is nothing to wait for;
      // the channel is subscribed because a Node adapter subscribes it too.
    },
    [self](namespace_atom, std::string& nsp) {
      join_namespace(self, nsp);
    },
  };
}

} // namespace

adapter_peer_actor spawn_adapter_peer(caf::actor_system& sys, adapter_peer_config cfg) {
  auto link = cfg.link;
  auto key = cfg.adapter_key;
  auto local = cfg.local;
  auto actor = sys.spawn(peer, std::move(cfg));
  auto me = caf::actor_cast<caf::actor>(actor);
  link->route_pattern(cluster::all_broadcasts_pattern(key), me);
  link->add_route(cluster::request_channel(key, "/"), me);
  link->add_route(cluster::response_channel(key, "/"), me);
  // "/" now, with the link's first subscriptions; the hub tells the others.
  caf::anon_send(actor, namespace_atom::value, std::string{"/"});
  caf::anon_send(local, namespace_atom::value, me);
  return actor;
}

} // namespace sio
