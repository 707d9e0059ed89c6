// lib/cluster/adapter_channels.hpp
// Redis channel names of @socket.io/redis-adapter 8.x and
// @socket.io/redis-emitter 5.x, for the adapter key `key` (the adapter's
// `key` option, default "socket.io") and a namespace `nsp` ("/", "/admin"):
//   <key>#<nsp>#            broadcasts (PSUBSCRIBE <key>#<nsp>#*)
//   <key>#<nsp>#<room>#     a broadcast naming exactly one room
//   <key>-request#<nsp>#    requests (SUBSCRIBE; PUBSUB NUMSUB counts servers)
//   <key>-response#<nsp>#   responses (every node subscribes)
//   <key>-response#<nsp>#<uid>#  responses for one node (publishOnSpecificResponseChannel)
// Namespaces and rooms may contain '#', so a channel alone does not say
// where the namespace ends: a Node adapter matches the prefix of the
// namespace it serves, takes the room as Node's `channel.slice(prefix.length, -1)`,
// and trusts only the packet's own `nsp` and `opts.rooms` inside the message.
// The room of the channel is a hint (Node skips decoding when it holds no
// socket in that room), never the authority. Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sio::cluster {

/// Default adapter key of Node's adapter and emitter.
constexpr std::string_view default_adapter_key = "socket.io";

std::string broadcast_channel(std::string_view key, std::string_view nsp);
std::string room_channel(std::string_view key, std::string_view nsp, std::string_view room);
std::string request_channel(std::string_view key, std::string_view nsp);
std::string response_channel(std::string_view key, std::string_view nsp);
std::string response_channel(std::string_view key, std::string_view nsp, std::string_view uid);
/// The PSUBSCRIBE pattern of one namespace's broadcasts: "<key>#<nsp>#*"
/// with the glob characters of key and nsp (*?[]\) escaped.
std::string broadcast_pattern(std::string_view key, std::string_view nsp);
/// The PSUBSCRIBE pattern for the broadcasts of every namespace: "<key>#*".
std::string all_broadcasts_pattern(std::string_view key);

/// What a channel received under an adapter key is.
enum class channel_kind { broadcast, request, response, other };

struct channel_info {
  channel_kind kind = channel_kind::other;
  /// After "<key>#", "<key>-request#" or "<key>-response#": "<nsp>#[<room>#]"
  /// or "<nsp>#[<uid>#]" (views into the channel given).
  std::string_view rest;
};

/// Classifies `channel` by its prefix.
channel_info classify_channel(std::string_view key, std::string_view channel);

/// For a broadcast channel and a namespace served: nullopt when the channel
/// is not "<key>#<nsp>#..."; otherwise the room ("" for no room), exactly
/// as Node's onmessage computes it.
std::optional<std::string_view> broadcast_room(
  std::string_view key, std::string_view nsp, std::string_view channel);

/// For a request channel: true when it is exactly "<key>-request#<nsp>#".
bool is_request_channel(std::string_view key, std::string_view nsp, std::string_view channel);

/// For a response channel: true when it is "<key>-response#<nsp>#" or
/// "<key>-response#<nsp>#<uid>#" with our uid (Node's startsWith would take
/// anything after the prefix; other uids are other nodes' answers).
bool is_response_channel_for(std::string_view key, std::string_view nsp,
                             std::string_view uid, std::string_view channel);

} // namespace sio::cluster
