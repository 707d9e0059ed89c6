// actors/session_registry.hpp
// sid -> session: how the gateway finds the session of a request.
#pragma once

#include "actors/interfaces.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sio {

/// sid -> session, shared by the gateway (lookups for every request) and
/// the hubs (which add sessions they spawn; sessions remove themselves).
class session_registry {
public:
  /// A registered session and the hub it belongs to.
  struct entry {
    /// The hub's name, shared by all of its sessions: a pointer per
    /// session, not a copy (memory per connection, BENCHMARKS.md).
    std::shared_ptr<const std::string> hub;
    client_session_actor session;  ///< the session actor
  };

  /// Registers `sid` (replaces an earlier entry with the same sid).
  void add(const std::string& sid, entry e);
  /// Forgets `sid`; unknown sids are ignored.
  void remove(const std::string& sid);
  /// The session of `sid`, or nullopt.
  std::optional<entry> find(const std::string& sid) const;
  /// Registered sessions right now.
  size_t size() const;
  /// Every registered session (for shutdown).
  std::vector<entry> snapshot() const;

private:
  /// std::hash<std::string> in a type of our own: libstdc++ caches the
  /// results of std::hash<std::string> in every node (with the shared hub
  /// name, 96 -> 64 bytes per registered session) but not of other
  /// nothrow hashers.
  struct sid_hash {
    size_t operator()(const std::string& sid) const noexcept {
      return std::hash<std::string>{}(sid);
    }
  };

  mutable std::mutex mtx_;
  std::unordered_map<std::string, entry, sid_hash> map_;
};

} // namespace sio
