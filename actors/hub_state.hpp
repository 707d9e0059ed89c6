// actors/hub_state.hpp
// Internal to the hub actor, not part of the library's API: what a hub
// holds (per connection and in all) and the functions its parts share:
// hub.cpp (the behavior, fan-out, membership), hub_targets.cpp (which
// connections a command addresses), hub_sockets.cpp (listings and acked
// sends).
#pragma once

#include "actors/hub.hpp"
#include "actors/hub_recovery.hpp"
#include "actors/pending_acks.hpp"
#include "lib/metrics/metrics.hpp"
#include "lib/routing/group_index.hpp"

#include <caf/all.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sio::hub_parts {

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
  /// Connection state recovery; null when the hub has it off.
  std::unique_ptr<recovery_state> recovery;

  static inline const char* name = "hub";
};

using self_ptr = hub_full_actor::stateful_pointer<hub_state>;

connection_entry* find_connection(hub_state& st, std::string_view id);

/// Drops e's views of the groups whose names start with `prefix` (all when
/// empty) before e leaves them.
void drop_managed(connection_entry& e, std::string_view prefix);

/// Drops a connection from every index (its groups, its user).
void forget_connection(hub_state& st, const std::string& id);

/// Tells the hub's handler that a socket went (the hub speaks for a
/// socket whose session is gone: a dead node's, a kept one's).
void notify_disconnected(self_ptr self, socket_ref socket, const std::string& reason);

/// Whether the target addresses `e` (the test targets_of applies to each
/// connection it collects).
bool addresses(hub_state& st, const target& to, const connection_entry& e);

// -- connection state recovery (hub_recovery.cpp) ----------------------------

/// A lost connection whose sockets are kept: no session, no transport.
bool is_away(const connection_entry& e);

/// Turns recovery on (st.cfg.recovery): the log, the metrics.
void start_recovery(hub_state& st);

/// `batch` with an offset on each event that takes one, and logged for
/// `to`; `batch` itself when none does.
wire_batch stamp_and_log(hub_state& st, const target& to, const wire_batch& batch);

/// A socket connected / left its namespace (then it cannot be resumed).
void note_joined(hub_state& st, const socket_joined& j);
void note_left(hub_state& st, const std::string& connection_id, const std::string& nsp);

/// A connection closed: true when its sockets are kept (the entry stays,
/// away); the disconnected events of the sockets not kept are sent here
/// when the session left them to the hub (an abnormal loss).
bool keep_lost(self_ptr self, const std::string& connection_id, const std::string& reason);

/// restore_request: answers through `answer`, then queues the CONNECT
/// answer and the missed packets on the new connection.
void restore_socket(self_ptr self, restore_request& r,
                    caf::typed_response_promise<restore_answer> answer);

/// resume_claim (cluster): hands the kept socket over to the node whose
/// client presented its pid; not found when this hub does not keep it.
moved_socket hand_over(self_ptr self, resume_claim& c);

/// kept_taken (cluster): a resume that waited for Redis goes on with what
/// it found there.
void resume_taken(self_ptr self, kept_taken& t);

/// Cluster: keeps the sockets a dead node kept, for what is left of their
/// windows (the others, expired or past a bound, end now).
void adopt_orphans(self_ptr self, std::vector<taken_socket>& sockets);

/// A send's logged packets reached these away connections: written to
/// Redis for their kept sockets (cluster).
void note_missed(hub_state& st, const std::vector<connection_entry*>& away,
                 const logged_send& sent);

/// An away connection's groups changed: its kept sockets' records follow.
void note_away_groups(hub_state& st, const connection_entry& e);

/// sweep_atom: ends the kept sockets whose window passed.
void sweep(self_ptr self);

/// Ends the kept sockets of an away connection (in `nsp` only, when not
/// null): a REST close or disconnect of a lost socket is final.
void end_away(self_ptr self, const std::string& connection_id, const std::string* nsp);

/// Ends every kept socket (the hub stops).
void end_all_kept(self_ptr self);

/// The connection a lost connection's socket resumed on, if any.
const std::string* alias_of(const hub_state& st, std::string_view connection_id);

/// Forgets the aliases that lead to `connection_id` (it is gone).
void drop_aliases_of(hub_state& st, const std::string& connection_id);

/// Every connection the target addresses, once each, its exclusions and
/// filter applied.
std::vector<connection_entry*> targets_of(hub_state& st, const target& to);

/// Calls `f(entry)` for every connection the target addresses. Collects
/// first, so `f` may change memberships.
template <class F>
void for_each_target(hub_state& st, const target& to, F f) {
  for (auto* e : targets_of(st, to))
    f(*e);
}

/// Fan-out to one connection, the same path for every send so that each
/// socket gets the hub's sends in the order the hub handled them. Returns
/// the packets written here directly (the rest go through the session).
uint64_t deliver(self_ptr self, connection_entry& e, const wire_batch& batch);

/// The id of e's socket in namespace `nsp`, whose group is `prefix`
/// (routing::namespace_group); empty when the connection has none there.
std::string socket_of(const connection_entry& e, const std::string& nsp,
                      std::string_view prefix);

/// socket_list_query: a page of the target's sockets in socket id order.
socket_page list_sockets(hub_state& st, const socket_list_query& q);

/// sockets_query (a Node peer's request): the namespace's sockets in the
/// rooms, minus `except`.
sockets_answer local_sockets(hub_state& st, const sockets_query& q);

/// acked_send_command: sends and awaits; answered by answer_acked_sends.
caf::result<ack_result> start_acked_send(self_ptr self, acked_send_command& cmd);

/// Answers every acked send in `sends` that has nothing left to wait for.
void answer_acked_sends(hub_state& st, const std::vector<uint64_t>& sends);

} // namespace sio::hub_parts
