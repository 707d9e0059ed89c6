#include "actors/adapter_broadcasts.hpp"

#include "lib/cluster/adapter_channels.hpp"
#include "lib/cluster/adapter_codec.hpp"
#include "lib/routing/group_name.hpp"

#include <optional>

namespace sio {

namespace {

/// The namespace of a text frame "4<type>[<n>-][/nsp,]...": "/" when it
/// names none.
std::string packet_nsp(std::string_view frame) {
  size_t i = 2;  // past the Engine.IO message type and the Socket.IO type
  if (frame.size() > 1 && (frame[1] == '5' || frame[1] == '6')) {
    while (i < frame.size() && frame[i] >= '0' && frame[i] <= '9')
      ++i;
    if (i < frame.size() && frame[i] == '-')
      ++i;
  }
  if (i >= frame.size() || frame[i] != '/')
    return "/";
  auto end = frame.find(',', i);
  return std::string{frame.substr(i, end == std::string_view::npos ? end : end - i)};
}

/// The rooms a group stands for in namespace `nsp`: nullopt when it is not
/// one of nsp's rooms; an empty list for the namespace group itself.
std::optional<std::string> room_of(const std::string& group, const std::string& nsp) {
  auto ref = routing::parse_group(group);
  if (!ref || ref->nsp != nsp)
    return std::nullopt;
  return ref->room;
}

} // namespace

std::vector<std::pair<std::string, std::string>>
adapter_broadcasts_for(const send_command& cmd, const std::string& key, const std::string& uid) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto& to = cmd.to;
  if (!cmd.packets || to.filter || !to.excluded.empty()
      || to.kind == target_kind::connection || to.kind == target_kind::user)
    return out;
  // One broadcast per event packet: a text frame and its attachments.
  std::vector<std::vector<cluster::frame>> packets;
  for (auto& p : *cmd.packets) {
    if (!p.frame)
      continue;
    if (!p.binary)
      packets.emplace_back();
    if (!packets.empty())
      packets.back().push_back({p.binary, *p.frame});
  }
  for (auto& frames : packets) {
    cluster::adapter_broadcast b;
    b.uid = uid;
    b.nsp = packet_nsp(frames.front().bytes);
    if (to.kind == target_kind::group) {
      // The union of the target's groups, as rooms of the packet's
      // namespace; the namespace group is every socket of it.
      bool whole_namespace = false;
      bool mappable = true;
      auto add = [&](const std::string& g) {
        auto room = room_of(g, b.nsp);
        if (!room)
          mappable = false;
        else if (room->empty())
          whole_namespace = true;
        else
          b.opts.rooms.push_back(std::move(*room));
      };
      add(to.name);
      for (auto& g : to.extra_groups)
        add(g);
      if (!mappable)
        continue;
      if (whole_namespace)
        b.opts.rooms.clear();
    }
    bool mappable = true;
    for (auto& g : to.excluded_groups) {
      auto room = room_of(g, b.nsp);
      if (!room || room->empty())
        mappable = false;
      else
        b.opts.except.push_back(std::move(*room));
    }
    if (!mappable)
      continue;
    b.frames = std::move(frames);
    auto bytes = cluster::encode_broadcast(b);
    if (!bytes)
      continue;  // not one event with its attachments
    auto channel = b.opts.rooms.size() == 1
                     ? cluster::room_channel(key, b.nsp, b.opts.rooms.front())
                     : cluster::broadcast_channel(key, b.nsp);
    out.emplace_back(std::move(channel), std::move(*bytes));
  }
  return out;
}

} // namespace sio
