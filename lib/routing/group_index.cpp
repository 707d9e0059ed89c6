#include "lib/routing/group_index.hpp"

#include <algorithm>

namespace sio::routing {

group_index::entry_map::iterator group_index::intern(entry_map& map,
                                                     std::string_view name) {
  auto i = map.find(name);
  if (i != map.end())
    return i;
  std::unique_ptr<char[]> bytes{new char[name.size()]};
  std::copy(name.begin(), name.end(), bytes.get());
  std::string_view key{bytes.get(), name.size()};
  return map.emplace(key, entry{std::move(bytes), {}}).first;
}

bool group_index::join(std::string_view conn, std::string_view group) {
  auto g = intern(groups_, group);
  auto c = intern(conns_, conn);
  if (!g->second.links.insert(c->first))
    return false;
  c->second.links.insert(g->first);
  return true;
}

void group_index::unlink(group_map::iterator g, conn_map::iterator c) {
  g->second.links.erase(c->first);
  c->second.links.erase(g->first);
  // Erase by iterator: erasing by key would hand the map a key that aliases
  // the bytes being destroyed.
  if (g->second.links.empty())
    groups_.erase(g);
  if (c->second.links.empty())
    conns_.erase(c);
}

bool group_index::leave(std::string_view conn, std::string_view group) {
  auto c = conns_.find(conn);
  if (c == conns_.end() || c->second.links.count(group) == 0)
    return false;
  unlink(groups_.find(group), c);
  return true;
}

std::vector<std::string> group_index::leave_all(std::string_view conn) {
  return leave_prefix(conn, {});
}

std::vector<std::string> group_index::leave_prefix(std::string_view conn,
                                                   std::string_view prefix) {
  std::vector<std::string> left;
  auto c = conns_.find(conn);
  if (c == conns_.end())
    return left;
  // Collect first: unlink() changes the set we would be iterating, and may
  // destroy the connection entry itself after the last group.
  for (auto name : c->second.links)
    if (name.substr(0, prefix.size()) == prefix)
      left.emplace_back(name);
  for (const auto& name : left)
    unlink(groups_.find(name), conns_.find(conn));
  return left;
}

const members_set* group_index::members(std::string_view group) const {
  auto g = groups_.find(group);
  return g == groups_.end() ? nullptr : &g->second.links;
}

const group_set* group_index::groups_of(std::string_view conn) const {
  auto c = conns_.find(conn);
  return c == conns_.end() ? nullptr : &c->second.links;
}

std::string_view group_index::stored_name(std::string_view group) const {
  auto g = groups_.find(group);
  return g == groups_.end() ? std::string_view{} : g->first;
}

bool group_index::contains(std::string_view group,
                           std::string_view conn) const {
  // The connection's side is the small one (a few groups, usually inline).
  auto c = conns_.find(conn);
  return c != conns_.end() && c->second.links.count(group) > 0;
}

} // namespace sio::routing
