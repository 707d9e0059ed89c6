#include "lib/routing/group_name.hpp"

#include "lib/protocol/base64.hpp"

namespace sio::routing {

namespace {

constexpr std::string_view group_prefix = "0~";
constexpr char separator = '~';
constexpr size_t max_group_length = 1024;

// Decodes only the canonical unpadded form, so that one (nsp, room) pair has
// exactly one group name and parse_group(x) round-trips to x.
std::optional<std::string> decode_canonical(std::string_view text) {
  if (text.find('=') != std::string_view::npos)
    return std::nullopt;
  auto decoded = protocol::base64url_decode(text);
  if (!decoded || protocol::base64url_encode(*decoded) != text)
    return std::nullopt;
  return decoded;
}

} // namespace

std::string namespace_group(std::string_view nsp) {
  std::string out{group_prefix};
  out += protocol::base64url_encode(nsp);
  out.push_back(separator);
  return out;
}

std::string room_group(std::string_view nsp, std::string_view room) {
  std::string out = namespace_group(nsp);
  out += protocol::base64url_encode(room);
  return out;
}

std::optional<group_ref> parse_group(std::string_view group) {
  if (group.size() > max_group_length
      || group.substr(0, group_prefix.size()) != group_prefix)
    return std::nullopt;
  auto rest = group.substr(group_prefix.size());
  auto sep = rest.find(separator);
  if (sep == std::string_view::npos || sep == 0)
    return std::nullopt;
  auto nsp = decode_canonical(rest.substr(0, sep));
  auto room = decode_canonical(rest.substr(sep + 1));
  if (!nsp || !room)
    return std::nullopt;
  return group_ref{std::move(*nsp), std::move(*room)};
}

bool is_valid_group_name(std::string_view group) {
  if (group.empty() || group.size() > max_group_length)
    return false;
  for (char c : group)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v'
        && c != '\f')
      return true;
  return false;
}

} // namespace sio::routing
