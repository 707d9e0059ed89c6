#include "actors/pending_acks.hpp"

#include <algorithm>
#include <utility>

namespace sio {

std::string pending_acks::refusal(const std::vector<recipient>& recipients) const {
  if (sends_.size() >= limits_.max_sends)
    return "too many acked sends awaited in this hub (at most "
           + std::to_string(limits_.max_sends) + ")";
  for (auto& r : recipients)
    if (auto i = by_connection_.find(r.connection_id);
        i != by_connection_.end() && i->second.size() >= limits_.max_per_connection)
      return "connection " + r.connection_id + " already awaits "
             + std::to_string(i->second.size()) + " acks (at most "
             + std::to_string(limits_.max_per_connection) + ")";
  return {};
}

uint64_t pending_acks::open(std::string nsp, std::vector<recipient> recipients,
                            std::vector<uint64_t>& ack_ids) {
  auto send_id = next_send_++;
  auto& s = sends_[send_id];
  s.open = recipients.size();
  s.ack_ids.reserve(recipients.size());
  ack_ids.clear();
  ack_ids.reserve(recipients.size());
  for (auto& r : recipients) {
    auto id = next_ack_++;
    by_connection_[r.connection_id].push_back(id);
    awaited_.emplace(id, awaited_ack{send_id, nsp, std::move(r)});
    s.ack_ids.push_back(id);
    ack_ids.push_back(id);
  }
  return send_id;
}

std::optional<uint64_t> pending_acks::settle(uint64_t ack_id) {
  auto i = awaited_.find(ack_id);
  if (i == awaited_.end())
    return std::nullopt;
  auto send_id = i->second.send_id;
  if (auto c = by_connection_.find(i->second.to.connection_id); c != by_connection_.end()) {
    auto& ids = c->second;
    ids.erase(std::remove(ids.begin(), ids.end(), ack_id), ids.end());
    if (ids.empty())
      by_connection_.erase(c);
  }
  awaited_.erase(i);
  auto s = sends_.find(send_id);
  if (s == sends_.end() || --s->second.open > 0)
    return std::nullopt;
  return send_id;
}

std::optional<uint64_t> pending_acks::answer(std::string_view connection_id,
                                             std::string_view nsp, uint64_t ack_id,
                                             std::string args,
                                             std::vector<std::string> attachments) {
  auto i = awaited_.find(ack_id);
  // A client can only answer what was sent to it: an id is never taken
  // from another connection or namespace (ids are sequential, so guessable).
  if (i == awaited_.end() || i->second.to.connection_id != connection_id
      || i->second.nsp != nsp)
    return std::nullopt;
  // Copies, not moves: settle() finds the connection's index by its id.
  if (auto s = sends_.find(i->second.send_id); s != sends_.end()) {
    auto& to = i->second.to;
    s->second.result.acks.push_back(
      {to.socket_id, to.connection_id, to.user_id, std::move(args), std::move(attachments)});
  }
  return settle(ack_id);
}

std::vector<uint64_t> pending_acks::gone(std::string_view connection_id,
                                         const std::string* nsp,
                                         const std::string& reason) {
  std::vector<uint64_t> completed;
  auto c = by_connection_.find(std::string{connection_id});
  if (c == by_connection_.end())
    return completed;
  auto ids = c->second; // settle() edits the index
  for (auto id : ids) {
    auto i = awaited_.find(id);
    if (i == awaited_.end() || (nsp && i->second.nsp != *nsp))
      continue;
    if (auto s = sends_.find(i->second.send_id); s != sends_.end())
      s->second.result.timed_out.push_back(
        {i->second.to.socket_id, i->second.to.connection_id, reason});
    if (auto done = settle(id))
      completed.push_back(*done);
  }
  return completed;
}

std::optional<ack_result> pending_acks::finish(uint64_t send_id) {
  auto s = sends_.find(send_id);
  if (s == sends_.end())
    return std::nullopt;
  auto& st = s->second;
  for (auto id : st.ack_ids) {
    auto i = awaited_.find(id);
    if (i == awaited_.end())
      continue; // settled already
    st.result.timed_out.push_back(
      {i->second.to.socket_id, i->second.to.connection_id, {}});
    settle(id);
  }
  auto out = std::move(st.result);
  sends_.erase(send_id);
  return out;
}

} // namespace sio
