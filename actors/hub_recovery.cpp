// Connection state recovery in the hub (actors/hub_recovery.hpp): the
// send log and its offsets, keeping lost sockets, resuming them on a new
// connection, and ending the ones whose window passed.
#include "actors/hub_state.hpp"

#include "lib/protocol/event_offset.hpp"
#include "lib/protocol/json_text.hpp"
#include "lib/protocol/sio_encoder.hpp"
#include "lib/routing/group_name.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>

namespace sio::hub_parts {

namespace {

/// How often a hub with kept sockets looks for expired ones: the
/// disconnected event comes at most this late after the window.
constexpr std::chrono::milliseconds sweep_period{250};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void drop_oldest(recovery_state& rs) {
  auto& front = rs.log.front();
  rs.log_packets -= front.packets.size();
  rs.log_bytes -= front.bytes;
  rs.log.pop_front();
}

/// Sends logged before the age bound cannot be missed by any socket that
/// can still resume (see recovery_state::log_age_ms).
void trim_by_age(recovery_state& rs, int64_t now) {
  while (!rs.log.empty() && rs.log.front().sent_ms < now - rs.log_age_ms)
    drop_oldest(rs);
}

void arm_sweep(self_ptr self) {
  auto& rs = *self->state.recovery;
  if (rs.sweeping)
    return;
  rs.sweeping = true;
  self->delayed_send(self, sweep_period, sweep_atom::value);
}

void set_alias(recovery_state& rs, const std::string& old_id, const std::string& new_id) {
  // Ids that pointed at the old connection follow it to the new one.
  if (auto i = rs.aliased_by.find(old_id); i != rs.aliased_by.end()) {
    auto olds = std::move(i->second);
    rs.aliased_by.erase(i);
    for (auto& o : olds) {
      rs.alias[o] = new_id;
      rs.aliased_by[new_id].push_back(o);
    }
  }
  rs.alias[old_id] = new_id;
  rs.aliased_by[new_id].push_back(old_id);
}

/// `pid` is no longer kept on away connection `connection_id`: true when
/// it was the connection's last kept socket (the entry is no longer away).
bool leave_away(recovery_state& rs, const std::string& connection_id, const std::string& pid) {
  auto a = rs.away.find(connection_id);
  if (a == rs.away.end())
    return false;
  auto& pids = a->second;
  pids.erase(std::remove(pids.begin(), pids.end(), pid), pids.end());
  if (!pids.empty())
    return false;
  rs.away.erase(a);
  return true;
}

/// Whether kept sockets are written to Redis for another node to take over
/// (in a cluster: the hub has a directory).
bool mirrored(const hub_state& st) {
  return st.cfg.directory != nullptr;
}

/// A kept socket's record for Redis: its groups are the ones that go
/// with it to another node (see cluster::kept_record::groups).
cluster::kept_record record_of(hub_state& st, const connection_entry& lost,
                               const kept_socket& ks) {
  cluster::kept_record r;
  r.nsp = ks.nsp;
  r.socket_id = ks.socket_id;
  r.connection_id = ks.connection_id;
  r.user_id = lost.user_id;
  r.reason = ks.reason;
  r.expires_ms = ks.expires_ms;
  auto prefix = routing::namespace_group(ks.nsp);
  if (auto* gs = st.groups.groups_of(lost.id))
    for (auto g : *gs)
      if (starts_with(g, prefix) || !routing::parse_group(g))
        r.groups.emplace_back(g);
  return r;
}

/// Packet `p` of logged send `s` as Redis keeps it.
std::string encode_logged(const logged_send& s, const logged_packet& p) {
  cluster::kept_packet k;
  k.offset = p.offset;
  for (uint32_t f = p.first; f < p.first + p.count; ++f) {
    auto& frame = (*s.batch)[f];
    k.frames.emplace_back(frame.binary, *frame.frame);
  }
  return cluster::encode_kept_packet(k);
}

size_t frames_size(const logged_send& s, const logged_packet& p) {
  size_t n = 0;
  for (uint32_t f = p.first; f < p.first + p.count; ++f)
    n += (*s.batch)[f].frame->size();
  return n;
}

/// Counts a packet written for `ks`; false once past its bounds (it
/// cannot be resumed exactly from Redis then; one packet past them is
/// written, so that the node taking it over sees that).
bool count_mirrored(const recovery_state& rs, kept_socket& ks, size_t bytes) {
  if (ks.mirrored_packets > rs.cfg.max_missed_packets
      || ks.mirrored_bytes > rs.cfg.max_missed_bytes)
    return false;
  ++ks.mirrored_packets;
  ks.mirrored_bytes += bytes;
  return true;
}

/// Moves `from`'s groups that start with `prefix` (all when empty) to `to`.
void move_groups(hub_state& st, connection_entry& from, connection_entry& to,
                 std::string_view prefix) {
  std::vector<std::string> moved;
  if (auto* gs = st.groups.groups_of(from.id))
    for (auto g : *gs)
      if (starts_with(g, prefix))
        moved.emplace_back(g);
  drop_managed(from, prefix);
  for (auto& g : moved) {
    st.groups.leave(from.id, g);
    st.groups.join(to.id, g);
  }
}

/// The kept socket's end: its disconnected event, its rooms, and its
/// connection entry when it was the entry's last kept socket.
void end_kept(self_ptr self, std::unordered_map<std::string, kept_socket>::iterator k,
              bool tell_handler = true) {
  auto& st = self->state;
  auto& rs = *st.recovery;
  auto ks = std::move(k->second);
  auto pid = k->first;
  rs.kept.erase(k);
  if (rs.kept_gauge)
    rs.kept_gauge->sub();
  if (mirrored(st))
    st.cfg.directory->kept_ended(st.cfg.name, pid);
  auto* e = find_connection(st, ks.connection_id);
  socket_ref ref{st.cfg.name, ks.connection_id, ks.nsp, ks.socket_id,
                 e ? e->user_id : std::string{}};
  if (st.cfg.directory)
    st.cfg.directory->left(ref);
  // Handed over to another node, it goes on there: no event.
  if (tell_handler)
    notify_disconnected(self, std::move(ref), ks.reason);
  auto prefix = routing::namespace_group(ks.nsp);
  if (e) {
    drop_managed(*e, prefix);
    st.groups.leave_prefix(e->id, prefix);
  }
  if (leave_away(rs, ks.connection_id, pid)) {
    forget_connection(st, ks.connection_id);
    drop_aliases_of(st, ks.connection_id);
  }
}

/// Calls fn(send, packet), in order, for each packet of the log from
/// `from` on whose offset is after `after`, in `nsp`, of a send that
/// addresses `lost`; stops (false) when fn returns false.
template <class Fn>
bool each_addressed(hub_state& st, std::deque<logged_send>::const_iterator from,
                    const connection_entry& lost, const std::string& nsp, uint64_t after,
                    Fn fn) {
  for (auto s = from; s != st.recovery->log.cend(); ++s) {
    bool addressed = false, checked = false;
    for (auto& p : s->packets) {
      if (p.offset <= after || p.nsp != nsp)
        continue;
      if (!checked) {
        addressed = addresses(st, s->to, lost);
        checked = true;
      }
      if (!addressed)
        break;
      if (!fn(*s, p))
        return false;
    }
  }
  return true;
}

/// The frames a kept socket missed since offset `start`, or false when it
/// cannot have them all (evicted, or past the per-socket bounds).
bool missed_since(hub_state& st, const connection_entry& lost, const kept_socket& ks,
                  uint64_t start, std::vector<wire_packet>& out, size_t packets = 0,
                  size_t bytes = 0) {
  auto& rs = *st.recovery;
  if (rs.evicted_through > start)
    return false;
  auto first = std::partition_point(rs.log.cbegin(), rs.log.cend(), [&](const logged_send& s) {
    return s.packets.back().offset <= start;
  });
  return each_addressed(st, first, lost, ks.nsp, start,
                        [&](const logged_send& s, const logged_packet& p) {
                          if (++packets > rs.cfg.max_missed_packets)
                            return false;
                          for (uint32_t f = p.first; f < p.first + p.count; ++f) {
                            auto& frame = (*s.batch)[f];
                            bytes += frame.frame->size();
                            out.push_back(frame);
                          }
                          return bytes <= rs.cfg.max_missed_bytes;
                        });
}

} // namespace

bool is_away(const connection_entry& e) {
  return !e.session;
}

void start_recovery(hub_state& st) {
  auto rs = std::make_unique<recovery_state>();
  rs->cfg = st.cfg.recovery;
  auto& s = st.cfg.session;
  rs->log_age_ms = int64_t{rs->cfg.max_disconnection_duration} + s.ping_interval.count()
                   + s.ping_timeout.count() + 1000;
  // Offsets start at a random point below 2^52, so that one node's (or
  // one run's) offsets are practically never another's: a client's offset
  // is looked for among the packets a socket taken over from another node
  // carries, and an offset from elsewhere must not match one of them.
  std::random_device rd;
  rs->last_offset = ((uint64_t{rd()} << 32) ^ rd()) & ((uint64_t{1} << 52) - 1);
  if (auto& m = st.cfg.metrics) {
    metrics::labels hub{{"hub", st.cfg.name}};
    rs->kept_gauge = &m->get_gauge("sio_recovery_kept_sessions",
                                   "Sockets lost abnormally and kept for their clients.", hub);
    rs->recovered = &m->get_counter("sio_recovery_recovered_total",
                                    "Sockets resumed by their clients.", hub);
    rs->expired = &m->get_counter(
      "sio_recovery_expired_total",
      "Kept sockets whose window passed (their disconnected event was sent then).", hub);
    auto refused = [&](const char* why) {
      return &m->get_counter("sio_recovery_refused_total",
                             "Resumes refused (size: a bound; unknown: no such kept socket).",
                             {{"hub", st.cfg.name}, {"reason", why}});
    };
    rs->refused_size = refused("size");
    rs->refused_unknown = refused("unknown");
  }
  st.recovery = std::move(rs);
}

wire_batch stamp_and_log(hub_state& st, const target& to, const wire_batch& batch) {
  auto& rs = *st.recovery;
  logged_send entry;
  auto stamped = std::make_shared<std::vector<wire_packet>>();
  stamped->reserve(batch->size());
  for (auto& p : *batch) {
    if (!p.binary) {
      if (auto nsp = protocol::offset_namespace(*p.frame)) {
        auto offset = ++rs.last_offset;
        entry.packets.push_back({offset, std::string{*nsp},
                                 static_cast<uint32_t>(stamped->size()), 1});
        stamped->push_back({false, std::make_shared<const std::string>(
                                     protocol::with_offset(*p.frame, offset))});
        entry.bytes += stamped->back().frame->size();
        continue;
      }
    } else if (!entry.packets.empty()
               && entry.packets.back().first + entry.packets.back().count == stamped->size()) {
      ++entry.packets.back().count; // an attachment of the event before
      entry.bytes += p.frame->size();
    }
    stamped->push_back(p);
  }
  if (entry.packets.empty())
    return batch; // nothing that takes an offset: as it was
  entry.to = to;
  entry.batch = stamped;
  entry.sent_ms = now_ms();
  rs.log_packets += entry.packets.size();
  rs.log_bytes += entry.bytes;
  rs.log.push_back(std::move(entry));
  trim_by_age(rs, rs.log.back().sent_ms);
  while (rs.log.size() > 1
         && (rs.log_packets > rs.cfg.max_kept_packets || rs.log_bytes > rs.cfg.max_kept_bytes)) {
    rs.evicted_through = rs.log.front().packets.back().offset;
    drop_oldest(rs);
  }
  return stamped;
}

void note_joined(hub_state& st, const socket_joined& j) {
  auto& rs = *st.recovery;
  rs.live[j.connection_id].push_back({j.nsp, j.socket_id, j.pid, rs.last_offset, {}});
}

void note_left(hub_state& st, const std::string& connection_id, const std::string& nsp) {
  auto& rs = *st.recovery;
  auto i = rs.live.find(connection_id);
  if (i == rs.live.end())
    return;
  auto& v = i->second;
  v.erase(std::remove_if(v.begin(), v.end(), [&](auto& s) { return s.nsp == nsp; }), v.end());
  if (v.empty())
    rs.live.erase(i);
}

namespace {

/// Writes a socket just kept to Redis, with the logged packets addressed
/// to it that its client may not have received: those sent after its last
/// pong can have been, that is, in the last pingInterval + pingTimeout
/// (and a second more).
void mirror_kept(hub_state& st, const connection_entry& lost, const std::string& pid,
                 kept_socket& ks, int64_t now) {
  auto& rs = *st.recovery;
  auto& s = st.cfg.session;
  auto since = now - s.ping_interval.count() - s.ping_timeout.count() - 1000;
  auto first = std::partition_point(rs.log.cbegin(), rs.log.cend(), [&](const logged_send& l) {
    return l.sent_ms < since;
  });
  std::vector<std::string> packets;
  each_addressed(st, first, lost, ks.nsp, ks.joined_after,
                 [&](const logged_send& l, const logged_packet& p) {
                   if (!count_mirrored(rs, ks, frames_size(l, p)))
                     return false;
                   packets.push_back(encode_logged(l, p));
                   return true;
                 });
  st.cfg.directory->kept(st.cfg.name, pid, record_of(st, lost, ks), std::move(packets));
}

} // namespace

void note_missed(hub_state& st, const std::vector<connection_entry*>& away,
                 const logged_send& sent) {
  auto& rs = *st.recovery;
  for (auto& p : sent.packets) {
    auto size = frames_size(sent, p);
    std::vector<socket_directory::kept_ref> to;
    for (auto* e : away) {
      auto a = rs.away.find(e->id);
      if (a == rs.away.end())
        continue;
      for (auto& pid : a->second) {
        auto k = rs.kept.find(pid);
        if (k == rs.kept.end() || k->second.nsp != p.nsp)
          continue;
        if (count_mirrored(rs, k->second, size))
          to.emplace_back(pid, k->second.expires_ms);
      }
    }
    if (!to.empty())
      st.cfg.directory->missed(st.cfg.name, to, encode_logged(sent, p));
  }
}

void note_away_groups(hub_state& st, const connection_entry& e) {
  auto& rs = *st.recovery;
  auto a = rs.away.find(e.id);
  if (a == rs.away.end() || !mirrored(st))
    return;
  for (auto& pid : a->second)
    if (auto k = rs.kept.find(pid); k != rs.kept.end())
      st.cfg.directory->kept_changed(st.cfg.name, pid, record_of(st, e, k->second));
}

bool keep_lost(self_ptr self, const std::string& connection_id, const std::string& reason) {
  auto& st = self->state;
  auto& rs = *st.recovery;
  auto i = rs.live.find(connection_id);
  if (i == rs.live.end())
    return false;
  auto sockets = std::move(i->second);
  rs.live.erase(i);
  auto* e = find_connection(st, connection_id);
  if (!e || !recoverable_loss(reason))
    return false; // the session told the handler itself
  // The session left these sockets' disconnected events to the hub.
  uint32_t kept = 0;
  auto now = now_ms();
  auto expires = now + rs.cfg.max_disconnection_duration;
  auto& pids = rs.away[connection_id];
  for (auto& s : sockets) {
    if (rs.kept.size() >= rs.cfg.max_kept_sessions) {
      if (rs.refused_size)
        rs.refused_size->inc();
      notify_disconnected(self, {st.cfg.name, connection_id, s.nsp, s.socket_id, e->user_id},
                          reason);
      continue;
    }
    auto& ks = rs.kept[s.pid];
    ks.connection_id = connection_id;
    ks.nsp = s.nsp;
    ks.socket_id = s.socket_id;
    ks.reason = reason;
    ks.joined_after = s.joined_after;
    ks.expires_ms = expires;
    ks.foreign_offset = std::move(s.foreign_offset);
    pids.push_back(s.pid);
    ++kept;
    if (rs.kept_gauge)
      rs.kept_gauge->add();
    if (mirrored(st))
      mirror_kept(st, *e, s.pid, ks, now);
  }
  if (kept == 0) {
    rs.away.erase(connection_id);
    return false;
  }
  e->session = nullptr;
  e->ws.reset();
  e->handover.reset();
  arm_sweep(self);
  spdlog::info("connection lost hub={} connection={} reason={}: {} socket(s) kept for {} ms",
               st.cfg.name, connection_id, reason, kept, rs.cfg.max_disconnection_duration);
  return true;
}

namespace {

/// A resumed socket joins its new connection: the namespace group and its
/// own room as the connection's managed groups, and its user when the
/// connection has none.
void take_socket(hub_state& st, connection_entry& fresh, const std::string& nsp,
                 const std::string& socket_id, const std::string& user_id) {
  for (auto g : {routing::namespace_group(nsp), routing::room_group(nsp, socket_id)}) {
    st.groups.join(fresh.id, g);
    fresh.managed.push_back(st.groups.stored_name(g));
  }
  if (fresh.user_id.empty() && !user_id.empty()) {
    fresh.user_id = user_id;
    st.users[fresh.user_id].insert(std::string_view{fresh.id});
  }
}

/// The CONNECT answer of a resumed socket: its old id, its pid.
wire_packet connect_answer(const std::string& nsp, const std::string& socket_id,
                           const std::string& pid) {
  protocol::sio_packet ok;
  ok.type = protocol::sio_packet_type::connect;
  ok.nsp = nsp;
  ok.data = "{\"sid\":" + protocol::json_string(socket_id)
            + ",\"pid\":" + protocol::json_string(pid) + "}";
  return {false, std::make_shared<const std::string>(protocol::encode_message(ok))};
}

/// The carried packets (a socket taken over from a node that died) its
/// client has not had: those after the client's offset, or all of them
/// when the offset is none of theirs (offsets practically never repeat
/// across nodes, see start_recovery). Appends them to `out`, counting
/// them in `packets` and `bytes`; the last one's offset goes to `last`.
void carried_since(const std::vector<cluster::kept_packet>& carried,
                   const std::string* offset_text, std::vector<wire_packet>& out,
                   size_t& packets, size_t& bytes, std::string& last) {
  size_t from = 0;
  if (offset_text)
    if (auto offset = protocol::parse_offset(*offset_text))
      for (size_t i = 0; i < carried.size(); ++i)
        if (carried[i].offset == *offset)
          from = i + 1;
  for (size_t i = from; i < carried.size(); ++i) {
    ++packets;
    for (auto& [binary, frame] : carried[i].frames) {
      bytes += frame.size();
      out.push_back({binary, std::make_shared<const std::string>(frame)});
    }
    last = std::to_string(carried[i].offset);
  }
}

/// What resuming kept socket `k` takes: the packets it missed since the
/// client's offset (or since it joined). When it cannot be resumed
/// exactly, the socket ends now and `why` names the refusal. `foreign`
/// becomes the offset the client will have last got if it is not one
/// this hub gave (see recoverable_socket::foreign_offset).
bool prepare_resume(self_ptr self, std::unordered_map<std::string, kept_socket>::iterator k,
                    bool has_offset, const std::string& offset_text,
                    std::vector<wire_packet>& missed, metrics::counter*& why,
                    std::string& foreign) {
  auto& st = self->state;
  auto& rs = *st.recovery;
  auto& ks = k->second;
  auto* lost = find_connection(st, ks.connection_id);
  uint64_t start = ks.joined_after;
  size_t packets = 0, bytes = 0;
  foreign = has_offset ? offset_text : std::string{};
  if (ks.adopted) {
    // Its client's offset is the dead node's: this hub gave it nothing.
    if (has_offset && !protocol::parse_offset(offset_text)) {
      why = rs.refused_unknown;
      end_kept(self, k);
      return false;
    }
    carried_since(ks.carried, has_offset ? &offset_text : nullptr, missed, packets, bytes,
                  foreign);
  } else if (has_offset && offset_text == ks.foreign_offset) {
    // The offset it got on the node it came from: everything since it
    // joined here.
    foreign = ks.foreign_offset;
  } else if (has_offset) {
    auto offset = protocol::parse_offset(offset_text);
    if (!offset || *offset > rs.last_offset) {
      // Not an offset this hub gave: the client starts afresh, and the
      // socket it held ends now rather than at the window's end.
      why = rs.refused_unknown;
      end_kept(self, k);
      return false;
    }
    start = std::max(start, *offset);
    foreign.clear();
  }
  auto before = missed.size();
  if (!lost || packets > rs.cfg.max_missed_packets || bytes > rs.cfg.max_missed_bytes
      || !missed_since(st, *lost, ks, start, missed, packets, bytes)) {
    spdlog::info("socket not recovered hub={} nsp={} socket={}: it missed packets the "
                 "log dropped, or more than maxMissedPackets/maxMissedBytes",
                 st.cfg.name, ks.nsp, ks.socket_id);
    why = rs.refused_size;
    end_kept(self, k);
    return false;
  }
  if (missed.size() > before)
    foreign.clear(); // its last offset is this hub's now
  return true;
}

/// The resumed socket's CONNECT answer and missed packets on its new
/// connection, after the session has its answer (in its mailbox before
/// the CONNECT is written, so it knows the socket before the client can
/// use it).
void deliver_resumed(self_ptr self, connection_entry& fresh, std::vector<wire_packet> packets,
                     caf::typed_response_promise<restore_answer>& answer,
                     restore_answer result) {
  auto& st = self->state;
  if (st.recovery->recovered)
    st.recovery->recovered->inc();
  answer.deliver(std::move(result));
  auto direct = deliver(self, fresh,
                        std::make_shared<const std::vector<wire_packet>>(std::move(packets)));
  if (st.context->counters && direct > 0)
    st.context->counters->packets_out->inc(direct);
}

/// The socket `moved` (another node's) resumes on connection `r`.
void adopt(self_ptr self, const restore_request& r, moved_socket& moved,
           caf::typed_response_promise<restore_answer>& answer) {
  auto& st = self->state;
  auto& rs = *st.recovery;
  auto* fresh = find_connection(st, r.connection_id);
  if (!fresh || is_away(*fresh)
      || (!fresh->user_id.empty() && fresh->user_id != moved.user_id)) {
    // Handed over, but it cannot go on here: it ends (the node that gave
    // it sent nothing).
    notify_disconnected(self, {st.cfg.name, moved.connection_id, r.nsp, moved.socket_id,
                               moved.user_id},
                        moved.reason);
    if (rs.refused_unknown)
      rs.refused_unknown->inc();
    answer.deliver(restore_answer{});
    return;
  }
  for (auto& g : moved.groups)
    if (routing::is_valid_group_name(g))
      st.groups.join(fresh->id, g);
  take_socket(st, *fresh, r.nsp, moved.socket_id, moved.user_id);
  // With nothing missed, its client's last offset stays the other node's.
  rs.live[fresh->id].push_back({r.nsp, moved.socket_id, r.pid, rs.last_offset,
                                moved.missed.empty() && r.has_offset ? r.offset
                                                                     : std::string{}});
  set_alias(rs, moved.connection_id, fresh->id);
  if (st.cfg.directory)
    st.cfg.directory->joined({st.cfg.name, fresh->id, r.nsp, moved.socket_id, fresh->user_id});
  // The missed packets continue this node's offsets: stamped again (and
  // logged) as a send to the new connection.
  auto plain = std::make_shared<std::vector<wire_packet>>();
  for (auto& p : moved.missed) {
    auto bare = p.binary ? std::nullopt : protocol::without_offset(*p.frame);
    plain->push_back(bare ? wire_packet{false, std::make_shared<const std::string>(std::move(*bare))}
                          : p);
  }
  std::vector<wire_packet> packets{connect_answer(r.nsp, moved.socket_id, r.pid)};
  auto missed = plain->size();
  if (!plain->empty()) {
    auto stamped = stamp_and_log(st, target::connection(fresh->id), plain);
    packets.insert(packets.end(), stamped->begin(), stamped->end());
  }
  spdlog::info("socket recovered from another node hub={} nsp={} socket={} connection={} "
               "(was {}) missed={}",
               st.cfg.name, r.nsp, moved.socket_id, fresh->id, moved.connection_id, missed);
  deliver_resumed(self, *fresh, std::move(packets), answer,
                  restore_answer{true, moved.socket_id, fresh->user_id});
}

/// A pid no live node keeps: the node that kept it may have died, or this
/// node's previous run; Redis may hold it (socket_directory::take_kept).
void take_from_redis(self_ptr self, const restore_request& r,
                     caf::typed_response_promise<restore_answer> answer) {
  auto& st = self->state;
  auto& rs = *st.recovery;
  if (!mirrored(st)) {
    if (rs.refused_unknown)
      rs.refused_unknown->inc();
    answer.deliver(restore_answer{});
    return;
  }
  auto id = ++rs.last_take;
  rs.takes.emplace(id, pending_take{r, answer});
  auto hub = caf::actor_cast<hub_full_actor>(self);
  st.cfg.directory->take_kept(st.cfg.name, r.pid, [hub, id](std::optional<taken_socket> t) {
    caf::anon_send(hub, kept_taken{id, std::move(t)});
  });
}

/// A pid this hub does not keep: the other nodes are asked for it.
void claim_remote(self_ptr self, const restore_request& r,
                  caf::typed_response_promise<restore_answer> answer) {
  auto& rs = *self->state.recovery;
  self->request(rs.front, std::chrono::seconds{10}, resume_claim{r.pid, r.nsp, r.offset, r.has_offset})
    .then(
      [self, r, answer](moved_socket& moved) mutable {
        if (!moved.found)
          return take_from_redis(self, r, answer);
        adopt(self, r, moved, answer);
      },
      [answer](caf::error&) mutable { answer.deliver(restore_answer{}); });
}

} // namespace

void restore_socket(self_ptr self, restore_request& r,
                    caf::typed_response_promise<restore_answer> answer) {
  auto& st = self->state;
  auto& rs = *st.recovery;
  auto refuse = [&](metrics::counter* why) {
    if (why)
      why->inc();
    answer.deliver(restore_answer{});
  };
  auto k = rs.kept.find(r.pid);
  auto* fresh = find_connection(st, r.connection_id);
  // A connection that went meanwhile has nothing to resume onto.
  if (!fresh || is_away(*fresh))
    return refuse(rs.refused_unknown);
  if (k == rs.kept.end()) {
    if (rs.front)
      return claim_remote(self, r, answer);
    return refuse(rs.refused_unknown);
  }
  // Another namespace's pid is unknown here.
  if (k->second.nsp != r.nsp)
    return refuse(rs.refused_unknown);
  auto* lost = find_connection(st, k->second.connection_id);
  if (!lost || (!fresh->user_id.empty() && fresh->user_id != lost->user_id))
    return refuse(rs.refused_unknown);
  auto& ks = k->second;
  std::vector<wire_packet> replay{connect_answer(r.nsp, ks.socket_id, r.pid)};
  metrics::counter* why = nullptr;
  std::string foreign;
  if (!prepare_resume(self, k, r.has_offset, r.offset, replay, why, foreign))
    return refuse(why);
  // The socket moves: its rooms, its user, its pid (it can be lost again).
  auto socket_id = ks.socket_id;
  auto lost_id = ks.connection_id;
  auto joined_after = ks.joined_after;
  auto prefix = routing::namespace_group(r.nsp);
  move_groups(st, *lost, *fresh, prefix);
  take_socket(st, *fresh, r.nsp, socket_id, lost->user_id);
  if (st.cfg.directory) {
    st.cfg.directory->left({st.cfg.name, lost_id, r.nsp, socket_id, lost->user_id});
    st.cfg.directory->joined({st.cfg.name, fresh->id, r.nsp, socket_id, fresh->user_id});
  }
  auto user_id = fresh->user_id;
  rs.live[fresh->id].push_back({r.nsp, socket_id, r.pid, joined_after, std::move(foreign)});
  rs.kept.erase(k);
  if (rs.kept_gauge)
    rs.kept_gauge->sub();
  if (mirrored(st))
    st.cfg.directory->kept_ended(st.cfg.name, r.pid);
  set_alias(rs, lost_id, fresh->id);
  if (leave_away(rs, lost_id, r.pid)) {
    move_groups(st, *lost, *fresh, {}); // the connection's own groups too
    forget_connection(st, lost_id);
  }
  spdlog::info("socket recovered hub={} nsp={} socket={} connection={} (was {}) "
               "missed={}",
               st.cfg.name, r.nsp, socket_id, fresh->id, lost_id, replay.size() - 1);
  deliver_resumed(self, *fresh, std::move(replay), answer,
                  restore_answer{true, socket_id, user_id});
}

moved_socket hand_over(self_ptr self, resume_claim& c) {
  auto& st = self->state;
  auto& rs = *st.recovery;
  auto k = rs.kept.find(c.pid);
  if (k == rs.kept.end() || k->second.nsp != c.nsp)
    return {};
  auto* lost = find_connection(st, k->second.connection_id);
  if (!lost)
    return {};
  moved_socket moved;
  metrics::counter* why = nullptr;
  std::string foreign;
  if (!prepare_resume(self, k, c.has_offset, c.offset, moved.missed, why, foreign)) {
    if (why)
      why->inc();
    return {};
  }
  auto& ks = k->second;
  moved.found = true;
  moved.socket_id = ks.socket_id;
  moved.connection_id = ks.connection_id;
  moved.user_id = lost->user_id;
  moved.reason = ks.reason;
  // Its rooms; the connection's own groups too when nothing else of it
  // is kept here.
  auto prefix = routing::namespace_group(c.nsp);
  auto a = rs.away.find(ks.connection_id);
  bool last = a != rs.away.end() && a->second.size() == 1;
  if (auto* gs = st.groups.groups_of(lost->id))
    for (auto g : *gs)
      if (last || starts_with(g, prefix))
        moved.groups.emplace_back(g);
  spdlog::info("socket handed over hub={} nsp={} socket={} connection={} missed={}",
               st.cfg.name, c.nsp, moved.socket_id, moved.connection_id, moved.missed.size());
  end_kept(self, k, false);
  drop_aliases_of(st, moved.connection_id);
  return moved;
}

void sweep(self_ptr self) {
  auto& st = self->state;
  auto& rs = *st.recovery;
  rs.sweeping = false;
  auto now = now_ms();
  std::vector<std::string> due;
  for (auto& [pid, ks] : rs.kept)
    if (ks.expires_ms <= now)
      due.push_back(pid);
  for (auto& pid : due)
    if (auto k = rs.kept.find(pid); k != rs.kept.end()) {
      if (rs.expired)
        rs.expired->inc();
      end_kept(self, k);
    }
  trim_by_age(rs, now);
  if (!rs.kept.empty())
    arm_sweep(self);
}

void end_away(self_ptr self, const std::string& connection_id, const std::string* nsp) {
  auto& rs = *self->state.recovery;
  auto a = rs.away.find(connection_id);
  if (a == rs.away.end())
    return;
  std::vector<std::string> pids;
  for (auto& pid : a->second)
    if (auto k = rs.kept.find(pid); k != rs.kept.end() && (!nsp || k->second.nsp == *nsp))
      pids.push_back(pid);
  for (auto& pid : pids)
    if (auto k = rs.kept.find(pid); k != rs.kept.end())
      end_kept(self, k);
}

void end_all_kept(self_ptr self) {
  auto& rs = *self->state.recovery;
  while (!rs.kept.empty())
    end_kept(self, rs.kept.begin());
}

namespace {

/// A taken socket's packets, decoded into `ks` (carried, and counted as
/// written to Redis); false when one is unreadable or they are past the
/// per-socket bounds (then it cannot resume exactly).
bool decode_carried(const recovery_state& rs, const taken_socket& t, kept_socket& ks) {
  if (t.packets.size() > rs.cfg.max_missed_packets)
    return false;
  for (auto& raw : t.packets) {
    auto p = cluster::decode_kept_packet(raw);
    if (!p)
      return false;
    ++ks.mirrored_packets;
    for (auto& f : p->frames)
      ks.mirrored_bytes += f.second.size();
    ks.carried.push_back(std::move(*p));
  }
  return ks.mirrored_bytes <= rs.cfg.max_missed_bytes;
}

socket_ref ref_of(const hub_state& st, const cluster::kept_record& r) {
  return {st.cfg.name, r.connection_id, r.nsp, r.socket_id, r.user_id};
}

} // namespace

void resume_taken(self_ptr self, kept_taken& t) {
  auto& st = self->state;
  auto& rs = *st.recovery;
  auto p = rs.takes.find(t.id);
  if (p == rs.takes.end())
    return;
  auto take = std::move(p->second);
  rs.takes.erase(p);
  auto& r = take.request;
  if (!t.socket) {
    if (rs.refused_unknown)
      rs.refused_unknown->inc();
    take.answer.deliver(restore_answer{});
    return;
  }
  auto& rec = t.socket->record;
  // Taken, it is this node's to end when it cannot go on.
  auto end_it = [&](metrics::counter* why) {
    notify_disconnected(self, ref_of(st, rec), rec.reason);
    if (why)
      why->inc();
    take.answer.deliver(restore_answer{});
  };
  if (rec.nsp != r.nsp)
    return end_it(rs.refused_unknown);
  if (rec.expires_ms <= now_ms())
    return end_it(rs.expired);
  kept_socket ks;
  if (!decode_carried(rs, *t.socket, ks))
    return end_it(rs.refused_size);
  if (r.has_offset && !protocol::parse_offset(r.offset))
    return end_it(rs.refused_unknown);
  moved_socket moved;
  size_t packets = 0, bytes = 0;
  std::string last;
  carried_since(ks.carried, r.has_offset ? &r.offset : nullptr, moved.missed, packets, bytes,
                last);
  moved.found = true;
  moved.socket_id = rec.socket_id;
  moved.connection_id = rec.connection_id;
  moved.user_id = rec.user_id;
  moved.reason = rec.reason;
  moved.groups = std::move(rec.groups);
  spdlog::info("socket taken over from node {} hub={} nsp={} socket={} missed={}", rec.node,
               st.cfg.name, rec.nsp, rec.socket_id, packets);
  adopt(self, r, moved, take.answer);
}

void adopt_orphans(self_ptr self, std::vector<taken_socket>& sockets) {
  auto& st = self->state;
  auto& rs = *st.recovery;
  auto now = now_ms();
  for (auto& t : sockets) {
    auto& rec = t.record;
    if (auto k = rs.kept.find(t.pid); k != rs.kept.end()) {
      // Already kept here (its record was taken back from Redis): written again.
      if (auto* lost = find_connection(st, k->second.connection_id))
        st.cfg.directory->kept(st.cfg.name, t.pid, record_of(st, *lost, k->second),
                               std::move(t.packets));
      continue;
    }
    auto ref = ref_of(st, rec);
    kept_socket ks;
    ks.adopted = true;
    auto* e = find_connection(st, rec.connection_id);
    bool fits = rs.kept.size() < rs.cfg.max_kept_sessions && (!e || is_away(*e));
    if (rec.expires_ms <= now || !fits || !decode_carried(rs, t, ks)) {
      auto* why = rec.expires_ms <= now ? rs.expired : rs.refused_size;
      if (why)
        why->inc();
      notify_disconnected(self, std::move(ref), rec.reason);
      continue;
    }
    if (!e) {
      auto entry = std::make_unique<connection_entry>();
      entry->id = rec.connection_id;
      entry->connected_ms = now;
      e = entry.get();
      std::string_view key = entry->id;
      st.connections.emplace(key, std::move(entry));
    }
    for (auto& g : rec.groups)
      if (routing::is_valid_group_name(g))
        st.groups.join(e->id, g);
    take_socket(st, *e, rec.nsp, rec.socket_id, rec.user_id);
    ks.connection_id = rec.connection_id;
    ks.nsp = rec.nsp;
    ks.socket_id = rec.socket_id;
    ks.reason = rec.reason;
    ks.joined_after = rs.last_offset;
    ks.expires_ms = rec.expires_ms;
    auto& kept = rs.kept[t.pid] = std::move(ks);
    rs.away[rec.connection_id].push_back(t.pid);
    if (rs.kept_gauge)
      rs.kept_gauge->add();
    st.cfg.directory->joined(ref);
    st.cfg.directory->kept(st.cfg.name, t.pid, record_of(st, *e, kept), std::move(t.packets));
    spdlog::info("socket kept for node {} hub={} nsp={} socket={} connection={}: {} packet(s), "
                 "{} ms left",
                 rec.node, st.cfg.name, rec.nsp, rec.socket_id, rec.connection_id,
                 kept.carried.size(), rec.expires_ms - now);
  }
  if (!rs.kept.empty())
    arm_sweep(self);
}

const std::string* alias_of(const hub_state& st, std::string_view connection_id) {
  if (!st.recovery)
    return nullptr;
  auto& a = st.recovery->alias;
  auto i = a.find(std::string{connection_id});
  return i == a.end() ? nullptr : &i->second;
}

void drop_aliases_of(hub_state& st, const std::string& connection_id) {
  if (!st.recovery)
    return;
  auto& rs = *st.recovery;
  auto i = rs.aliased_by.find(connection_id);
  if (i == rs.aliased_by.end())
    return;
  for (auto& old_id : i->second)
    rs.alias.erase(old_id);
  rs.aliased_by.erase(i);
}

} // namespace sio::hub_parts
