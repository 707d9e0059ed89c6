// actors/adapter_broadcasts.hpp
// A hub's send as the Socket.IO Redis adapter's broadcasts, so that the
// clients of Node.js servers on the same Redis and key get what our REST
// API and emitters send: one message per event packet, on the namespace's
// channel (or the room's, for exactly one room). Targets with no Socket.IO
// meaning (a connection, a user, an OData filter, excluded connection ids,
// groups that are not rooms of the packet's namespace) give none.
#pragma once

#include <sio/event_handler.hpp>

#include <string>
#include <utility>
#include <vector>

namespace sio {

/// (channel, msgpack bytes) to PUBLISH, in order.
std::vector<std::pair<std::string, std::string>>
adapter_broadcasts_for(const send_command& cmd, const std::string& key, const std::string& uid);

} // namespace sio
