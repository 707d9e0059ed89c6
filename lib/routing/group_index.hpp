// lib/routing/group_index.hpp
// Two-way membership index (group -> connections, connection -> groups), the
// same idea as socket.io-adapter's in-memory adapter. A plain class that the
// hub actor owns; not thread-safe. Empty groups and connections are erased.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sio::routing {

/// Connection ids of one group. The views point into strings owned by the
/// index: valid until that connection leaves its last group. Copy what you
/// need before mutating the index while iterating.
using members_set = std::unordered_set<std::string_view>;

/// Group names of one connection; views owned by the index like members_set.
using group_set = std::unordered_set<std::string_view>;

/// Interns every group name and connection id once; both directions hold
/// string_views into those strings, so lookups by string_view never build a
/// temporary std::string and a membership costs two small set nodes.
class group_index {
public:
  group_index() = default;
  group_index(const group_index&) = delete;
  group_index& operator=(const group_index&) = delete;
  group_index(group_index&&) = default;
  group_index& operator=(group_index&&) = default;

  /// Adds `conn` to `group`; returns false if it already was a member.
  bool join(std::string_view conn, std::string_view group);

  /// Removes `conn` from `group`; returns false if it was not a member.
  bool leave(std::string_view conn, std::string_view group);

  /// Removes `conn` from every group; returns the groups it left.
  std::vector<std::string> leave_all(std::string_view conn);

  /// Removes `conn` from every group whose name starts with `prefix` (e.g. a
  /// namespace's "0~L25z~" when a socket leaves it); returns those groups.
  std::vector<std::string> leave_prefix(std::string_view conn,
                                        std::string_view prefix);

  /// Members of `group`, or nullptr when the group has none.
  const members_set* members(std::string_view group) const;

  /// Groups of `conn`, or nullptr when it is in none.
  const group_set* groups_of(std::string_view conn) const;

  /// True if `conn` is a member of `group`.
  bool contains(std::string_view group, std::string_view conn) const;

  /// Number of non-empty groups.
  size_t group_count() const noexcept {
    return groups_.size();
  }

  /// Number of connections that are in at least one group.
  size_t connection_count() const noexcept {
    return conns_.size();
  }

private:
  // -- member types ---

  /// One group: its interned name and member connections.
  struct group_entry {
    /// Owns the bytes that every view of this group name points to.
    std::string name;
    /// Views into conn_entry::id.
    members_set members;
  };

  /// One connection: its interned id and groups.
  struct conn_entry {
    /// Owns the bytes that every view of this id points to.
    std::string id;
    /// Views into group_entry::name.
    group_set groups;
  };

  // Entries live behind unique_ptr so the owned strings never move and map
  // keys (views into them) stay valid across rehashes.
  using group_map
    = std::unordered_map<std::string_view, std::unique_ptr<group_entry>>;
  using conn_map
    = std::unordered_map<std::string_view, std::unique_ptr<conn_entry>>;

  /// Drops the membership between an existing group and connection and
  /// erases entries that became empty.
  void unlink(group_map::iterator g, conn_entry& c);

  /// Group name -> entry.
  group_map groups_;
  /// Connection id -> entry.
  conn_map conns_;
};

} // namespace sio::routing
