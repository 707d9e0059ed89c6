#include "lib/routing/group_index.hpp"

namespace sio::routing {

bool group_index::join(std::string_view conn, std::string_view group) {
  auto g = groups_.find(group);
  if (g == groups_.end()) {
    auto entry = std::make_unique<group_entry>();
    entry->name.assign(group.data(), group.size());
    std::string_view key = entry->name;
    g = groups_.emplace(key, std::move(entry)).first;
  }
  auto c = conns_.find(conn);
  if (c == conns_.end()) {
    auto entry = std::make_unique<conn_entry>();
    entry->id.assign(conn.data(), conn.size());
    std::string_view key = entry->id;
    c = conns_.emplace(key, std::move(entry)).first;
  }
  if (!g->second->members.insert(c->first).second)
    return false;
  c->second->groups.insert(g->first);
  return true;
}

void group_index::unlink(group_map::iterator g, conn_entry& c) {
  g->second->members.erase(c.id);
  c.groups.erase(g->second->name);
  if (g->second->members.empty())
    groups_.erase(g);
  // Erase by iterator: erasing by key would hand the map a key that aliases
  // the string being destroyed.
  if (c.groups.empty())
    conns_.erase(conns_.find(std::string_view{c.id}));
}

bool group_index::leave(std::string_view conn, std::string_view group) {
  auto c = conns_.find(conn);
  if (c == conns_.end())
    return false;
  auto g = groups_.find(group);
  if (g == groups_.end() || g->second->members.count(c->first) == 0)
    return false;
  unlink(g, *c->second);
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
  // Collect first: unlink() erases from the set we would be iterating, and
  // may destroy the connection entry itself after the last group.
  for (auto name : c->second->groups)
    if (name.substr(0, prefix.size()) == prefix)
      left.emplace_back(name);
  for (const auto& name : left) {
    auto cur = conns_.find(conn);
    unlink(groups_.find(name), *cur->second);
  }
  return left;
}

const members_set* group_index::members(std::string_view group) const {
  auto g = groups_.find(group);
  return g == groups_.end() ? nullptr : &g->second->members;
}

const group_set* group_index::groups_of(std::string_view conn) const {
  auto c = conns_.find(conn);
  return c == conns_.end() ? nullptr : &c->second->groups;
}

bool group_index::contains(std::string_view group,
                           std::string_view conn) const {
  auto g = groups_.find(group);
  return g != groups_.end() && g->second->members.count(conn) > 0;
}

} // namespace sio::routing
