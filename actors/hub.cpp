#include "actors/hub.hpp"

#include "actors/packed_handshake.hpp"
#include "actors/pending_acks.hpp"
#include "lib/http/ws_connection.hpp"
#include "lib/metrics/metrics.hpp"
#include "lib/protocol/eio_codec.hpp"
#include "lib/protocol/sio_encoder.hpp"
#include "lib/routing/group_index.hpp"
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

namespace {

/// Fan-out batches a hub holds for one connection during a hand-over
/// before it routes them through the session and starts a new round.
constexpr size_t max_held_batches = 256;

/// The hand-over of an upgraded connection's fan-out from its session to
/// the hub (see the fanout_handoff handler for why the order holds).
struct fanout_switch {
  std::shared_ptr<http::ws_connection> ws;  ///< the upgraded transport
  uint64_t round = 0;  ///< the marker whose echo completes the hand-over
  std::vector<wire_batch> held;  ///< fan-out since that marker, in order
};

/// A connection's id, user and session; the id's bytes back the map keys.
struct connection_entry {
  std::string id;
  std::string user_id;
  client_session_actor session;
  /// The WebSocket transport of the connection (WebSocket-only, or upgraded
  /// and handed over): fan-out writes to it directly, one write policy for
  /// all, instead of through the session's mailbox (one actor message and
  /// activation less per recipient). Null for polling connections, whose
  /// session owns the polling queue, and during a hand-over.
  std::shared_ptr<http::ws_connection> ws;
  /// Non-null while an upgraded connection's fan-out is being handed over.
  std::unique_ptr<fanout_switch> handover;
  /// Groups the service manages for its sockets (namespace groups and
  /// socket rooms); "remove from all groups" keeps these. Views of the
  /// group index's names, not copies (~80 bytes less per connection): valid
  /// while this connection is a member, and every path that makes it leave
  /// one (socket_left, an explicit remove) drops the view first.
  std::vector<std::string_view> managed;
  /// Cluster only (hub_config::keep_handshakes): for sockets_query.
  std::shared_ptr<const handshake_facts> handshake;
  /// When the connection opened (ms since the epoch) and the client's IP
  /// (IPv6, IPv4 mapped): socket listings. 16 bytes rather than a string,
  /// so that the entry keeps jemalloc's 160-byte class.
  int64_t connected_ms = 0;
  std::array<uint8_t, 16> address{};
};

#if defined(__GLIBCXX__) && defined(__x86_64__)
static_assert(sizeof(connection_entry) <= 160,
              "connection_entry grew past jemalloc's 160-byte class: every "
              "connection costs 32 bytes more");
#endif

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

/// The address pack_address kept, as text ("" for none).
std::string address_text(const std::array<uint8_t, 16>& bytes) {
  if (bytes == std::array<uint8_t, 16>{})
    return {};
  asio::ip::address_v6 v6{bytes};
  if (v6.is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  return v6.to_string();
}

struct hub_state {
  hub_config cfg;
  /// What every session of this hub shares (settings, registry, metrics
  /// and the per-event counters, which the hub bumps too).
  std::shared_ptr<const session_context> context;
  /// connection id -> entry; keyed by views into the entry so that fan-out
  /// looks members up without building a string per recipient.
  std::unordered_map<std::string_view, std::unique_ptr<connection_entry>>
    connections;
  /// user id -> its connections (views into the entries)
  std::unordered_map<std::string, std::unordered_set<std::string_view>> users;
  routing::group_index groups;
  /// Namespaces that have had local sockets, and who wants to know them
  /// (the cluster's adapter peer; see namespace_atom).
  std::unordered_set<std::string> namespaces;
  caf::actor namespace_watcher;
  /// Acked sends awaiting their sockets' answers, and who waits for each.
  pending_acks acks{pending_acks::limits{}};
  std::unordered_map<uint64_t, caf::typed_response_promise<ack_result>> ack_waiters;
  metrics::counter* acked_sends = nullptr;  ///< sio_acked_sends_total
  metrics::counter* acks_in = nullptr;      ///< sio_acks_received_total
  metrics::counter* ack_timeouts = nullptr; ///< sio_ack_timeouts_total

  static inline const char* name = "hub";
};

using self_ptr = hub_full_actor::stateful_pointer<hub_state>;

connection_entry* find_connection(hub_state& st, std::string_view id) {
  auto i = st.connections.find(id);
  return i == st.connections.end() ? nullptr : i->second.get();
}

/// The connections a target leaves out: its excluded ids, hashed when
/// there are many (a send to 10k sockets excluding k of them must not cost
/// 10k x k), and the members of its excluded groups. The views into the
/// group index are only read while the target's connections are collected.
class exclusions {
public:
  exclusions(const target& to, const routing::group_index& groups)
    : ids_(to.excluded) {
    if (ids_.size() <= 8 && to.excluded_groups.empty())
      return;
    hashed_ = true;
    set_.insert(ids_.begin(), ids_.end());
    for (auto& g : to.excluded_groups)
      if (auto* members = groups.members(g))
        for (auto id : *members)
          set_.insert(id);
  }

  bool contains(std::string_view id) const {
    if (hashed_)
      return set_.count(id) > 0;
    return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
  }

private:
  const std::vector<std::string>& ids_;
  bool hashed_ = false;
  std::unordered_set<std::string_view> set_;
};

/// True if `e` passes the target's exclusions and filter.
bool admits(hub_state& st, const target& to, const exclusions& excluded,
            const connection_entry& e) {
  if (excluded.contains(e.id))
    return false;
  if (!to.filter)
    return true;
  routing::filter_subject subject;
  subject.connection_id = e.id;
  subject.user_id = e.user_id.empty() ? nullptr : &e.user_id;
  subject.groups = st.groups.groups_of(e.id);
  return to.filter->matches(subject);
}

/// Calls `f(entry)` for every connection the target addresses. Collects
/// first, so `f` may change memberships.
template <class F>
void for_each_target(hub_state& st, const target& to, F f) {
  std::vector<connection_entry*> hits;
  exclusions excluded{to, st.groups};
  auto consider = [&](std::string_view id) {
    if (auto* e = find_connection(st, id); e && admits(st, to, excluded, *e))
      hits.push_back(e);
  };
  switch (to.kind) {
    case target_kind::all: {
      // A filter that needs group membership narrows the scan to members.
      std::vector<std::string> candidates;
      if (to.filter && to.filter->candidate_groups(candidates)) {
        std::unordered_set<std::string_view> seen;
        for (auto& g : candidates)
          if (auto* members = st.groups.members(g))
            for (auto id : *members)
              if (seen.insert(id).second)
                consider(id);
      } else {
        hits.reserve(st.connections.size());
        for (auto& [id, e] : st.connections)
          if (admits(st, to, excluded, *e))
            hits.push_back(e.get());
      }
      break;
    }
    case target_kind::group:
      if (to.extra_groups.empty()) {
        if (auto* members = st.groups.members(to.name)) {
          hits.reserve(members->size());
          for (auto id : *members)
            consider(id);
        }
      } else {
        // A union of groups: a connection in several of them counts once.
        std::unordered_set<std::string_view> seen;
        auto consider_members = [&](std::string_view g) {
          if (auto* members = st.groups.members(g))
            for (auto id : *members)
              if (seen.insert(id).second)
                consider(id);
        };
        consider_members(to.name);
        for (auto& g : to.extra_groups)
          consider_members(g);
      }
      break;
    case target_kind::connection:
      consider(to.name);
      break;
    case target_kind::user:
      if (auto i = st.users.find(to.name); i != st.users.end())
        for (auto id : i->second)
          consider(id);
      break;
  }
  for (auto* e : hits)
    f(*e);
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

/// Fan-out to one connection, the same path for every send so that each
/// socket gets the hub's sends in the order the hub handled them. Returns
/// the packets written here directly (the rest go through the session).
uint64_t deliver(self_ptr self, connection_entry& e, const wire_batch& batch) {
  if (e.ws)
    return write_direct(*e.ws, batch);
  if (e.handover)
    hold(self, e, batch);
  else
    self->send(e.session, deliver_atom::value, batch);
  return 0;
}

/// Tells the directory (if any) that a socket ended.
void directory_left(hub_state& st, const std::string& connection_id,
                    std::string nsp, std::string socket_id, std::string user_id) {
  if (st.cfg.directory)
    st.cfg.directory->left(
      {st.cfg.name, connection_id, std::move(nsp), std::move(socket_id), std::move(user_id)});
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

/// The id of e's socket in the namespace whose group is `prefix`
/// (routing::namespace_group): the room of its managed own-room group.
/// Empty when the connection has no socket there.
std::string socket_of(const connection_entry& e, const std::string& nsp,
                      std::string_view prefix) {
  for (auto g : e.managed)
    if (g.size() > prefix.size() && g.compare(0, prefix.size(), prefix) == 0)
      if (auto ref = routing::parse_group(g); ref && ref->nsp == nsp)
        return std::move(ref->room);
  return {};
}

/// Answers every acked send in `sends` that has nothing left to wait for.
void answer_acked_sends(hub_state& st, const std::vector<uint64_t>& sends) {
  for (auto id : sends) {
    auto w = st.ack_waiters.find(id);
    auto result = st.acks.finish(id);
    if (w == st.ack_waiters.end())
      continue;
    if (result) {
      if (st.ack_timeouts && !result->timed_out.empty())
        st.ack_timeouts->inc(result->timed_out.size());
      w->second.deliver(std::move(*result));
    }
    st.ack_waiters.erase(w);
  }
}

/// acked_send_command: the event to each recipient socket with its own ack
/// id, through the connection's one fan-out path (its order kept).
caf::result<ack_result> start_acked_send(self_ptr self, acked_send_command& cmd) {
  auto& st = self->state;
  auto prefix = routing::namespace_group(cmd.nsp);
  std::vector<pending_acks::recipient> recipients;
  std::vector<connection_entry*> entries;
  for_each_target(st, cmd.to, [&](connection_entry& e) {
    auto socket_id = socket_of(e, cmd.nsp, prefix);
    if (socket_id.empty())
      return; // no socket in the namespace: not a recipient
    recipients.push_back({std::move(socket_id), e.id, e.user_id});
    entries.push_back(&e);
  });
  if (recipients.empty())
    return ack_result{};
  if (auto why = st.acks.refusal(recipients); !why.empty()) {
    ack_result refused;
    refused.refused = std::move(why);
    return refused;
  }
  std::vector<uint64_t> ids;
  auto send_id = st.acks.open(cmd.nsp, std::move(recipients), ids);
  auto timeout = std::clamp(cmd.timeout, std::chrono::milliseconds{1},
                            std::chrono::milliseconds{60000});
  if (st.acked_sends)
    st.acked_sends->inc();
  // The attachments' frames are shared; only the text differs by its id.
  using protocol::sio_packet_type;
  auto type = cmd.attachments.empty() ? sio_packet_type::event
                                      : sio_packet_type::binary_event;
  std::vector<wire_packet> attachments;
  for (auto& bytes : cmd.attachments)
    attachments.push_back({true, std::make_shared<const std::string>(bytes)});
  uint64_t direct = 0;
  for (size_t k = 0; k < entries.size(); ++k) {
    auto batch = std::make_shared<std::vector<wire_packet>>();
    batch->reserve(1 + attachments.size());
    batch->push_back({false, std::make_shared<const std::string>(protocol::encode_message(
                               type, cmd.nsp, ids[k], cmd.data, cmd.attachments.size()))});
    batch->insert(batch->end(), attachments.begin(), attachments.end());
    direct += deliver(self, *entries[k], std::move(batch));
  }
  if (st.context->counters && direct > 0)
    st.context->counters->packets_out->inc(direct);
  self->delayed_send(self, timeout, timeout_atom::value, send_id);
  auto promise = self->make_response_promise<ack_result>();
  st.ack_waiters.emplace(send_id, promise);
  return promise;
}

/// socket_list_query: a page of the target's sockets in socket id order.
socket_page list_sockets(hub_state& st, const socket_list_query& q) {
  struct candidate {
    std::string socket_id;
    std::string nsp;
    connection_entry* entry;
  };
  std::vector<candidate> found;
  for_each_target(st, q.to, [&](connection_entry& e) {
    // A socket's managed own-room group names its namespace and id.
    for (auto g : e.managed)
      if (auto ref = routing::parse_group(g); ref && !ref->room.empty()
          && (q.nsp.empty() || ref->nsp == q.nsp) && ref->room > q.after)
        found.push_back({std::move(ref->room), std::move(ref->nsp), &e});
  });
  auto max = std::max<size_t>(q.max, 1);
  socket_page page;
  page.more = found.size() > max;
  auto end = found.begin() + static_cast<std::ptrdiff_t>(std::min(max, found.size()));
  std::partial_sort(found.begin(), end, found.end(),
                    [](auto& a, auto& b) { return a.socket_id < b.socket_id; });
  found.erase(end, found.end());
  for (auto& c : found) {
    socket_info s;
    auto& e = *c.entry;
    s.rooms.push_back(c.socket_id);
    auto prefix = routing::namespace_group(c.nsp);
    std::vector<std::string> joined;
    if (auto* gs = st.groups.groups_of(e.id))
      for (auto g : *gs)
        if (g.size() > prefix.size() && g.compare(0, prefix.size(), prefix) == 0)
          if (auto ref = routing::parse_group(g);
              ref && ref->nsp == c.nsp && !ref->room.empty() && ref->room != c.socket_id)
            joined.push_back(std::move(ref->room));
    std::sort(joined.begin(), joined.end());
    s.rooms.insert(s.rooms.end(), std::make_move_iterator(joined.begin()),
                   std::make_move_iterator(joined.end()));
    s.socket_id = std::move(c.socket_id);
    s.connection_id = e.id;
    s.user_id = e.user_id;
    s.nsp = std::move(c.nsp);
    s.websocket = e.ws || e.handover;
    s.remote_address = address_text(e.address);
    s.connected_at_ms = e.connected_ms;
    page.sockets.push_back(std::move(s));
  }
  return page;
}

/// sockets_query: the namespace's sockets in the rooms, minus `except`.
sockets_answer local_sockets(hub_state& st, const sockets_query& q) {
  target to;
  if (q.rooms.empty()) {
    to = target::group(routing::namespace_group(q.nsp));
  } else {
    to = target::group(routing::room_group(q.nsp, q.rooms.front()));
    for (size_t i = 1; i < q.rooms.size(); ++i)
      to.extra_groups.push_back(routing::room_group(q.nsp, q.rooms[i]));
  }
  for (auto& e : q.except)
    to.excluded_groups.push_back(routing::room_group(q.nsp, e));
  auto prefix = routing::namespace_group(q.nsp);
  sockets_answer out;
  for_each_target(st, to, [&](connection_entry& e) {
    socket_facts s;
    s.socket_id = socket_of(e, q.nsp, prefix);
    if (s.socket_id.empty())
      return; // in a room group of the namespace, but no socket in it
    s.rooms.push_back(s.socket_id);
    if (auto* gs = st.groups.groups_of(e.id))
      for (auto g : *gs) {
        if (g.size() <= prefix.size() || g.compare(0, prefix.size(), prefix) != 0)
          continue;
        auto ref = routing::parse_group(g);
        if (ref && ref->nsp == q.nsp && !ref->room.empty() && ref->room != s.socket_id)
          s.rooms.push_back(std::move(ref->room));
      }
    s.connection_id = e.id;
    s.user_id = e.user_id;
    s.handshake = e.handshake;
    out.sockets.push_back(std::move(s));
  });
  return out;
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
        e->managed.erase(std::remove_if(e->managed.begin(), e->managed.end(),
                                        [&](std::string_view g) {
                                          return g.rfind(prefix, 0) == 0;
                                        }),
                         e->managed.end());
      st.groups.leave_prefix(l.connection_id, prefix);
      if (st.acks.awaited() > 0)
        answer_acked_sends(st, st.acks.gone(l.connection_id, &l.nsp, l.reason));
      directory_left(st, l.connection_id, std::move(l.nsp), std::move(l.socket_id), {});
    },
    [self](orphaned_sockets& o) {
      // Sent by the node that found their node dead: the handler hears of
      // each one's end as if this node had held it.
      auto& st = self->state;
      for (auto& s : o.sockets) {
        disconnected_event ev{std::move(s), o.reason};
        if (st.context->inline_events)
          st.context->inline_events->on_disconnected(ev);
        else if (st.cfg.handler)
          self->send(st.cfg.handler, std::move(ev));
      }
    },
    [self](closed_atom, std::string& connection_id, std::string& reason) {
      auto& st = self->state;
      forget_connection(st, connection_id);
      if (st.acks.awaited() > 0)
        answer_acked_sends(st, st.acks.gone(connection_id, nullptr, reason));
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
      uint64_t direct = 0;
      for_each_target(st, cmd.to, [&](connection_entry& e) {
        direct += deliver(self, e, cmd.packets);
      });
      if (st.context->counters && direct > 0)
        st.context->counters->packets_out->inc(direct);
    },
    [self](disconnect_command& cmd) {
      for_each_target(self->state, cmd.to, [&](connection_entry& e) {
        self->send(e.session, disconnect_atom::value, cmd.nsp, cmd.close);
      });
    },
    [self](close_command& cmd) {
      auto reason = cmd.reason.empty() ? std::string{"forced server close"}
                                       : cmd.reason;
      for_each_target(self->state, cmd.to, [&](connection_entry& e) {
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
      return hub_stats{st.connections.size(), st.groups.group_count()};
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

hub_full_actor spawn_hub(caf::actor_system& sys, hub_config cfg) {
  return sys.spawn(hub_impl, std::move(cfg));
}

} // namespace sio
