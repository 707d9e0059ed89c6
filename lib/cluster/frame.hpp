// lib/cluster/frame.hpp
// One client frame as the cluster's messages carry it, ours and the
// Socket.IO adapter's alike.
#pragma once

#include <string>

namespace sio::cluster {

/// One WebSocket frame for a client: text "4<socket.io packet>" as
/// protocol::encode_frame writes a message packet, or a binary attachment.
struct frame {
  bool binary = false;
  std::string bytes;
};

inline bool operator==(const frame& a, const frame& b) {
  return a.binary == b.binary && a.bytes == b.bytes;
}

} // namespace sio::cluster
