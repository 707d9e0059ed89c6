// lib/routing/group_index.hpp
// Two-way membership index (group -> connections, connection -> groups), the
// same idea as socket.io-adapter's in-memory adapter. A plain class that the
// hub actor owns; not thread-safe. Empty groups and connections are erased.
#pragma once

#include "lib/routing/view_set.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sio::routing {

/// Connection ids of one group. The views point into strings owned by the
/// index: valid until that connection leaves its last group. Copy what you
/// need before mutating the index while iterating.
using members_set = view_set;

/// Group names of one connection; views owned by the index like members_set.
using group_set = view_set;

/// Interns every group name and connection id once; both directions hold
/// string_views into those strings, so lookups by string_view never build a
/// temporary std::string. A membership costs two views in two view_sets: no
/// allocation at all while a group or connection has at most two links.
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

  /// The index's own copy of `group`'s name (empty if the group has no
  /// members): valid while the group has members, so a member can keep it
  /// instead of a copy of its own.
  std::string_view stored_name(std::string_view group) const;

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

  /// One group or connection. The map key is a view of `name`, whose heap
  /// bytes never move, and unordered_map nodes never move either: so keys,
  /// the views in every view_set and members()/groups_of() pointers stay
  /// valid across rehashes.
  struct entry {
    /// Owns the bytes (no terminating NUL; the key holds the length).
    std::unique_ptr<char[]> name;
    /// Group entry: views of member connection ids; connection entry: views
    /// of its group names.
    view_set links;
  };

  /// std::hash<std::string_view> in a type of our own: libstdc++ caches
  /// std::hash<string_view> results in every node (8 bytes, one malloc size
  /// class more per entry) but not the results of other nothrow hashers.
  struct view_hash {
    size_t operator()(std::string_view v) const noexcept {
      return std::hash<std::string_view>{}(v);
    }
  };

  using entry_map = std::unordered_map<std::string_view, entry, view_hash>;
  using group_map = entry_map;
  using conn_map = entry_map;

  /// The entry named `name`, created empty if missing.
  static entry_map::iterator intern(entry_map& map, std::string_view name);

  /// Drops the membership between an existing group and connection and
  /// erases entries that became empty.
  void unlink(group_map::iterator g, conn_map::iterator c);

  /// Group name -> entry.
  group_map groups_;
  /// Connection id -> entry.
  conn_map conns_;
};

} // namespace sio::routing
