// actors/adapter_peer.hpp
// A hub's seat among Node.js socket.io servers that use
// @socket.io/redis-adapter 8.x on the hub's adapter key (cluster.md, "Wire
// format"): one per hub per node. It takes the adapter's broadcasts
// ("<key>#*", from Node servers and emitters) and requests
// ("<key>-request#<nsp>#") for this node's sockets, and answers on
// "<key>-response#<nsp>#" with one message per request, so that a Node
// peer's fetchSockets, allRooms, serverSideEmit with acks and
// timeout().emit() with acks end as soon as every server answered, and its
// serverCount (PUBSUB NUMSUB of the request channel) counts this node.
//
// Broadcasts and requests go through this one actor, and from it to the
// local hub, so a peer's socketsJoin then to(room).emit apply in the order
// Redis delivered them.
//
// The namespaces: "/" from the start; any other when the hub reports its
// first local socket there (namespace_atom), at most max_namespaces.
//
// Not done: acks of our clients to a BROADCAST with acks are not collected
// (the packet reaches them without an ack id; the answer says 0 clients, so
// the Node side completes at once with the acks of its own and other Node
// servers); serverSideEmit does not reach application handlers (the answer
// is data null); socket.data is {} and handshake.auth {}.
#pragma once

#include "actors/atoms.hpp"
#include "actors/interfaces.hpp"

#include <caf/typed_actor.hpp>

#include <memory>
#include <string>

namespace sio::metrics {
class registry;
}

namespace sio {

class cluster_link;

using adapter_peer_actor = caf::typed_actor<
  /// A message of a routed channel (channel, payload).
  caf::reacts_to<bus_atom, std::string, std::string>,
  /// The hub has local sockets in this namespace: join its requests.
  caf::reacts_to<namespace_atom, std::string>>;

struct adapter_peer_config {
  std::string hub;                    ///< the hub's name
  hub_full_actor local;               ///< this node's hub
  std::shared_ptr<cluster_link> link; ///< the node's link
  std::string adapter_key;            ///< hubs.{name}.adapterKey
  std::shared_ptr<metrics::registry> metrics;  ///< may be null
};

/// Namespaces one peer subscribes at most (each is two Redis channels).
constexpr size_t adapter_peer_max_namespaces = 1000;

/// Spawns the peer, routes "<key>#*" and namespace "/" on the link (before
/// link start()), and asks the hub for its namespaces.
adapter_peer_actor spawn_adapter_peer(caf::actor_system& sys, adapter_peer_config cfg);

} // namespace sio
