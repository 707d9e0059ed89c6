// lib/cluster/kept_session.hpp
// Connection state recovery in a cluster: how a kept socket (one lost
// abnormally, waiting for its client) is stored in Redis, so that another
// node can take it over when the node that kept it dies. Two values per
// socket, both msgpack:
//   the record   (hash <p>:kept, field "<hub>\x1f<pid>"): who kept it, whose
//                socket it is, its rooms, when its window ends;
//   its packets  (list <p>:missed:<hub>:<pid>): each event packet it may
//                have missed, in order, with the offset it was stamped with.
// No I/O.
#pragma once

#include <sio/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::cluster {

/// A kept socket as another node needs it to take the socket over.
struct kept_record {
  std::string node;           ///< the node that keeps it
  std::string nsp;
  std::string socket_id;
  std::string connection_id;  ///< its lost connection (REST calls may name it)
  std::string user_id;
  std::string reason;         ///< why it was lost: its disconnected event's reason
  int64_t expires_ms = 0;     ///< the window's end, ms since the epoch
  /// Its connection's groups that go with it: its namespace's (its rooms,
  /// the namespace group, its own room) and the connection-wide ones.
  std::vector<std::string> groups;
};

/// One event packet a kept socket may have missed: its offset and its
/// frames (the text, then its binary attachments).
struct kept_packet {
  uint64_t offset = 0;
  std::vector<std::pair<bool, std::string>> frames;  ///< (binary, bytes)
};

std::string encode_kept_record(const kept_record& r);
/// Fails (with a reason) on anything encode_kept_record did not write.
protocol::result<kept_record> decode_kept_record(std::string_view bytes);

std::string encode_kept_packet(const kept_packet& p);
protocol::result<kept_packet> decode_kept_packet(std::string_view bytes);

} // namespace sio::cluster
