// What a hub answers about its sockets (listings, a Node peer's
// fetchSockets) and the acked sends it runs on them.
#include "actors/hub_state.hpp"

#include "lib/protocol/sio_encoder.hpp"
#include "lib/routing/group_name.hpp"

#include <asio/ip/address.hpp>

#include <algorithm>
#include <chrono>

namespace sio::hub_parts {

namespace {

/// The address pack_address kept, as text ("" for none).
std::string address_text(const std::array<uint8_t, 16>& bytes) {
  if (bytes == std::array<uint8_t, 16>{})
    return {};
  asio::ip::address_v6 v6{bytes};
  if (v6.is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  return v6.to_string();
}

} // namespace

std::string socket_of(const connection_entry& e, const std::string& nsp,
                      std::string_view prefix) {
  for (auto g : e.managed)
    if (g.size() > prefix.size() && g.compare(0, prefix.size(), prefix) == 0)
      if (auto ref = routing::parse_group(g); ref && ref->nsp == nsp)
        return std::move(ref->room);
  return {};
}

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
  // A lost socket kept for recovery cannot answer now: timed out at once.
  static const std::string away_reason = "transport close";
  for (auto* e : entries)
    if (is_away(*e))
      answer_acked_sends(st, st.acks.gone(e->id, &cmd.nsp, away_reason));
  return promise;
}

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

} // namespace sio::hub_parts
