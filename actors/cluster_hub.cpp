#include "actors/cluster_hub.hpp"

#include "actors/adapter_broadcasts.hpp"
#include "actors/cluster_frames.hpp"
#include "actors/cluster_link.hpp"
#include "actors/dropped_messages.hpp"
#include "lib/cluster/bus_codec.hpp"
#include "lib/metrics/metrics.hpp"
#include "lib/routing/odata_filter.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

namespace sio {

std::string cluster_bus_channel(const std::string& prefix, const std::string& hub) {
  return prefix + "#" + hub + "#bus";
}

std::string cluster_answer_channel(const std::string& prefix, const std::string& hub,
                                   const std::string& node) {
  return prefix + "#" + hub + "#answer#" + node;
}

std::string adapter_uid(const std::string& prefix, const std::string& node) {
  return prefix + ":" + node;
}

namespace {

using cluster::bus_message;
using cluster::bus_op;

/// A query waiting for the nodes' answers.
struct pending_query {
  bus_op op = bus_op::exists;
  std::vector<std::string> waiting;  ///< nodes that have not answered
  uint64_t count = 0;                ///< membership: sum; exists: any
  size_t max = 0;                    ///< list, sockets: at most this many
  std::vector<connection_info> list;
  socket_page page;                  ///< sockets: every node's pages together
  caf::typed_response_promise<uint64_t> count_promise;
  caf::typed_response_promise<bool> exists_promise;
  caf::typed_response_promise<std::vector<connection_info>> list_promise;
  caf::typed_response_promise<socket_page> page_promise;
  /// acked_send: each node's reported recipients, until its outcome comes
  /// (then they are settled, or were gone by the time it sent); the
  /// outcomes merged; the nodes found dead meanwhile.
  std::unordered_map<std::string, std::vector<cluster::bus_ack>> recipients;
  ack_result acked;
  std::vector<std::string> lost;
  caf::typed_response_promise<ack_result> ack_promise;
  /// resume: the socket the node that kept it handed over, if any.
  moved_socket moved;
  std::string nsp;  ///< resume: the namespace of the claimed socket
  caf::typed_response_promise<moved_socket> resume_promise;
};

/// Recipients one node may report for an acked send (a bound on what a
/// peer's answer makes this node hold).
constexpr size_t max_acked_recipients = 100000;

/// The expire_atom id that is no query: look for nodes that died while
/// acked sends await them (query ids start at 1).
constexpr uint64_t liveness_check = 0;

/// How often a front with acked sends pending looks at the live nodes.
constexpr std::chrono::milliseconds liveness_period{250};

cluster::bus_socket to_bus(socket_info&& s) {
  return {std::move(s.socket_id), std::move(s.connection_id), std::move(s.user_id),
          std::move(s.nsp),       std::move(s.rooms),         s.websocket,
          std::move(s.remote_address), static_cast<uint64_t>(std::max<int64_t>(0, s.connected_at_ms))};
}

socket_info from_bus(cluster::bus_socket&& s) {
  return {std::move(s.socket_id), std::move(s.connection_id), std::move(s.user_id),
          std::move(s.nsp),       std::move(s.rooms),         s.websocket,
          std::move(s.remote_address),
          static_cast<int64_t>(std::min<uint64_t>(s.connected_at_ms, INT64_MAX))};
}

struct front_state {
  cluster_hub_config cfg;
  std::string node;
  std::string bus_channel;
  std::string adapter_uid; ///< this node's uid in the adapter's messages
  std::chrono::milliseconds request_timeout{5000};
  uint64_t next_id = 1;
  dropped_messages drops;
  /// Confirmed commands waiting for Redis, by token.
  std::unordered_map<uint64_t, caf::typed_response_promise<bool>> publishing;
  /// Unconfirmed ones (application code), by token: if Redis cannot take
  /// them, this node's sockets still get them (local traffic goes on).
  std::unordered_map<uint64_t, std::variant<send_command, disconnect_command,
                                            close_command>> unconfirmed;
  std::unordered_map<uint64_t, pending_query> queries;
  /// Resume claims that ended without the socket before every node had
  /// answered, by id, with their namespace: a node that hands the socket
  /// over after that has forgotten it, so this node ends it (its
  /// disconnected event). Bounded: cleared past max_unanswered_resumes.
  std::unordered_map<uint64_t, std::string> unanswered_resumes;
  static inline const char* name = "cluster_hub";
};

using front_actor = cluster_hub_actor::stateful_pointer<front_state>;

/// Resume claims remembered for a late hand-over at most.
constexpr size_t max_unanswered_resumes = 4096;

/// A PUBLISH token with this bit set is a query's request (the rest of the
/// token is the request id); others are commands.
constexpr uint64_t query_token_bit = uint64_t{1} << 63;

cluster::bus_target to_bus(const target& t) {
  cluster::bus_target b;
  b.kind = static_cast<uint8_t>(t.kind);
  b.name = t.name;
  b.excluded = t.excluded;
  b.extra_groups = t.extra_groups;
  b.excluded_groups = t.excluded_groups;
  if (t.filter)
    b.filter = t.filter->text();
  return b;
}

/// The target a bus message names; nullopt when its filter does not parse
/// (a peer of another version, or not a peer at all).
std::optional<target> from_bus(cluster::bus_target&& b) {
  target t;
  t.kind = static_cast<target_kind>(b.kind);
  t.name = std::move(b.name);
  t.excluded = std::move(b.excluded);
  t.extra_groups = std::move(b.extra_groups);
  t.excluded_groups = std::move(b.excluded_groups);
  if (!b.filter.empty()) {
    auto f = routing::odata_filter::parse(b.filter);
    if (!f)
      return std::nullopt;
    t.filter = std::make_shared<const routing::odata_filter>(std::move(*f));
  }
  return t;
}

bus_message command_message(const send_command& c) {
  bus_message m;
  m.op = bus_op::send;
  m.to = to_bus(c.to);
  m.frames = frames_of(c.packets);
  return m;
}

bus_message command_message(const disconnect_command& c) {
  bus_message m;
  m.op = bus_op::disconnect;
  m.to = to_bus(c.to);
  m.nsp = c.nsp;
  m.close = c.close;
  return m;
}

bus_message command_message(const close_command& c) {
  bus_message m;
  m.op = bus_op::close;
  m.to = to_bus(c.to);
  m.reason = c.reason;
  return m;
}

/// Publishes `m` on the hub's bus; the outcome comes back to the front as
/// (published_atom, token, ok, error).
void publish(front_actor self, bus_message m, uint64_t token) {
  m.origin = self->state.node;
  auto me = caf::actor_cast<caf::actor>(self);
  self->state.cfg.link->publish(
    self->state.bus_channel, cluster::encode_bus_message(m),
    [me, token](bool ok, const std::string& error) {
      caf::anon_send(me, published_atom::value, token, ok, error);
    });
}

/// The same send for the clients of Node.js servers on the adapter's
/// channels (best effort: our own nodes skip these, they have the bus).
void publish_for_node_peers(front_actor self, const send_command& c) {
  auto& st = self->state;
  for (auto& [channel, bytes] : adapter_broadcasts_for(c, st.cfg.adapter_key, st.adapter_uid))
    st.cfg.link->publish(std::move(channel), std::move(bytes), [](bool, const std::string&) {});
}

void dropped(front_actor self, const std::string& channel, const std::string& why) {
  auto& st = self->state;
  st.drops.drop(st.cfg.metrics, "cluster hub " + st.cfg.hub, channel, why);
}

/// Applies a command from the bus to this node's hub.
void apply(front_actor self, const std::string& channel, bus_message&& m) {
  auto to = from_bus(std::move(m.to));
  if (!to) {
    dropped(self, channel, "a target filter that does not parse");
    return;
  }
  auto& local = self->state.cfg.local;
  auto answer = [self, origin = m.origin, id = m.request_id](bus_message a) {
    a.op = bus_op::answer;
    a.origin = self->state.node;
    a.request_id = id;
    self->state.cfg.link->publish(
      cluster_answer_channel(self->state.cfg.link->settings().channel_prefix,
                             self->state.cfg.hub, origin),
      cluster::encode_bus_message(a), [](bool, const std::string&) {});
  };
  switch (m.op) {
    case bus_op::send:
      self->send(local, send_command{std::move(*to), batch_of(m.frames)});
      break;
    case bus_op::disconnect:
      self->send(local, disconnect_command{std::move(*to), std::move(m.nsp), m.close});
      break;
    case bus_op::close:
      self->send(local, close_command{std::move(*to), std::move(m.reason)});
      break;
    case bus_op::membership:
      self->request(local, self->state.request_timeout,
                    membership_command{std::move(*to), std::move(m.groups), m.add})
        .then([answer](uint64_t n) {
          bus_message a;
          a.count = n;
          answer(std::move(a));
        });
      break;
    case bus_op::exists:
      self->request(local, self->state.request_timeout, exists_query{std::move(*to)})
        .then([answer](bool found) {
          bus_message a;
          a.count = found ? 1 : 0;
          answer(std::move(a));
        });
      break;
    case bus_op::list:
      self->request(local, self->state.request_timeout,
                    list_query{std::move(*to), static_cast<size_t>(m.max)})
        .then([answer](std::vector<connection_info>& list) {
          bus_message a;
          for (auto& c : list)
            a.connections.emplace_back(std::move(c.connection_id), std::move(c.user_id));
          answer(std::move(a));
        });
      break;
    case bus_op::sockets:
      self->request(local, self->state.request_timeout,
                    socket_list_query{std::move(*to), std::move(m.nsp), std::move(m.after),
                                      static_cast<size_t>(std::min<uint64_t>(m.max, 1000))})
        .then([answer](socket_page& page) {
          bus_message a;
          a.count = page.more ? 1 : 0;
          for (auto& s : page.sockets)
            a.sockets.push_back(to_bus(std::move(s)));
          answer(std::move(a));
        });
      break;
    case bus_op::acked_send: {
      // The recipients first, so that the asker can count them as timed
      // out if this node dies; then the send itself, answered at its end.
      auto timeout = std::chrono::milliseconds{std::clamp<uint64_t>(m.max, 1, 60000)};
      acked_send_command cmd{*to, m.nsp, {}, {}, timeout};
      if (!m.frames.empty()) {
        cmd.data = std::move(m.frames[0].bytes);
        for (size_t i = 1; i < m.frames.size(); ++i)
          cmd.attachments.push_back(std::move(m.frames[i].bytes));
      }
      socket_list_query recipients{std::move(*to), m.nsp, {}, max_acked_recipients};
      self->request(local, self->state.request_timeout, std::move(recipients))
        .then([self, answer, cmd = std::move(cmd)](socket_page& page) mutable {
          bus_message report;
          report.count = 0;
          for (auto& s : page.sockets)
            report.acks.push_back({false, std::move(s.socket_id), std::move(s.connection_id),
                                   std::move(s.user_id), {}, {}, {}});
          answer(std::move(report));
          auto wait = cmd.timeout + std::chrono::seconds{5};
          self->request(self->state.cfg.local, wait, std::move(cmd))
            .then([answer](ack_result& r) {
              bus_message outcome;
              outcome.count = 1;
              outcome.reason = std::move(r.refused);
              for (auto& a : r.acks)
                outcome.acks.push_back({true, std::move(a.socket_id), std::move(a.connection_id),
                                        std::move(a.user_id), std::move(a.args),
                                        std::move(a.attachments), {}});
              for (auto& t : r.timed_out)
                outcome.acks.push_back({false, std::move(t.socket_id), std::move(t.connection_id),
                                        {}, {}, {}, std::move(t.reason)});
              answer(std::move(outcome));
            });
        });
      break;
    }
    case bus_op::resume:
      self->request(local, self->state.request_timeout,
                    resume_claim{std::move(m.reason), std::move(m.nsp), std::move(m.after),
                                 m.close})
        .then([answer](moved_socket& moved) {
          bus_message a;
          a.count = moved.found ? 1 : 0;
          if (moved.found) {
            a.reason = std::move(moved.reason);
            a.sockets.push_back({std::move(moved.socket_id), std::move(moved.connection_id),
                                 std::move(moved.user_id), {}, std::move(moved.groups), false,
                                 {}, 0});
            a.frames = frames_of(std::make_shared<const std::vector<wire_packet>>(
              std::move(moved.missed)));
          }
          answer(std::move(a));
        });
      break;
    case bus_op::answer:
      break;
  }
}

/// An acked send's answer from every node: the outcomes as they came;
/// a recipient reported but settled by no outcome is timed out, with
/// "node lost" when its node died meanwhile.
ack_result merged_acks(pending_query& q) {
  for (auto& [node, list] : q.recipients) {
    bool lost = std::find(q.lost.begin(), q.lost.end(), node) != q.lost.end();
    for (auto& r : list)
      q.acked.timed_out.push_back({std::move(r.socket_id), std::move(r.connection_id),
                                   lost ? std::string{"node lost"} : std::string{}});
  }
  return std::move(q.acked);
}

/// One node's outcome of an acked send, merged.
void settle_node(pending_query& q, cluster::bus_message& a) {
  if (!a.reason.empty() && q.acked.refused.empty())
    q.acked.refused = std::move(a.reason);
  // The sockets this node's outcome names (a set: a node may report many).
  std::unordered_set<std::string> named;
  named.reserve(a.acks.size());
  for (auto& r : a.acks)
    named.insert(r.socket_id);
  for (auto& r : a.acks) {
    if (r.answered)
      q.acked.acks.push_back({std::move(r.socket_id), std::move(r.connection_id),
                              std::move(r.user_id), std::move(r.args), std::move(r.attachments)});
    else
      q.acked.timed_out.push_back({std::move(r.socket_id), std::move(r.connection_id),
                                   std::move(r.reason)});
  }
  // Reported recipients the node's outcome does not name went before
  // the send reached them.
  if (auto i = q.recipients.find(a.origin); i != q.recipients.end()) {
    for (auto& r : i->second)
      if (named.count(r.socket_id) == 0)
        q.acked.timed_out.push_back({std::move(r.socket_id), std::move(r.connection_id),
                                     "disconnected"});
    q.recipients.erase(i);
  }
}

/// Every node's page merged: the first `max` sockets in socket id order,
/// `more` when any node had more or the pages together have.
socket_page merged_page(pending_query& q) {
  auto& page = q.page;
  std::sort(page.sockets.begin(), page.sockets.end(),
            [](const socket_info& a, const socket_info& b) { return a.socket_id < b.socket_id; });
  if (page.sockets.size() > q.max) {
    page.sockets.resize(q.max);
    page.more = true;
  }
  return std::move(page);
}

/// Delivers a query's merged answer and forgets it.
void finish(front_actor self, uint64_t id) {
  auto it = self->state.queries.find(id);
  if (it == self->state.queries.end())
    return;
  auto& q = it->second;
  switch (q.op) {
    case bus_op::membership:
      q.count_promise.deliver(q.count);
      break;
    case bus_op::exists:
      q.exists_promise.deliver(q.count > 0);
      break;
    case bus_op::sockets:
      q.page_promise.deliver(merged_page(q));
      break;
    case bus_op::acked_send:
      q.ack_promise.deliver(merged_acks(q));
      break;
    case bus_op::resume:
      if (!q.moved.found && !q.waiting.empty()) {
        auto& late = self->state.unanswered_resumes;
        if (late.size() >= max_unanswered_resumes)
          late.clear();
        late.emplace(id, std::move(q.nsp));
      }
      q.resume_promise.deliver(std::move(q.moved));
      break;
    default:
      q.list_promise.deliver(std::move(q.list));
      break;
  }
  self->state.queries.erase(it);
}

void on_answer(front_actor self, bus_message&& a) {
  auto it = self->state.queries.find(a.request_id);
  if (it == self->state.queries.end()) {
    // Late: the query was answered at its deadline. A socket handed over
    // after its claim gave up is this node's to end.
    auto late = self->state.unanswered_resumes.find(a.request_id);
    if (late != self->state.unanswered_resumes.end() && a.count > 0 && a.sockets.size() == 1) {
      auto& s = a.sockets.front();
      orphaned_sockets o;
      o.sockets.push_back({self->state.cfg.hub, std::move(s.connection_id),
                           std::move(late->second), std::move(s.socket_id),
                           std::move(s.user_id)});
      o.reason = std::move(a.reason);
      self->state.unanswered_resumes.erase(late);
      self->send(self->state.cfg.local, std::move(o));
    }
    return;
  }
  auto& q = it->second;
  auto w = std::find(q.waiting.begin(), q.waiting.end(), a.origin);
  if (w == q.waiting.end())
    return; // a node that was not asked, or answered twice
  if (q.op == bus_op::acked_send) {
    if (a.count == 0) {
      // A node's recipients: bounded like every list on the bus.
      if (a.acks.size() > max_acked_recipients)
        a.acks.resize(max_acked_recipients);
      q.recipients[a.origin] = std::move(a.acks);
      return;
    }
    q.waiting.erase(w);
    settle_node(q, a);
    if (q.waiting.empty())
      finish(self, a.request_id);
    return;
  }
  q.waiting.erase(w);
  if (q.op == bus_op::resume && a.count > 0 && !q.moved.found && a.sockets.size() == 1) {
    auto& s = a.sockets.front();
    q.moved.found = true;
    q.moved.socket_id = std::move(s.socket_id);
    q.moved.connection_id = std::move(s.connection_id);
    q.moved.user_id = std::move(s.user_id);
    q.moved.groups = std::move(s.rooms);
    q.moved.reason = std::move(a.reason);
    q.moved.missed = *batch_of(a.frames);
    finish(self, a.request_id);
    return;
  }
  q.count += a.count;
  for (auto& [cid, uid] : a.connections)
    if (q.list.size() < q.max)
      q.list.push_back({std::move(cid), std::move(uid)});
  if (q.op == bus_op::sockets) {
    // Each node answers at most max; more than max of one node's are a
    // peer's fault, dropped rather than held.
    q.page.more = q.page.more || a.count > 0 || a.sockets.size() > q.max;
    for (size_t i = 0; i < a.sockets.size() && i < q.max; ++i)
      q.page.sockets.push_back(from_bus(std::move(a.sockets[i])));
  }
  bool done = q.waiting.empty() || (q.op == bus_op::exists && q.count > 0);
  if (done)
    finish(self, a.request_id);
}

/// Starts a query: registered, published, bounded by requestTimeout (or
/// `bound`).
pending_query& ask(front_actor self, bus_message m, bus_op op,
                   std::optional<std::chrono::milliseconds> bound = std::nullopt) {
  auto id = self->state.next_id++;
  auto& q = self->state.queries[id];
  q.op = op;
  q.waiting = self->state.cfg.link->live_nodes();
  m.op = op;
  m.request_id = id;
  publish(self, std::move(m), id | query_token_bit);
  self->delayed_send(self, bound.value_or(self->state.request_timeout), expire_atom::value, id);
  return q;
}

/// Acked sends stop waiting for nodes that died: their recipients are
/// timed out with "node lost" as soon as the cluster counts them dead.
void check_liveness(front_actor self) {
  auto live = self->state.cfg.link->live_nodes();
  std::vector<uint64_t> done;
  bool pending = false;
  for (auto& [id, q] : self->state.queries) {
    if (q.op != bus_op::acked_send)
      continue;
    for (auto w = q.waiting.begin(); w != q.waiting.end();) {
      if (std::find(live.begin(), live.end(), *w) != live.end()) {
        ++w;
        continue;
      }
      q.lost.push_back(*w);
      w = q.waiting.erase(w);
    }
    if (q.waiting.empty())
      done.push_back(id);
    else
      pending = true;
  }
  for (auto id : done)
    finish(self, id);
  if (pending)
    self->delayed_send(self, liveness_period, expire_atom::value, liveness_check);
}

/// A command from application code (sio::emitter): published; applied on
/// this node alone when Redis cannot take it.
template <class Command>
void send_unconfirmed(front_actor self, Command&& c) {
  auto token = self->state.next_id++;
  if (!self->state.cfg.link->up()) {
    self->send(self->state.cfg.local, std::forward<Command>(c));
    return;
  }
  publish(self, command_message(c), token);
  if constexpr (std::is_same_v<std::decay_t<Command>, send_command>)
    publish_for_node_peers(self, c);
  self->state.unconfirmed.emplace(token, std::forward<Command>(c));
}

/// The reason a query or a confirmed command cannot go out now.
std::optional<caf::error> unavailable(front_actor self) {
  if (self->state.cfg.link->up())
    return std::nullopt;
  return caf::make_error(caf::sec::runtime_error,
                         "cluster unavailable: " + self->state.cfg.link->down_reason());
}

cluster_hub_actor::behavior_type front(front_actor self, cluster_hub_config cfg) {
  self->state.node = cfg.link->node_id();
  self->state.bus_channel = cluster_bus_channel(cfg.link->settings().channel_prefix, cfg.hub);
  self->state.adapter_uid = adapter_uid(cfg.link->settings().channel_prefix, cfg.link->node_id());
  self->state.request_timeout = std::chrono::milliseconds{cfg.link->settings().request_timeout};
  self->state.cfg = std::move(cfg);
  return {
    [self](send_command& c) {
      send_unconfirmed(self, std::move(c));
    },
    [self](disconnect_command& c) {
      send_unconfirmed(self, std::move(c));
    },
    [self](close_command& c) {
      send_unconfirmed(self, std::move(c));
    },
    [self](confirmed_command& c) -> caf::result<bool> {
      if (auto err = unavailable(self))
        return std::move(*err);
      auto token = self->state.next_id++;
      std::visit([&](auto& cmd) { publish(self, command_message(cmd), token); },
                 c.command);
      if (auto* send = std::get_if<send_command>(&c.command))
        publish_for_node_peers(self, *send);
      auto rp = self->make_response_promise<bool>();
      self->state.publishing.emplace(token, rp);
      return rp;
    },
    [self](membership_command& c) -> caf::result<uint64_t> {
      if (auto err = unavailable(self))
        return std::move(*err);
      bus_message m;
      m.to = to_bus(c.to);
      m.groups = std::move(c.groups);
      m.add = c.add;
      auto& q = ask(self, std::move(m), bus_op::membership);
      q.count_promise = self->make_response_promise<uint64_t>();
      return q.count_promise;
    },
    [self](exists_query& c) -> caf::result<bool> {
      if (auto err = unavailable(self))
        return std::move(*err);
      bus_message m;
      m.to = to_bus(c.to);
      auto& q = ask(self, std::move(m), bus_op::exists);
      q.exists_promise = self->make_response_promise<bool>();
      return q.exists_promise;
    },
    [self](list_query& c) -> caf::result<std::vector<connection_info>> {
      if (auto err = unavailable(self))
        return std::move(*err);
      bus_message m;
      m.to = to_bus(c.to);
      m.max = c.max;
      auto& q = ask(self, std::move(m), bus_op::list);
      q.max = c.max;
      q.list_promise = self->make_response_promise<std::vector<connection_info>>();
      return q.list_promise;
    },
    [self](acked_send_command& c) -> caf::result<ack_result> {
      if (auto err = unavailable(self))
        return std::move(*err);
      auto timeout = std::clamp(c.timeout, std::chrono::milliseconds{1},
                                std::chrono::milliseconds{60000});
      bus_message m;
      m.to = to_bus(c.to);
      m.nsp = std::move(c.nsp);
      m.frames.push_back({false, std::move(c.data)});
      for (auto& a : c.attachments)
        m.frames.push_back({true, std::move(a)});
      m.max = static_cast<uint64_t>(timeout.count());
      // Every node answers at its timeout at the latest; the margin is for
      // the bus and a busy node.
      bool checking = std::any_of(self->state.queries.begin(), self->state.queries.end(),
                                  [](auto& q) { return q.second.op == bus_op::acked_send; });
      auto& q = ask(self, std::move(m), bus_op::acked_send, timeout + self->state.request_timeout);
      q.ack_promise = self->make_response_promise<ack_result>();
      if (!checking)
        self->delayed_send(self, liveness_period, expire_atom::value, liveness_check);
      return q.ack_promise;
    },
    [self](socket_list_query& c) -> caf::result<socket_page> {
      if (auto err = unavailable(self))
        return std::move(*err);
      bus_message m;
      m.to = to_bus(c.to);
      m.nsp = std::move(c.nsp);
      m.after = std::move(c.after);
      m.max = c.max;
      auto& q = ask(self, std::move(m), bus_op::sockets);
      q.max = c.max;
      q.page_promise = self->make_response_promise<socket_page>();
      return q.page_promise;
    },
    [self](resume_claim& c) -> caf::result<moved_socket> {
      if (!self->state.cfg.link->up())
        return moved_socket{};
      bus_message m;
      m.reason = std::move(c.pid);
      m.nsp = c.nsp;
      m.after = std::move(c.offset);
      m.close = c.has_offset;
      auto& q = ask(self, std::move(m), bus_op::resume);
      q.nsp = std::move(c.nsp);
      q.resume_promise = self->make_response_promise<moved_socket>();
      return q.resume_promise;
    },
    [self](stats_atom) -> caf::result<hub_stats> {
      return self->delegate(self->state.cfg.local, stats_atom::value);
    },
    [self](bus_atom, std::string& channel, std::string& payload) {
      auto m = cluster::decode_bus_message(payload);
      if (!m) {
        dropped(self, channel, m.error());
        return;
      }
      if (m->op == bus_op::answer)
        on_answer(self, std::move(*m));
      else if (channel == self->state.bus_channel)
        apply(self, channel, std::move(*m));
    },
    [self](published_atom, uint64_t token, bool ok, const std::string& error) {
      if (token & query_token_bit) {
        // A query's request: without it no node answers; fail it now.
        if (!ok) {
          auto id = token & ~query_token_bit;
          auto it = self->state.queries.find(id);
          if (it != self->state.queries.end()) {
            auto err = caf::make_error(caf::sec::runtime_error,
                                       "cluster unavailable: " + error);
            auto& q = it->second;
            if (q.op == bus_op::membership)
              q.count_promise.deliver(err);
            else if (q.op == bus_op::exists)
              q.exists_promise.deliver(err);
            else
              q.list_promise.deliver(err);
            self->state.queries.erase(it);
          }
        }
        return;
      }
      if (auto u = self->state.unconfirmed.find(token);
          u != self->state.unconfirmed.end()) {
        if (!ok) {
          spdlog::warn("cluster hub {}: a command could not reach Redis, applied "
                       "on this node only: {}", self->state.cfg.hub, error);
          std::visit([&](auto& cmd) { self->send(self->state.cfg.local, std::move(cmd)); },
                     u->second);
        }
        self->state.unconfirmed.erase(u);
        return;
      }
      auto it = self->state.publishing.find(token);
      if (it == self->state.publishing.end())
        return;
      auto rp = std::move(it->second);
      self->state.publishing.erase(it);
      if (rp.pending()) {
        if (ok)
          rp.deliver(true);
        else
          rp.deliver(caf::make_error(caf::sec::runtime_error,
                                     "cluster unavailable: " + error));
      }
    },
    [self](expire_atom, uint64_t id) {
      if (id == liveness_check)
        check_liveness(self);
      else
        finish(self, id);
    },
  };
}

} // namespace

cluster_hub_actor spawn_cluster_hub(caf::actor_system& sys, cluster_hub_config cfg) {
  auto link = cfg.link;
  auto hub = cfg.hub;
  auto key = cfg.adapter_key;
  auto actor = sys.spawn(front, std::move(cfg));
  auto& s = link->settings();
  // The adapter's broadcasts ("<key>#*") go to the hub's adapter peer
  // (adapter_peer.hpp), which orders them with the adapter's requests.
  link->add_route(cluster_bus_channel(s.channel_prefix, hub), caf::actor_cast<caf::actor>(actor));
  link->add_route(cluster_answer_channel(s.channel_prefix, hub, link->node_id()),
              caf::actor_cast<caf::actor>(actor));
  return actor;
}

} // namespace sio
