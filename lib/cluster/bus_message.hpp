// lib/cluster/bus_message.hpp
// The messages nodes of one cluster exchange on this service's own Redis
// channels (not the Socket.IO adapter's): the hub commands of the REST API
// and of application code, the queries that need every node's answer, and
// those answers. Plain values, no pointers into local state; bus_codec.hpp
// turns them into bytes.
#pragma once

#include "lib/cluster/frame.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sio::cluster {

/// Which connections a command addresses (mirrors sio::target).
struct bus_target {
  uint8_t kind = 0;  ///< sio::target_kind: 0 all, 1 group, 2 connection, 3 user
  std::string name;
  std::vector<std::string> excluded;
  std::vector<std::string> extra_groups;
  std::vector<std::string> excluded_groups;
  std::string filter;  ///< OData filter text; empty = none
};

enum class bus_op : uint8_t {
  send = 1,        ///< frames to the target
  disconnect = 2,  ///< namespace disconnect (nsp, close)
  close = 3,       ///< close the target's connections (reason)
  membership = 4,  ///< add/remove groups; every node answers a count
  exists = 5,      ///< every node answers whether it holds a match
  list = 6,        ///< every node answers its matching connections (max)
  answer = 7,      ///< a node's answer to a query (on the asker's channel)
  sockets = 8,     ///< every node answers a page of its sockets (nsp, after, max)
  /// An event sent with an ack id per socket (nsp; frames: the event's
  /// data, then its attachments; max: the timeout in ms). Every node
  /// answers twice: its recipients at once (count 0), its acks and the
  /// sockets that did not answer at the end (count 1; reason: why nothing
  /// was sent, when a bound refused it).
  acked_send = 9,
  /// Connection state recovery: a client presented a pid its node does
  /// not keep (reason: the pid; nsp; after: its offset, close: whether it
  /// sent one). The node that keeps it answers count 1 with the socket
  /// (sockets[0]: ids, user, its groups as rooms), what it missed (frames)
  /// and why it was lost (reason), and lets it go; the others count 0.
  resume = 10,
};

/// One recipient of an acked send, in a node's answer: reported (count 0)
/// or settled (count 1: answered, or not with `reason`).
struct bus_ack {
  bool answered = false;
  std::string socket_id;
  std::string connection_id;
  std::string user_id;
  std::string args;                      ///< answered: the ack's JSON array
  std::vector<std::string> attachments;  ///< answered: its binary arguments
  std::string reason;                    ///< not answered: why ("" = timeout)
};

/// One socket of a `sockets` answer (mirrors sio::socket_info).
struct bus_socket {
  std::string socket_id;
  std::string connection_id;
  std::string user_id;
  std::string nsp;
  std::vector<std::string> rooms;
  bool websocket = false;
  std::string remote_address;
  uint64_t connected_at_ms = 0;
};

/// One bus message. Fields unused by an op are left empty.
struct bus_message {
  bus_op op = bus_op::send;
  std::string origin;      ///< the sending node's id
  uint64_t request_id = 0; ///< queries and answers: the asker's id for it
  bus_target to;
  std::vector<frame> frames;        ///< send
  std::string nsp;                      ///< disconnect; sockets: the namespace (empty: all)
  bool close = false;                   ///< disconnect
  std::string reason;                   ///< close
  std::vector<std::string> groups;      ///< membership
  bool add = true;                      ///< membership
  uint64_t max = 0;                     ///< list, sockets: at most this many
  std::string after;                    ///< sockets: those after this socket id
  // answer:
  /// membership: connections affected; exists: 0/1; sockets: 1 when more
  /// of the node's sockets follow the page.
  uint64_t count = 0;
  /// list: (connection id, user id) pairs; user id empty when anonymous.
  std::vector<std::pair<std::string, std::string>> connections;
  /// sockets: the page, in socket id order.
  std::vector<bus_socket> sockets;
  /// acked_send: a node's recipients, or their outcome.
  std::vector<bus_ack> acks;
};

} // namespace sio::cluster
