// lib/cluster/adapter_channels.cpp: string building and prefix matching
// (see adapter_channels.hpp).
#include "lib/cluster/adapter_channels.hpp"

namespace sio::cluster {

namespace {

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts)
    out.append(p);
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void append_glob_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
      out += '\\';
    out += c;
  }
}

} // namespace

std::string broadcast_channel(std::string_view key, std::string_view nsp) {
  return join({key, "#", nsp, "#"});
}

std::string room_channel(std::string_view key, std::string_view nsp, std::string_view room) {
  return join({key, "#", nsp, "#", room, "#"});
}

std::string request_channel(std::string_view key, std::string_view nsp) {
  return join({key, "-request#", nsp, "#"});
}

std::string response_channel(std::string_view key, std::string_view nsp) {
  return join({key, "-response#", nsp, "#"});
}

std::string response_channel(std::string_view key, std::string_view nsp, std::string_view uid) {
  return join({key, "-response#", nsp, "#", uid, "#"});
}

std::string broadcast_pattern(std::string_view key, std::string_view nsp) {
  std::string out;
  append_glob_escaped(out, key);
  out += '#';
  append_glob_escaped(out, nsp);
  out += "#*";
  return out;
}

std::string all_broadcasts_pattern(std::string_view key) {
  std::string out;
  append_glob_escaped(out, key);
  out += "#*";
  return out;
}

channel_info classify_channel(std::string_view key, std::string_view channel) {
  if (!starts_with(channel, key))
    return {};
  auto tail = channel.substr(key.size());
  for (auto [prefix, kind] : {std::pair{std::string_view{"#"}, channel_kind::broadcast},
                              std::pair{std::string_view{"-request#"}, channel_kind::request},
                              std::pair{std::string_view{"-response#"}, channel_kind::response}})
    if (starts_with(tail, prefix))
      return {kind, tail.substr(prefix.size())};
  return {};
}

std::optional<std::string_view> broadcast_room(
  std::string_view key, std::string_view nsp, std::string_view channel) {
  auto prefix = broadcast_channel(key, nsp);
  if (!starts_with(channel, prefix))
    return std::nullopt;
  auto rest = channel.substr(prefix.size());
  if (rest.empty())
    return std::string_view{};
  if (rest.back() != '#') // Node's slice(.., -1) would cut a character anyway
    return std::nullopt;
  return rest.substr(0, rest.size() - 1);
}

bool is_request_channel(std::string_view key, std::string_view nsp, std::string_view channel) {
  return channel == request_channel(key, nsp);
}

bool is_response_channel_for(std::string_view key, std::string_view nsp,
                             std::string_view uid, std::string_view channel) {
  return channel == response_channel(key, nsp) || channel == response_channel(key, nsp, uid);
}

} // namespace sio::cluster
