// sio::emitter (<sio/emitter.hpp>): Socket.IO rooms as hub groups
// (routing::room_group; a socket's id is the room the session joins it to
// on connect) and one hub command per call.
#include <sio/emitter.hpp>

#include "lib/protocol/event_array.hpp"
#include "lib/protocol/sio_encoder.hpp"
#include "lib/routing/group_name.hpp"
#include "lib/routing/odata_filter.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <limits>

namespace sio {

namespace {

/// The group of `room` in `nsp`. The empty room is a room no socket can
/// join: its group name would otherwise be the namespace group's (and
/// leave("") would take sockets out of their namespace). The hub has no
/// group "" (invalid name), so it addresses nobody.
std::string group_of(std::string_view nsp, std::string_view room) {
  if (room.empty())
    return {};
  return routing::room_group(nsp, room);
}

} // namespace

emitter::emitter(hub_actor hub, std::string nsp)
  : hub_(std::move(hub)), nsp_(std::move(nsp)) {
}

emitter emitter::of(std::string nsp) const {
  return emitter{hub_, std::move(nsp)};
}

emitter emitter::to(std::string room) const {
  emitter out = *this;
  out.user_.reset();
  out.rooms_.push_back(std::move(room));
  return out;
}

emitter emitter::to_user(std::string user_id) const {
  emitter out = *this;
  out.rooms_.clear();
  out.user_ = std::move(user_id);
  return out;
}

emitter emitter::except(std::string room) const {
  emitter out = *this;
  out.except_.push_back(std::move(room));
  return out;
}

target emitter::to_target() const {
  target t;
  if (user_) {
    // A user's connections, but only those with a socket in this
    // namespace: the others must not join its rooms (nor get its packets).
    // Group names are base64url and '~': no quote to escape in the literal.
    t = target::user(*user_);
    routing::odata_limits unbounded; // our own text: a long nsp is fine
    unbounded.max_length = std::numeric_limits<size_t>::max();
    auto filter = routing::odata_filter::parse(
      "'" + routing::namespace_group(nsp_) + "' in groups", unbounded);
    if (filter)
      t.filter = std::make_shared<const routing::odata_filter>(std::move(*filter));
  } else if (rooms_.empty()) {
    t = target::group(routing::namespace_group(nsp_));
  } else {
    t = target::group(group_of(nsp_, rooms_.front()));
    for (size_t i = 1; i < rooms_.size(); ++i)
      t.extra_groups.push_back(group_of(nsp_, rooms_[i]));
  }
  for (const auto& room : except_)
    t.excluded_groups.push_back(group_of(nsp_, room));
  return t;
}

void emitter::emit(std::string_view name, const args& a) const {
  if (!hub_)
    return;
  // The text frame `42/nsp,["name",...]` (BINARY_EVENT `45<n>-...` with
  // attachments) and one binary frame per attachment, built once for every
  // recipient.
  auto data = protocol::event_array(name, a);
  const auto& attachments = a.attachments();
  using protocol::sio_packet_type;
  auto packets = std::make_shared<std::vector<wire_packet>>();
  packets->reserve(1 + attachments.size());
  packets->push_back(
    {false, std::make_shared<const std::string>(protocol::encode_message(
              attachments.empty() ? sio_packet_type::event
                                  : sio_packet_type::binary_event,
              nsp_, std::nullopt, data, attachments.size()))});
  for (const auto& bytes : attachments)
    packets->push_back({true, std::make_shared<const std::string>(bytes)});
  caf::anon_send(hub_, send_command{to_target(), std::move(packets)});
}

acked_send_command emitter::with_acks(std::chrono::milliseconds timeout,
                                     std::string_view name, const args& a) const {
  acked_send_command cmd;
  cmd.to = to_target();
  cmd.nsp = nsp_;
  cmd.data = protocol::event_array(name, a);
  cmd.attachments = a.attachments();
  cmd.timeout = timeout;
  return cmd;
}

void emitter::join(std::string room) const {
  if (!hub_ || room.empty())
    return;
  // membership_command is a request in hub_actor (its reply counts the
  // connections); a typed anon_send would want that reply handled, so it
  // goes through the untyped handle, and the hub's reply, with no sender
  // to go to, is dropped.
  caf::anon_send(caf::actor_cast<caf::actor>(hub_),
                 membership_command{to_target(),
                                    {routing::room_group(nsp_, room)}, true});
}

void emitter::leave(std::string room) const {
  if (!hub_ || room.empty())
    return;
  // Untyped for the same reason as join().
  caf::anon_send(caf::actor_cast<caf::actor>(hub_),
                 membership_command{to_target(),
                                    {routing::room_group(nsp_, room)}, false});
}

void emitter::disconnect(bool close) const {
  if (!hub_)
    return;
  caf::anon_send(hub_, disconnect_command{to_target(), nsp_, close});
}

} // namespace sio
