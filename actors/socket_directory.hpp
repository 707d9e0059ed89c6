// actors/socket_directory.hpp
// Where a hub records its sockets beyond its own memory: in a cluster, the
// node's entry in Redis, so that another node can send the `disconnected`
// events of this node's sockets if it dies. Called from the hub's actor;
// implementations must not block.
#pragma once

#include <sio/event_handler.hpp>

namespace sio {

class socket_directory {
public:
  virtual ~socket_directory() = default;

  /// A socket was accepted (its user id is final).
  virtual void joined(const socket_ref& socket) = 0;

  /// A socket is gone (its user id may be empty here).
  virtual void left(const socket_ref& socket) = 0;
};

} // namespace sio
