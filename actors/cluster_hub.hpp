// actors/cluster_hub.hpp
// A hub's front in a cluster: it takes the hub's commands (hub_actor) and
// relays them through Redis to the hub of every node, this one included, so
// a command from any node acts on every socket of the cluster. Each node
// applies bus messages in the order Redis delivers them; queries (exists,
// list, membership counts) are answered by every live node and merged.
// Without `cluster` in the config nothing of this runs.
#pragma once

#include "actors/atoms.hpp"
#include "actors/interfaces.hpp"

#include <caf/typed_actor.hpp>

#include <memory>
#include <string>
#include <variant>

namespace sio::metrics {
class registry;
}

namespace sio {

class cluster_link;

/// A command whose sender wants to know that the cluster took it: the reply
/// (true) comes once Redis accepted the bus message; an error when Redis is
/// unreachable (the REST API answers 503, never a 202 that loses it).
struct confirmed_command {
  std::variant<send_command, disconnect_command, close_command> command;
};

/// The front's interface: the hub commands, confirmed commands, and its own
/// plumbing (bus deliveries, PUBLISH outcomes, query deadlines).
using cluster_hub_actor = hub_actor::extend<
  caf::replies_to<confirmed_command>::with<bool>,
  /// Connection state recovery: the local hub claims a pid from the
  /// other nodes (the first that keeps it hands it over).
  caf::replies_to<resume_claim>::with<moved_socket>,
  caf::reacts_to<bus_atom, std::string /* channel */, std::string /* payload */>,
  caf::reacts_to<published_atom, uint64_t /* token */, bool, std::string>,
  caf::reacts_to<expire_atom, uint64_t /* request id */>>;

struct cluster_hub_config {
  std::string hub;                    ///< the hub's name
  hub_full_actor local;               ///< this node's hub
  std::shared_ptr<cluster_link> link; ///< shared by the node's fronts
  /// The Socket.IO Redis adapter key under which Node.js emitters and
  /// servers meet this hub (hubs.{name}.adapterKey).
  std::string adapter_key;
  std::shared_ptr<metrics::registry> metrics;  ///< may be null
};

/// The uid this node writes in the adapter's messages; every node of this
/// service skips adapter broadcasts with its prefix (they reach its sockets
/// through the service's own bus already).
std::string adapter_uid(const std::string& prefix, const std::string& node);

/// The channel every node's front of `hub` listens on for commands.
std::string cluster_bus_channel(const std::string& prefix, const std::string& hub);

/// The channel on which `node` gets the answers to its queries for `hub`.
std::string cluster_answer_channel(const std::string& prefix, const std::string& hub,
                                   const std::string& node);

/// Spawns a front and routes its channels on the link (before link start()).
cluster_hub_actor spawn_cluster_hub(caf::actor_system& sys, cluster_hub_config cfg);

} // namespace sio

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::confirmed_command)
