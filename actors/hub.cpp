// The hub actor: its behavior, fan-out to the connections (directly to a
// WebSocket or through the session, with the hand-over between the two),
// memberships and lifecycle notices. Its state and the parts in other
// files: actors/hub_state.hpp.
#include "actors/hub.hpp"

#include "actors/hub_state.hpp"
#include "actors/packed_handshake.hpp"
#include "lib/http/ws_connection.hpp"
#include "lib/routing/group_name.hpp"

#include <asio/ip/address.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace sio {

namespace hub_parts {

namespace {

/// Fan-out batches a hub holds for one connection during a hand-over
/// before it routes them through the session and starts a new round.
constexpr size_t max_held_batches = 256;

/// The client's IP as connection_entry keeps it (zero when unparsable).
std::array<uint8_t, 16> pack_address(const std::string& text) {
  asio::error_code ec;
  auto a = asio::ip::make_address(text, ec);
  if (ec)
    return {};
  auto v6 = a.is_v4() ? asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4())
                      : a.to_v6();
  return v6.to_bytes();
}

/// How the hub writes fan-out to a WebSocket: every connection the same
/// way. Batched: one sender writes to thousands of connections in bursts;
/// queued frames leave in one gather write on each connection's I/O thread
/// instead of a system call per frame on the hub's thread.
constexpr auto fanout_policy = http::ws_connection::write_policy::batched;

/// Writes a batch straight to a connection's WebSocket; the packets'
/// bytes are shared, each connection queues a pointer. Packets written.
uint64_t write_direct(http::ws_connection& ws, const wire_batch& batch) {
  for (auto& p : *batch)
    ws.send(p.frame, p.binary, fanout_policy);
  return batch->size();
}

/// Starts (or restarts) the hand-over of `e`'s fan-out: a marker to the
/// session, behind every delivery already sent to it.
void send_handoff_marker(self_ptr self, connection_entry& e) {
  self->send(e.session, tick_atom::value, fanout_marker_tick, ++e.handover->round);
}

/// Fan-out for a connection in hand-over: held until the marker's echo. A
/// session that is slow to echo gets the held batches routed through it
/// after all, then a new marker, so the hub never holds more than
/// max_held_batches per connection.
void hold(self_ptr self, connection_entry& e, const wire_batch& batch) {
  auto& h = *e.handover;
  h.held.push_back(batch);
  if (h.held.size() < max_held_batches)
    return;
  for (auto& b : h.held)
    self->send(e.session, deliver_atom::value, b);
  h.held.clear();
  send_handoff_marker(self, e);
}

} // namespace

uint64_t deliver(self_ptr self, connection_entry& e, const wire_batch& batch) {
  if (e.ws)
    return write_direct(*e.ws, batch);
  if (is_away(e))
    return 0; // the log keeps what its socket misses (stamp_and_log)
  if (e.handover)
    hold(self, e, batch);
  else
    self->send(e.session, deliver_atom::value, batch);
  return 0;
}

namespace {

/// Tells the directory (if any) that a socket ended.
void directory_left(hub_state& st, const std::string& connection_id,
                    std::string nsp, std::string socket_id, std::string user_id) {
  if (st.cfg.directory)
    st.cfg.directory->left(
      {st.cfg.name, connection_id, std::move(nsp), std::move(socket_id), std::move(user_id)});
}

} // namespace

void drop_managed(connection_entry& e, std::string_view prefix) {
  e.managed.erase(std::remove_if(e.managed.begin(), e.managed.end(),
                                 [&](std::string_view g) {
                                   return g.substr(0, prefix.size()) == prefix;
                                 }),
                  e.managed.end());
}

void forget_connection(hub_state& st, const std::string& id) {
  auto i = st.connections.find(id);
  if (i == st.connections.end())
    return;
  auto& e = *i->second;
  // Its sockets still open end with it: their own rooms say which.
  if (st.cfg.directory)
    for (auto g : e.managed)
      if (auto ref = routing::parse_group(g); ref && !ref->room.empty())
        directory_left(st, e.id, std::move(ref->nsp), std::move(ref->room), e.user_id);
  if (!e.user_id.empty()) {
    auto u = st.users.find(e.user_id);
    if (u != st.users.end()) {
      u->second.erase(std::string_view{e.id});
      if (u->second.empty())
        st.users.erase(u);
    }
  }
  st.groups.leave_all(id);
  st.connections.erase(i);
}

void notify_disconnected(self_ptr self, socket_ref socket, const std::string& reason) {
  auto& st = self->state;
  disconnected_event ev{std::move(socket), reason};
  if (st.context->inline_events) {
    try {
      st.context->inline_events->on_disconnected(ev);
    } catch (...) {
      spdlog::warn("event handler failed for connection={}: {}", ev.socket.connection_id,
                   detail::exception_text(std::current_exception()));
    }
  } else if (st.cfg.handler) {
    self->send(st.cfg.handler, std::move(ev));
  }
}

namespace {

/// The handler new sessions get: an actor or an inline one (which the
/// sessions find in their shared context; open sessions keep theirs).
void set_handler(hub_state& st, event_handler_actor actor,
                 inline_handler_ptr inline_events) {
  st.cfg.handler = std::move(actor);
  if (st.context->inline_events != inline_events) {
    auto next = std::make_shared<session_context>(*st.context);
    next->inline_events = std::move(inline_events);
    st.context = std::move(next);
  }
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// The handshake facts a Node peer's fetchSockets shows (cluster only).
std::shared_ptr<const handshake_facts> make_handshake_facts(const handshake_info& info) {
  auto f = std::make_shared<handshake_facts>();
  f->packed = pack_handshake(info);
  f->remote_address = info.remote_address;
  f->issued_ms = now_ms();
  return f;
}

hub_full_actor::behavior_type hub_impl(self_ptr self, hub_config cfg) {
  self->state.cfg = std::move(cfg);
  auto& c = self->state.cfg;
  self->state.context
    = session_context::make(c.name, c.session, c.registry, c.metrics);
  if (c.metrics) {
    metrics::labels hub{{"hub", c.name}};
    auto& st = self->state;
    st.acked_sends = &c.metrics->get_counter(
      "sio_acked_sends_total", "Sends that waited for their sockets' acks.", hub);
    st.acks_in = &c.metrics->get_counter(
      "sio_acks_received_total", "Acks clients sent for acked sends.", hub);
    st.ack_timeouts = &c.metrics->get_counter(
      "sio_ack_timeouts_total",
      "Recipients of acked sends that did not answer in time or went.", hub);
  }
  if (c.recovery.enabled) {
    start_recovery(self->state);
    // A service that stops ends the sockets it keeps: their handler hears
    // of each one's end (the stop waits for the handlers to drain).
    self->set_exit_handler([self](caf::exit_msg& m) {
      end_all_kept(self);
      self->quit(std::move(m.reason));
    });
  }
  return {
    [self](open_session& open) {
      auto& st = self->state;
      session_config sc;
      sc.connection_id = open.connection_id;
      sc.context = st.context;
      // The session keeps the handshake facts; open_session's copy goes.
      sc.info = std::move(open.info);
      sc.hub = self;
      sc.handler = st.cfg.handler;
      auto id = open.connection_id;
      auto user = sc.info.user_id;
      auto initial_groups = std::move(sc.info.groups);
      std::shared_ptr<const handshake_facts> facts;
      if (st.cfg.keep_handshakes)
        facts = make_handshake_facts(sc.info);
      auto ws = open.websocket ? open.ws.conn : nullptr;
      auto address = pack_address(sc.info.remote_address);
      auto session = spawn_client_session(self->system(), std::move(sc),
                                          std::move(open));
      auto entry = std::make_unique<connection_entry>(
        connection_entry{std::move(id), std::move(user), std::move(session),
                         std::move(ws), nullptr, {}, std::move(facts),
                         now_ms(), address});
      std::string_view key = entry->id;
      st.connections.erase(key); // ids are random; never reuse a stale key
      if (!entry->user_id.empty())
        st.users[entry->user_id].insert(key);
      st.connections.emplace(key, std::move(entry));
      // Token groups (webpubsub.group) are joined at the handshake.
      for (auto& g : initial_groups)
        if (routing::is_valid_group_name(g))
          st.groups.join(key, g);
    },
    [self](socket_joined& j) {
      auto& st = self->state;
      auto* e = find_connection(st, j.connection_id);
      if (!e)
        return;
      for (auto g : {routing::namespace_group(j.nsp),
                     routing::room_group(j.nsp, j.socket_id)}) {
        st.groups.join(e->id, g);
        e->managed.push_back(st.groups.stored_name(g));
      }
      // What the handler's verdict added (connect answer userId / groups).
      std::string_view key = e->id;
      if (!j.user_id.empty() && j.user_id != e->user_id) {
        if (!e->user_id.empty())
          if (auto u = st.users.find(e->user_id); u != st.users.end()) {
            u->second.erase(key);
            if (u->second.empty())
              st.users.erase(u);
          }
        e->user_id = std::move(j.user_id);
        st.users[e->user_id].insert(key);
      }
      for (auto& g : j.groups)
        if (routing::is_valid_group_name(g))
          st.groups.join(key, g);
      if (st.recovery)
        note_joined(st, j);
      if (st.cfg.directory)
        st.cfg.directory->joined({st.cfg.name, e->id, j.nsp, j.socket_id, e->user_id});
      if (st.namespaces.count(j.nsp) == 0) {
        st.namespaces.insert(j.nsp);
        if (st.namespace_watcher)
          caf::anon_send(st.namespace_watcher, namespace_atom::value, j.nsp);
      }
    },
    [self](socket_left& l) {
      // Every group of that namespace: its own room, the namespace, rooms.
      auto& st = self->state;
      auto prefix = routing::namespace_group(l.nsp);
      if (auto* e = find_connection(st, l.connection_id))
        drop_managed(*e, prefix);
      st.groups.leave_prefix(l.connection_id, prefix);
      if (st.recovery)
        note_left(st, l.connection_id, l.nsp);
      if (st.acks.awaited() > 0)
        answer_acked_sends(st, st.acks.gone(l.connection_id, &l.nsp, l.reason));
      directory_left(st, l.connection_id, std::move(l.nsp), std::move(l.socket_id), {});
    },
    [self](orphaned_sockets& o) {
      // Sent by the node that found their node dead: the handler hears of
      // each one's end as if this node had held it.
      for (auto& s : o.sockets)
        notify_disconnected(self, std::move(s), o.reason);
      if (!o.kept.empty()) {
        if (self->state.recovery) {
          adopt_orphans(self, o.kept);
        } else {
          // This node's config has no recovery for the hub: they end now.
          for (auto& t : o.kept)
            notify_disconnected(self,
                                {self->state.cfg.name, t.record.connection_id, t.record.nsp,
                                 t.record.socket_id, t.record.user_id},
                                t.record.reason);
        }
      }
    },
    [self](kept_taken& t) {
      if (self->state.recovery)
        resume_taken(self, t);
    },
    [self](closed_atom, std::string& connection_id, std::string& reason) {
      auto& st = self->state;
      if (!st.recovery || !keep_lost(self, connection_id, reason)) {
        forget_connection(st, connection_id);
        drop_aliases_of(st, connection_id);
      }
      if (st.acks.awaited() > 0)
        answer_acked_sends(st, st.acks.gone(connection_id, nullptr, reason));
    },
    [self](restore_request& r) -> caf::result<restore_answer> {
      auto answer = self->make_response_promise<restore_answer>();
      if (!self->state.recovery)
        answer.deliver(restore_answer{});
      else
        restore_socket(self, r, answer);
      return answer;
    },
    [self](sweep_atom) {
      if (self->state.recovery)
        sweep(self);
    },
    [self](resume_claim& c) -> moved_socket {
      if (!self->state.recovery)
        return {};
      return hand_over(self, c);
    },
    [self](bus_atom, caf::actor& front) {
      if (self->state.recovery)
        self->state.recovery->front = std::move(front);
    },
    [self](client_ack& a) {
      auto& st = self->state;
      auto done = st.acks.answer(a.connection_id, a.nsp, a.id, std::move(a.args),
                                 std::move(a.attachments));
      if (st.acks_in)
        st.acks_in->inc();
      if (done)
        answer_acked_sends(st, {*done});
    },
    [self](timeout_atom, uint64_t send_id) {
      answer_acked_sends(self->state, {send_id});
    },
    [self](acked_send_command& cmd) -> caf::result<ack_result> {
      return start_acked_send(self, cmd);
    },
    [self](socket_upgraded& u) {
      auto* e = find_connection(self->state, u.connection_id);
      if (!e || e->ws || e->handover || !u.ws)
        return;
      e->handover = std::make_unique<fanout_switch>();
      e->handover->ws = std::move(u.ws);
      send_handoff_marker(self, *e);
    },
    [self](fanout_handoff& h) {
      // Why the order holds. Messages from the hub to a session arrive in
      // the order they were sent, and the session handles them in that
      // order; its deliver handler writes into the WebSocket before it
      // returns. The hub sent the marker after every delivery it routed
      // through the session, and since then has held this connection's
      // fan-out instead of sending it. So when the session echoes the
      // marker, every earlier delivery is in the WebSocket's write queue
      // (or on the wire); the held batches and all later fan-out written
      // here queue behind them, in the order the hub handled the sends.
      // An echo of an earlier round (a session that was slow to answer got
      // a new marker behind the held batches) is not the end: wait for
      // the current one.
      auto& st = self->state;
      auto* e = find_connection(st, h.connection_id);
      if (!e || !e->handover || h.round != e->handover->round)
        return;
      auto handover = std::move(e->handover);
      e->ws = std::move(handover->ws);
      uint64_t direct = 0;
      for (auto& b : handover->held)
        direct += write_direct(*e->ws, b);
      if (st.context->counters && direct > 0)
        st.context->counters->packets_out->inc(direct);
    },
    [self](send_command& cmd) {
      if (!cmd.packets || cmd.packets->empty())
        return;
      auto& st = self->state;
      // With recovery, every socket gets the same stamped packets (one
      // copy per send, not per recipient).
      auto packets = st.recovery ? stamp_and_log(st, cmd.to, cmd.packets) : cmd.packets;
      // In a cluster, what kept sockets miss is written to Redis too.
      bool logged = st.recovery && st.cfg.directory && packets != cmd.packets
                    && !st.recovery->away.empty();
      std::vector<connection_entry*> away;
      uint64_t direct = 0;
      for_each_target(st, cmd.to, [&](connection_entry& e) {
        if (logged && is_away(e))
          away.push_back(&e);
        direct += deliver(self, e, packets);
      });
      if (!away.empty())
        note_missed(st, away, st.recovery->log.back());
      if (st.context->counters && direct > 0)
        st.context->counters->packets_out->inc(direct);
    },
    [self](disconnect_command& cmd) {
      for_each_target(self->state, cmd.to, [&](connection_entry& e) {
        if (is_away(e))
          end_away(self, e.id, cmd.close ? nullptr : &cmd.nsp);
        else
          self->send(e.session, disconnect_atom::value, cmd.nsp, cmd.close);
      });
    },
    [self](close_command& cmd) {
      auto reason = cmd.reason.empty() ? std::string{"forced server close"}
                                       : cmd.reason;
      for_each_target(self->state, cmd.to, [&](connection_entry& e) {
        if (is_away(e))
          end_away(self, e.id, nullptr);
        else
          self->send(e.session, close_atom::value, reason, false);
      });
    },
    [self](membership_command& cmd) -> uint64_t {
      auto& st = self->state;
      uint64_t n = 0;
      for_each_target(st, cmd.to, [&](connection_entry& e) {
        ++n;
        if (cmd.groups.empty() && !cmd.add) {
          // Remove from all groups but the ones the sockets need.
          std::vector<std::string> leave;
          if (auto* gs = st.groups.groups_of(e.id))
            for (auto g : *gs)
              if (std::find(e.managed.begin(), e.managed.end(), g)
                  == e.managed.end())
                leave.emplace_back(g);
          for (auto& g : leave)
            st.groups.leave(e.id, g);
          if (st.recovery && is_away(e))
            note_away_groups(st, e);
          return;
        }
        for (auto& g : cmd.groups) {
          if (cmd.add) {
            st.groups.join(e.id, g);
            continue;
          }
          // An explicit remove may take a managed group too: drop its view
          // before the name it points at can go.
          e.managed.erase(std::remove(e.managed.begin(), e.managed.end(),
                                      std::string_view{g}),
                          e.managed.end());
          st.groups.leave(e.id, g);
        }
        if (st.recovery && is_away(e))
          note_away_groups(st, e);
      });
      return n;
    },
    [self](exists_query& q) -> bool {
      bool found = false;
      for_each_target(self->state, q.to,
                      [&](connection_entry&) { found = true; });
      return found;
    },
    [self](list_query& q) -> std::vector<connection_info> {
      std::vector<connection_info> out;
      for_each_target(self->state, q.to, [&](connection_entry& e) {
        if (out.size() < q.max)
          out.push_back({e.id, e.user_id});
      });
      std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
        return a.connection_id < b.connection_id;
      });
      return out;
    },
    [self](stats_atom) {
      auto& st = self->state;
      return hub_stats{st.connections.size(), st.groups.group_count(),
                       st.recovery ? st.recovery->kept.size() : 0};
    },
    [self](handler_atom, event_handler_actor& handler) {
      set_handler(self->state, std::move(handler), nullptr);
    },
    [self](handler_atom, inline_handler_ptr& handler) {
      set_handler(self->state, {}, std::move(handler));
    },
    [self](socket_list_query& q) -> socket_page {
      return list_sockets(self->state, q);
    },
    [self](sockets_query& q) -> sockets_answer {
      return local_sockets(self->state, q);
    },
    [self](namespace_atom, caf::actor& watcher) {
      auto& st = self->state;
      st.namespace_watcher = std::move(watcher);
      for (auto& nsp : st.namespaces)
        caf::anon_send(st.namespace_watcher, namespace_atom::value, nsp);
    },
  };
}

} // namespace

} // namespace hub_parts

hub_full_actor spawn_hub(caf::actor_system& sys, hub_config cfg) {
  return sys.spawn(hub_parts::hub_impl, std::move(cfg));
}

} // namespace sio
