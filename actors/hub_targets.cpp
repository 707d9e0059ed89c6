// Which connections a hub command addresses: a route (all, groups,
// connection, user) minus exclusions, through the OData filter.
#include "actors/hub_state.hpp"

#include "lib/routing/odata_filter.hpp"

#include <algorithm>
#include <unordered_set>

namespace sio::hub_parts {

namespace {

/// The connections a target leaves out: its excluded ids, hashed when
/// there are many (a send to 10k sockets excluding k of them must not cost
/// 10k x k), and the members of its excluded groups. The views into the
/// group index are only read while the target's connections are collected.
class exclusions {
public:
  exclusions(const target& to, const routing::group_index& groups)
    : ids_(to.excluded) {
    if (ids_.size() <= 8 && to.excluded_groups.empty())
      return;
    hashed_ = true;
    set_.insert(ids_.begin(), ids_.end());
    for (auto& g : to.excluded_groups)
      if (auto* members = groups.members(g))
        for (auto id : *members)
          set_.insert(id);
  }

  bool contains(std::string_view id) const {
    if (hashed_)
      return set_.count(id) > 0;
    return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
  }

private:
  const std::vector<std::string>& ids_;
  bool hashed_ = false;
  std::unordered_set<std::string_view> set_;
};

/// True if `e` passes the target's exclusions and filter.
bool admits(hub_state& st, const target& to, const exclusions& excluded,
            const connection_entry& e) {
  if (excluded.contains(e.id))
    return false;
  if (!to.filter)
    return true;
  routing::filter_subject subject;
  subject.connection_id = e.id;
  subject.user_id = e.user_id.empty() ? nullptr : &e.user_id;
  subject.groups = st.groups.groups_of(e.id);
  return to.filter->matches(subject);
}

} // namespace

connection_entry* find_connection(hub_state& st, std::string_view id) {
  auto i = st.connections.find(id);
  return i == st.connections.end() ? nullptr : i->second.get();
}

std::vector<connection_entry*> targets_of(hub_state& st, const target& to) {
  std::vector<connection_entry*> hits;
  exclusions excluded{to, st.groups};
  auto consider = [&](std::string_view id) {
    if (auto* e = find_connection(st, id); e && admits(st, to, excluded, *e))
      hits.push_back(e);
  };
  switch (to.kind) {
    case target_kind::all: {
      // A filter that needs group membership narrows the scan to members.
      std::vector<std::string> candidates;
      if (to.filter && to.filter->candidate_groups(candidates)) {
        std::unordered_set<std::string_view> seen;
        for (auto& g : candidates)
          if (auto* members = st.groups.members(g))
            for (auto id : *members)
              if (seen.insert(id).second)
                consider(id);
      } else {
        hits.reserve(st.connections.size());
        for (auto& [id, e] : st.connections)
          if (admits(st, to, excluded, *e))
            hits.push_back(e.get());
      }
      break;
    }
    case target_kind::group:
      if (to.extra_groups.empty()) {
        if (auto* members = st.groups.members(to.name)) {
          hits.reserve(members->size());
          for (auto id : *members)
            consider(id);
        }
      } else {
        // A union of groups: a connection in several of them counts once.
        std::unordered_set<std::string_view> seen;
        auto consider_members = [&](std::string_view g) {
          if (auto* members = st.groups.members(g))
            for (auto id : *members)
              if (seen.insert(id).second)
                consider(id);
        };
        consider_members(to.name);
        for (auto& g : to.extra_groups)
          consider_members(g);
      }
      break;
    case target_kind::connection:
      consider(to.name);
      // A lost connection's socket resumed on another (recovery).
      if (auto* resumed = alias_of(st, to.name))
        consider(*resumed);
      break;
    case target_kind::user:
      if (auto i = st.users.find(to.name); i != st.users.end())
        for (auto id : i->second)
          consider(id);
      break;
  }
  return hits;
}

bool addresses(hub_state& st, const target& to, const connection_entry& e) {
  switch (to.kind) {
    case target_kind::all:
      break;
    case target_kind::group: {
      bool member = st.groups.contains(to.name, e.id);
      for (size_t i = 0; !member && i < to.extra_groups.size(); ++i)
        member = st.groups.contains(to.extra_groups[i], e.id);
      if (!member)
        return false;
      break;
    }
    case target_kind::connection:
      if (to.name != e.id) {
        auto* resumed = alias_of(st, to.name);
        if (!resumed || *resumed != e.id)
          return false;
      }
      break;
    case target_kind::user:
      if (to.name != e.user_id)
        return false;
      break;
  }
  exclusions excluded{to, st.groups};
  return admits(st, to, excluded, e);
}

} // namespace sio::hub_parts
